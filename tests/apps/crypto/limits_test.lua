-- This entry's max_payload is 64 KiB: inputs past it are refused before they reach the host, and
-- results past it are refused by the host.
local crypto = require("crypto")

local function main()
  local key = crypto.random.bytes(32)
  local big = string.rep("x", 64 * 1024 + 1)
  local function invalid(pattern, value, err)
    assert(value == nil and err:kind() == errors.INVALID, tostring(err))
    assert(tostring(err):find(pattern), tostring(err))
  end
  invalid("payload limit", crypto.hmac.sha256("k", big))
  invalid("payload limit", crypto.encrypt.aes(big, key))
  invalid("payload limit", crypto.jwt.verify(big, "k"))
  invalid("payload limit", crypto.constant_time_compare(big, big))
  -- results
  assert(#crypto.random.bytes(64 * 1024) == 64 * 1024)
  invalid("payload limit", crypto.random.bytes(64 * 1024 + 1))
  invalid("payload limit", crypto.random.string(40000, "é"))
  invalid("payload limit", crypto.pbkdf2("p", "s", 1, 64 * 1024 + 1))
  invalid("payload limit", crypto.encrypt.chacha20(string.rep("x", 64 * 1024 - 10), key))
  invalid("payload limit", crypto.jwt.encode({blob = string.rep("x", 60000)}, "k"))
  return true
end

return { main = main }
