-- crypto.random (doc page: "Random Generation").
local crypto = require("crypto")

local function main()
  -- Random Bytes
  local bytes, err = crypto.random.bytes(32)
  assert(err == nil and type(bytes) == "string" and #bytes == 32, tostring(err))
  assert(crypto.random.bytes(32) ~= bytes, "two draws differ")
  assert(#crypto.random.bytes(1) == 1)
  assert(#crypto.random.bytes(1048576) == 1048576)

  -- Random String: alphanumeric by default, or from the charset given
  local str, err2 = crypto.random.string(32)
  assert(err2 == nil and #str == 32 and str:match("^[%w]+$"), str)
  local hex = crypto.random.string(32, "0123456789abcdef")
  assert(#hex == 32 and hex:match("^[0-9a-f]+$"), hex)
  assert(crypto.random.string(10, "x") == "xxxxxxxxxx")
  -- characters, not bytes, of a UTF-8 charset
  local greek = crypto.random.string(5, "αβγ")
  assert(utf8.len(greek) == 5 and #greek == 10, greek)
  -- every character of a small charset comes up
  local seen = {}
  for c in crypto.random.string(400, "abcd"):gmatch(".") do seen[c] = true end
  assert(seen.a and seen.b and seen.c and seen.d)

  -- Random UUID
  local id, err3 = crypto.random.uuid()
  assert(err3 == nil)
  assert(id:match("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"), id)
  assert(crypto.random.uuid() ~= id)

  -- lengths out of 1..1048576 and bad charsets are Invalid
  for _, n in ipairs({0, -1, 1048577, math.maxinteger, math.mininteger}) do
    local b, e = crypto.random.bytes(n)
    assert(b == nil and e:kind() == errors.INVALID, tostring(n))
    local s, e2 = crypto.random.string(n)
    assert(s == nil and e2:kind() == errors.INVALID, tostring(n))
  end
  local _, e = crypto.random.string(4, "")
  assert(e:kind() == errors.INVALID and tostring(e):find("empty"), tostring(e))
  _, e = crypto.random.string(4, "\xff\xfe")
  assert(e:kind() == errors.INVALID and tostring(e):find("UTF%-8"), tostring(e))
  _, e = crypto.random.bytes(2.5)
  assert(e:kind() == errors.INVALID and tostring(e):find("integer"), tostring(e))
  assert(#crypto.random.bytes(4.0) == 4, "an integral float is an integer")
  _, e = crypto.random.bytes("ten")
  assert(e:kind() == errors.INVALID, tostring(e))
  _, e = crypto.random.string(4, 12)
  assert(e:kind() == errors.INVALID and tostring(e):find("charset"), tostring(e))
  return true
end

return { main = main }
