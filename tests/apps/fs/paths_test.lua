-- Wippy's "Checking Paths": exists, isdir, stat.
local fs = require("fs")
local check = require("check")
local fails, scratch = check.fails, check.scratch

local function main()
  local vol = fs.get("files")
  assert(vol:exists("/hello.txt") == true)
  assert(vol:exists("/nope.txt") == false)
  assert(vol:isdir("/docs") == true)
  assert(vol:isdir("/hello.txt") == false)
  assert(vol:isdir("/nope") == false)

  local info = assert(vol:stat("/hello.txt"))
  assert(info.name == "hello.txt" and info.size == 14, info.name .. " " .. info.size)
  assert(info.type == fs.type.FILE and info.is_dir == false)
  assert(math.type(info.modified) == "integer" and info.modified > 1600000000)
  assert(math.type(info.mode) == "integer" and info.mode & 0x100 ~= 0, "owner can read")
  local docs = assert(vol:stat("/docs/"))
  assert(docs.name == "docs" and docs.is_dir and docs.type == fs.type.DIR)
  assert(vol:stat("/").name == "/")
  fails(errors.NOT_FOUND, "stat '/nope'", vol:stat("/nope"))
  return true
end

return { main = main }
