-- crypto.hmac (doc page: "HMAC"): hex digests, key first.
local crypto = require("crypto")
local hash = require("hash")

local function main()
  local key, data = "key", "The quick brown fox jumps over the lazy dog"

  -- HMAC-SHA256
  local hex, err = crypto.hmac.sha256(key, data)
  assert(err == nil)
  assert(hex == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", hex)

  -- HMAC-SHA512
  local hex512, err2 = crypto.hmac.sha512(key, data)
  assert(err2 == nil)
  assert(hex512 == "b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb"
    .. "82f948a549f7b791a5b41915ee4d1ec3935357e4e2317250d0372afa2ebeeb3a", hex512)

  -- the same as the hash module's (which takes the data first)
  assert(crypto.hmac.sha256(key, "") == hash.hmac_sha256("", key))
  local long = string.rep("x", 3 * 1024 * 1024)
  assert(crypto.hmac.sha512("k", long) == hash.hmac_sha512(long, "k"))
  -- binary keys and data
  assert(crypto.hmac.sha256("\0\1\2", "\255") == hash.hmac_sha256("\255", "\0\1\2"))

  -- an empty key is Invalid (doc page: "Empty key")
  local none, e = crypto.hmac.sha256("", data)
  assert(none == nil and e:kind() == errors.INVALID and not e:retryable(), tostring(e))
  _, e = crypto.hmac.sha512(nil, data)
  assert(e:kind() == errors.INVALID and tostring(e):find("key"), tostring(e))
  _, e = crypto.hmac.sha256(key, {})
  assert(e:kind() == errors.INVALID and tostring(e):find("data"), tostring(e))
  return true
end

return { main = main }
