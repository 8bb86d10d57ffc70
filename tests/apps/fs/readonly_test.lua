-- A volume whose mode has no owner write bit (0555) is read-only.
local fs = require("fs")
local check = require("check")
local fails = check.fails

local function main()
  local vol = fs.get("readonly")
  assert(vol:readfile("/hello.txt") == "hello, volume\n")
  assert(vol:isdir("/docs"))
  local DENIED = errors.PERMISSION_DENIED
  fails(DENIED, "read-only (mode 0555)", vol:writefile("/hello.txt", "changed"))
  fails(DENIED, "read-only", vol:writefile("/new.txt", "x", "wx"))
  fails(DENIED, "read-only", vol:open("/hello.txt", "a"))
  fails(DENIED, "read-only", vol:open("/hello.txt", "r+"))
  fails(DENIED, "read-only", vol:mkdir("/made"))
  fails(DENIED, "read-only", vol:remove("/hello.txt"))
  assert(vol:readfile("/hello.txt") == "hello, volume\n", "unchanged")
  assert(not vol:exists("/new.txt") and not vol:exists("/made"))
  return true
end

return { main = main }
