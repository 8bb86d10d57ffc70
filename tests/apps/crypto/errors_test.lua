-- The doc page's "Errors" table: each condition, its kind, and that it is not retryable (false or,
-- for Internal, unknown: nil); and
-- arguments of the wrong type answer nil, err rather than raising.
local crypto = require("crypto")

local function check(kind, value, err)
  assert(value == nil, "expected nil, err")
  assert(errors.is_error(err) and err:kind() == kind and not err:retryable(),
    tostring(err))
end

local function main()
  local key = crypto.random.bytes(32)
  -- Invalid length
  check(errors.INVALID, crypto.random.bytes(0))
  check(errors.INVALID, crypto.random.string(2000000))
  -- Empty key
  check(errors.INVALID, crypto.hmac.sha256("", "data"))
  check(errors.INVALID, crypto.jwt.encode({}, ""))
  -- Invalid key size
  check(errors.INVALID, crypto.encrypt.aes("data", "0123456789"))
  check(errors.INVALID, crypto.encrypt.chacha20("data", crypto.random.bytes(16)))
  -- Decryption failed
  check(errors.INTERNAL, crypto.decrypt.aes(crypto.encrypt.aes("data", key), crypto.random.bytes(32)))
  -- Token expired
  check(errors.INTERNAL, crypto.jwt.verify(crypto.jwt.encode({exp = 1}, "s"), "s"))

  -- every function, every argument of the wrong type
  local calls = {
    function() return crypto.random.bytes(nil) end,
    function() return crypto.random.bytes({}) end,
    function() return crypto.random.string(true) end,
    function() return crypto.random.string(5, {}) end,
    function() return crypto.hmac.sha256() end,
    function() return crypto.hmac.sha512("k", 5) end,
    function() return crypto.encrypt.aes(nil, key) end,
    function() return crypto.encrypt.aes("d", nil) end,
    function() return crypto.encrypt.chacha20("d", key, {}) end,
    function() return crypto.decrypt.aes({}, key) end,
    function() return crypto.decrypt.chacha20("d", 32) end,
    function() return crypto.jwt.encode(nil, "k") end,
    function() return crypto.jwt.encode({}, nil) end,
    function() return crypto.jwt.encode({}, "k", 256) end,
    function() return crypto.jwt.verify(nil, "k") end,
    function() return crypto.jwt.verify("a.b.c", {}) end,
    function() return crypto.jwt.verify("a.b.c", "k", false) end,
    function() return crypto.pbkdf2() end,
    function() return crypto.constant_time_compare() end,
  }
  for i, call in ipairs(calls) do
    local ok, value, err = pcall(call)
    assert(ok, "call " .. i .. " raised: " .. tostring(value))
    check(errors.INVALID, value, err)
  end
  return true
end

return { main = main }
