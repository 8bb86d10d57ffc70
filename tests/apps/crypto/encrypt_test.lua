-- crypto.encrypt / crypto.decrypt (doc page: "Encryption", "Decryption").
local crypto = require("crypto")

local function main()
  local data = "attack at dawn"

  -- AES-GCM, with 16, 24 and 32-byte keys, with and without AAD
  for _, size in ipairs({16, 24, 32}) do
    local key = crypto.random.bytes(size)
    local encrypted, err = crypto.encrypt.aes(data, key)
    assert(err == nil and #encrypted == 12 + #data + 16, tostring(err))
    local plaintext, err2 = crypto.decrypt.aes(encrypted, key)
    assert(err2 == nil and plaintext == data, tostring(err2))

    local aad = "user:42"
    encrypted = crypto.encrypt.aes(data, key, aad)
    assert(crypto.decrypt.aes(encrypted, key, aad) == data)
    -- the AAD must match
    local none, e = crypto.decrypt.aes(encrypted, key, "user:43")
    assert(none == nil and e:kind() == errors.INTERNAL, tostring(e))
    none, e = crypto.decrypt.aes(encrypted, key)
    assert(none == nil and e:kind() == errors.INTERNAL, tostring(e))
  end

  -- ChaCha20-Poly1305
  local key = crypto.random.bytes(32)
  local encrypted, err = crypto.encrypt.chacha20(data, key)
  assert(err == nil and #encrypted == 12 + #data + 16)
  local plaintext = crypto.decrypt.chacha20(encrypted, key)
  assert(plaintext == data)
  encrypted = crypto.encrypt.chacha20(data, key, "aad")
  assert(crypto.decrypt.chacha20(encrypted, key, "aad") == data)
  local _, e = crypto.decrypt.chacha20(encrypted, key, "other")
  assert(e:kind() == errors.INTERNAL)

  -- the nonce is fresh each time, so the same plaintext seals differently
  assert(crypto.encrypt.aes(data, key) ~= crypto.encrypt.aes(data, key))
  -- empty and binary plaintexts, and a large one
  assert(crypto.decrypt.aes(crypto.encrypt.aes("", key), key) == "")
  local binary = "\0\1\2\255" .. string.rep("\0", 100)
  assert(crypto.decrypt.chacha20(crypto.encrypt.chacha20(binary, key), key) == binary)
  local big = string.rep("abcdefgh", 256 * 1024)
  assert(crypto.decrypt.aes(crypto.encrypt.aes(big, key), key) == big)

  -- a wrong key, a changed byte, the other cipher: decryption failed (Internal)
  local _, e2 = crypto.decrypt.aes(crypto.encrypt.aes(data, key), crypto.random.bytes(32))
  assert(e2:kind() == errors.INTERNAL and not e2:retryable(), tostring(e2))
  local sealed = crypto.encrypt.aes(data, key)
  local flipped = sealed:sub(1, 20) .. string.char(sealed:byte(21) ~ 1) .. sealed:sub(22)
  _, e2 = crypto.decrypt.aes(flipped, key)
  assert(e2:kind() == errors.INTERNAL, tostring(e2))
  _, e2 = crypto.decrypt.chacha20(sealed, key)
  assert(e2:kind() == errors.INTERNAL, tostring(e2))

  -- invalid key sizes (doc page: "Invalid key size") and data too short to hold nonce and tag
  for _, bad in ipairs({"", "short", string.rep("k", 15), string.rep("k", 33)}) do
    local none, e3 = crypto.encrypt.aes(data, bad)
    assert(none == nil and e3:kind() == errors.INVALID, tostring(e3))
  end
  local none, e3 = crypto.encrypt.chacha20(data, string.rep("k", 16))
  assert(none == nil and e3:kind() == errors.INVALID and tostring(e3):find("32 bytes"), tostring(e3))
  _, e3 = crypto.decrypt.aes(sealed, "short")
  assert(e3:kind() == errors.INVALID)
  _, e3 = crypto.decrypt.aes(string.rep("x", 27), key)
  assert(e3:kind() == errors.INVALID and tostring(e3):find("too short"), tostring(e3))
  _, e3 = crypto.decrypt.chacha20("", key)
  assert(e3:kind() == errors.INVALID)
  return true
end

return { main = main }
