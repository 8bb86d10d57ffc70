local uuid = require("uuid")

local function main()
  local a, b = uuid.v4(), uuid.v4()
  assert(uuid.validate(a) and uuid.validate(b) and a ~= b)
  assert(uuid.version(a) == 4)
  assert(a:sub(20, 20):match("[89ab]"), "RFC 4122 variant")
  local seven = uuid.v7()
  assert(uuid.validate(seven) and uuid.version(seven) == 7)
  -- the first 48 bits are Unix milliseconds: after 2024-01-01
  local ms = tonumber(seven:sub(1, 8) .. seven:sub(10, 13), 16)
  assert(ms > 1704067200000, "v7 carries the current time")
  assert(not uuid.validate("not-a-uuid"))
  assert(not uuid.validate(42))
  local v, err = uuid.version("nope")
  assert(v == nil and errors.is(err, errors.INVALID))
  return true
end

return { main = main }
