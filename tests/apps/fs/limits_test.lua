-- Sizes are bounded by the entry's max_payload (1 KiB here): a whole-file read of more
-- is refused, a chunk read is cut to it, and the scanner still reads everything.
local fs = require("fs")
local check = require("check")
local fails = check.fails

local function main()
  local vol = fs.get("scratch")
  if not vol:exists("/limits") then assert(vol:mkdir("/limits")) end
  local kb = string.rep("x", 1000)
  assert(vol:writefile("/limits/small.txt", kb))
  assert(vol:readfile("/limits/small.txt") == kb)
  assert(vol:writefile("/limits/big.txt", kb))
  assert(vol:writefile("/limits/big.txt", kb, "a"))
  fails(errors.INVALID, "larger than this sandbox's max_payload (1024 bytes)",
    vol:readfile("/limits/big.txt"))
  local f = assert(vol:open("/limits/big.txt"))
  local first = f:read(1000000)
  assert(#first == 1024, "a read is cut to max_payload: " .. #first)
  assert(#f:read(1000000) == 976)
  f:close()
  fails(errors.INVALID, "more than this sandbox's max_payload",
    vol:writefile("/limits/huge.txt", string.rep("y", 2000)))
  assert(not vol:exists("/limits/huge.txt"))
  return true
end

return { main = main }
