-- Wippy's "Writing Files": writefile's modes and streaming writes.
local fs = require("fs")
local check = require("check")
local fails, scratch = check.fails, check.scratch

local function main()
  local vol, dir = scratch("write")
  -- Overwrite (default)
  assert(vol:writefile(dir .. "/config.json", '{"a":1}') == true)
  assert(vol:writefile(dir .. "/config.json", '{"b":2}') == true)
  assert(vol:readfile(dir .. "/config.json") == '{"b":2}')
  -- Append
  vol:writefile(dir .. "/app.log", "one\n", "a")
  vol:writefile(dir .. "/app.log", "two\n", "a")
  assert(vol:readfile(dir .. "/app.log") == "one\ntwo\n")
  -- Exclusive write (fails if exists)
  local ok, err = vol:writefile(dir .. "/lock.pid", tostring(42), "wx")
  assert(ok == true, tostring(err))
  fails(errors.ALREADY_EXISTS, "lock.pid", vol:writefile(dir .. "/lock.pid", "43", "wx"))
  assert(vol:readfile(dir .. "/lock.pid") == "42")
  assert(vol:write_file(dir .. "/n.txt", 12) == true, "numbers are written as text")
  assert(vol:readfile(dir .. "/n.txt") == "12")
  assert(vol:writefile(dir .. "/bin", "\0\255\1") and vol:readfile(dir .. "/bin") == "\0\255\1")

  -- Streaming writes
  local file = assert(vol:open(dir .. "/report.txt", "w"))
  assert(file:write("Header\n") == true)
  assert(file:write("Data: " .. 7 .. "\n") == true)
  assert(file:sync() == true)
  assert(file:close() == true)
  assert(vol:readfile(dir .. "/report.txt") == "Header\nData: 7\n")

  fails(errors.INVALID, "invalid mode", vol:writefile(dir .. "/x", "d", "rw"))
  fails(errors.INVALID, "invalid mode", vol:open(dir .. "/x", "z"))
  fails(errors.INVALID, "data must be a string", vol:writefile(dir .. "/x", {}))
  fails(errors.NOT_FOUND, nil, vol:writefile(dir .. "/no/such/dir/x", "d"))
  return true
end

return { main = main }
