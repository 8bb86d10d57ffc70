-- crypto.constant_time_compare (doc page: "Utility").
local crypto = require("crypto")

local function main()
  local equal = crypto.constant_time_compare("abc", "abc")
  assert(equal == true)
  assert(crypto.constant_time_compare("abc", "abd") == false)
  assert(crypto.constant_time_compare("abc", "ab") == false)
  assert(crypto.constant_time_compare("", "") == true)
  assert(crypto.constant_time_compare("\0\1", "\0\1") == true)
  -- HMAC signatures compared as an API checks them
  local sig = crypto.hmac.sha256("k", "request")
  assert(crypto.constant_time_compare(sig, crypto.hmac.sha256("k", "request")))
  assert(not crypto.constant_time_compare(sig, crypto.hmac.sha256("k", "request2")))
  -- values that are not strings: nil, err
  local none, e = crypto.constant_time_compare("a", nil)
  assert(none == nil and e:kind() == errors.INVALID, tostring(e))
  none, e = crypto.constant_time_compare(1, 1)
  assert(none == nil and e:kind() == errors.INVALID, tostring(e))
  return true
end

return { main = main }
