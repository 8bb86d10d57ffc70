-- Wippy's "Reading Files": readfile and streaming with open.
local fs = require("fs")

local function fails(kind, needle, v, err)
  assert(v == nil, "expected a failure, got " .. tostring(v))
  assert(errors.is(err, kind), "expected " .. kind .. ", got " .. tostring(err))
  if needle then
    assert(tostring(err):find(needle, 1, true), "error should mention \"" .. needle .. "\": "
      .. tostring(err))
  end
end

-- A fresh folder of its own under the scratch volume (tests may run side by side).
local function scratch(name)
  local vol = assert(fs.get("scratch"))
  if vol:exists("/" .. name) then
    for e in vol:readdir("/" .. name) do vol:remove("/" .. name .. "/" .. e.name) end
    vol:remove("/" .. name)
  end
  assert(vol:mkdir("/" .. name))
  return vol, "/" .. name
end

local function main()
  local vol = fs.get("files")
  local data, err = vol:readfile("/hello.txt")
  assert(data == "hello, volume\n", tostring(err))
  assert(vol:read_file("hello.txt") == data, "read_file is readfile; relative to /")

  -- Wippy: for large files, read chunks from open() until an empty one.
  local file = assert(vol:open("/docs/readme.md", "r"))
  local chunks = {}
  while true do
    local chunk = file:read(4)
    if not chunk or #chunk == 0 then break end
    assert(#chunk <= 4)
    chunks[#chunks + 1] = chunk
  end
  assert(table.concat(chunks) == "# Readme\nline two\n")
  assert(file:close() == true)

  fails(errors.NOT_FOUND, "readfile '/nope.txt'", vol:readfile("/nope.txt"))
  fails(errors.INVALID, "is a directory", vol:readfile("/docs"))
  fails(errors.INVALID, "the path is empty", vol:readfile(""))
  fails(errors.INVALID, "must be a string", vol:readfile(nil))
  fails(errors.NOT_FOUND, nil, vol:open("/nope.txt"))
  return true
end

return { main = main }
