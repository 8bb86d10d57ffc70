-- crypto.pbkdf2 (doc page: "Key Derivation"): raw key bytes.
local crypto = require("crypto")

local function hex(s)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

local function main()
  -- SHA-256 by default (values from Python's hashlib.pbkdf2_hmac)
  local key, err = crypto.pbkdf2("master_secret", "oauth-token-salt", 10000, 32)
  assert(err == nil and #key == 32, tostring(err))
  assert(hex(key) == "e738a872c424e9011d764972389213c752676d36e0a77be387b1c9edaa563847", hex(key))
  assert(crypto.pbkdf2("master_secret", "oauth-token-salt", 10000, 32, "sha256") == key)
  assert(hex(crypto.pbkdf2("password", "salt", 1, 32))
    == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")

  -- SHA-512
  local key512 = crypto.pbkdf2("password", "salt", 2, 70, "sha512")
  assert(hex(key512) == "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c"
    .. "f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e473e311ad827", hex(key512))

  -- a derived key is a key for encrypt
  local sealed = crypto.encrypt.aes("token", key)
  assert(crypto.decrypt.aes(sealed, key) == "token")

  -- lengths, iterations and hash names out of range are Invalid
  for _, args in ipairs({
    {"p", "s", 0, 32}, {"p", "s", 10000001, 32}, {"p", "s", 1, 0}, {"p", "s", 1, -5},
    {"p", "s", 1, 1048577}, {"p", "s", 1, 32, "md5"}, {"p", "s", "many", 32},
    {"p", "s", 1.5, 32}, {"p", nil, 1, 32}, {nil, "s", 1, 32}, {"p", "s", 1, 32, 256},
  }) do
    local none, e = crypto.pbkdf2(table.unpack(args, 1, 5))
    assert(none == nil and e:kind() == errors.INVALID, tostring(e))
  end
  -- empty password and salt are allowed, as RFC 8018 allows them
  assert(#crypto.pbkdf2("", "", 1, 16) == 16)
  return true
end

return { main = main }
