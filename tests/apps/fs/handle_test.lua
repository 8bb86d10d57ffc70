-- Wippy's "File Handle Methods": read, write, seek, stat, sync, close.
local fs = require("fs")
local check = require("check")
local fails, scratch = check.fails, check.scratch

local function main()
  local vol, dir = scratch("handle")
  vol:writefile(dir .. "/f.txt", "0123456789")
  local f = assert(vol:open(dir .. "/f.txt", "r"))
  assert(f:read() == "0123456789", "read() reads up to 4096 bytes")
  assert(f:read() == "", "at the end: an empty string")
  assert(f:seek("set", 2) == 2)
  assert(f:read(3) == "234")
  assert(f:seek(fs.seek.CUR, 1) == 6)
  assert(f:read(2) == "67")
  assert(f:seek(fs.seek.END, -1) == 9)
  assert(f:read(5) == "9")
  local info = assert(f:stat())
  assert(info.name == "f.txt" and info.size == 10 and info.type == "file")
  fails(errors.INVALID, nil, f:seek("set", -1))
  fails(errors.INVALID, "whence", f:seek("middle", 0))
  fails(errors.INVALID, "not opened for that", f:write("x"))
  fails(errors.INVALID, "positive integer", f:read(0))
  assert(f:close() == true)
  fails(errors.INVALID, "the file is closed", f:read())
  fails(errors.INVALID, "the file is closed", f:close())

  local rw = assert(vol:open(dir .. "/f.txt", "r+"))
  assert(rw:seek("set", 3) and rw:write("abc"))
  assert(rw:seek("set", 0) == 0 and rw:read() == "012abc6789")
  rw:close()
  local w = assert(vol:open(dir .. "/new.txt", "w"))
  fails(errors.INVALID, "not opened for that", w:read())
  w:close()
  fails(errors.ALREADY_EXISTS, nil, vol:open(dir .. "/new.txt", "wx"))
  local a = assert(vol:open(dir .. "/new.txt", "a"))
  a:write("x"); a:write("y"); a:close()
  assert(vol:readfile(dir .. "/new.txt") == "xy")
  fails(errors.INVALID, "is a directory", vol:open(dir, "r"))

  -- Files left open are closed when collected, so many opens do not run out of files.
  for _ = 1, 200 do
    local g = vol:open(dir .. "/f.txt")
    assert(g, "open")
    g = nil
    collectgarbage()
  end
  do
    local h <close> = assert(vol:open(dir .. "/f.txt"))
    assert(h:read(1) == "0")
  end
  return true
end

return { main = main }
