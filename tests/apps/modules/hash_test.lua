local hash = require("hash")

local function main()
  assert(hash.md5("abc") == "900150983cd24fb0d6963f7d28e17f72")
  assert(hash.sha1("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
  assert(hash.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  assert(hash.sha512("abc") == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    .. "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
  assert(hash.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

  local fox, key = "The quick brown fox jumps over the lazy dog", "key"
  assert(hash.hmac_md5(fox, key) == "80070713463e7749b90c2dc24911e275")
  assert(hash.hmac_sha1(fox, key) == "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9")
  assert(hash.hmac_sha256(fox, key)
    == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
  assert(hash.hmac_sha512(fox, key) == "b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb"
    .. "82f948a549f7b791a5b41915ee4d1ec3935357e4e2317250d0372afa2ebeeb3a")

  -- raw output
  assert(#hash.md5("abc", true) == 16)
  assert(#hash.sha512("abc", true) == 64)
  assert(#hash.hmac_sha256(fox, key, true) == 32)
  local hex = hash.sha1("abc", true):gsub(".", function(c) return ("%02x"):format(c:byte()) end)
  assert(hex == hash.sha1("abc"))

  -- FNV-1a
  assert(hash.fnv32("") == 0x811c9dc5)
  assert(hash.fnv32("a") == 0xe40c292c)
  assert(hash.fnv64("a") == 0xaf63dc4c8601ec8c)

  -- bad arguments raise like any Lua function
  local ok, err = pcall(hash.sha256, {})
  assert(not ok and tostring(err):find("string expected"), tostring(err))
  return true
end

return { main = main }
