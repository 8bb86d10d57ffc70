-- Wippy's "Reading Files": readfile and streaming with open.
local fs = require("fs")
local check = require("check")
local fails, scratch = check.fails, check.scratch

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
