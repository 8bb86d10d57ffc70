-- crypto.jwt with HMAC secrets (doc page: "JWT").
local crypto = require("crypto")
local json = require("json")
local base64 = require("base64")

-- One base64url part of a token, decoded from JSON.
local function part(token, n)
  local text = ({token:match("^([^.]*)%.([^.]*)%.([^.]*)$")})[n]
  text = text:gsub("-", "+"):gsub("_", "/")
  text = text .. string.rep("=", (4 - #text % 4) % 4)
  return json.decode(base64.decode(text))
end

local function main()
  local secret = "my-secret"
  local payload = {sub = "user123", role = "admin", exp = os.time() + 3600}

  -- Encode: HS256 by default, or the algorithm named
  local token, err = crypto.jwt.encode(payload, secret)
  assert(err == nil and select(2, token:gsub("%.", "")) == 2, tostring(err))
  assert(part(token, 1).alg == "HS256" and part(token, 1).typ == "JWT")
  local token256 = crypto.jwt.encode(payload, secret, "HS256")
  assert(token256 == token, "HS256 is deterministic")
  for _, alg in ipairs({"HS384", "HS512"}) do
    local t = crypto.jwt.encode(payload, secret, alg)
    assert(part(t, 1).alg == alg)
    assert(crypto.jwt.verify(t, secret, alg).sub == "user123")
  end

  -- Verify: the claims come back as a table
  local claims, err2 = crypto.jwt.verify(token, secret)
  assert(err2 == nil, tostring(err2))
  assert(claims.sub == "user123" and claims.role == "admin" and claims.exp == payload.exp)
  claims = crypto.jwt.verify(token, secret, "HS256", false)
  assert(claims.sub == "user123")

  -- _header adds header fields (alg stays the signing one) and is not a claim
  local t = crypto.jwt.encode({sub = "x", exp = os.time() + 60, _header = {kid = "key-1", alg = "none"}},
    secret)
  local header = part(t, 1)
  assert(header.kid == "key-1" and header.alg == "HS256", json.encode(header))
  claims = crypto.jwt.verify(t, secret)
  assert(claims._header == nil and claims.sub == "x")

  -- nested values, numbers and booleans round-trip
  t = crypto.jwt.encode({exp = os.time() + 60, scopes = {"read", "write"}, meta = {n = 1.5, ok = true}},
    secret)
  claims = crypto.jwt.verify(t, secret)
  assert(claims.scopes[2] == "write" and claims.meta.n == 1.5 and claims.meta.ok == true)

  -- Token expired (doc page: Internal, not retryable)
  local expired = crypto.jwt.encode({sub = "x", exp = os.time() - 10}, secret)
  local none, e = crypto.jwt.verify(expired, secret)
  assert(none == nil and e:kind() == errors.INTERNAL and not e:retryable(), tostring(e))
  assert(tostring(e):find("expired"), tostring(e))
  -- require_exp: a token without exp passes only when it is false
  local forever = crypto.jwt.encode({sub = "x"}, secret)
  none, e = crypto.jwt.verify(forever, secret)
  assert(none == nil and tostring(e):find("exp"), tostring(e))
  assert(crypto.jwt.verify(forever, secret, "HS256", false).sub == "x")
  assert(crypto.jwt.verify(forever, secret, nil, false).sub == "x")
  -- an empty table is an empty claim set
  assert(next(crypto.jwt.verify(crypto.jwt.encode({}, secret), secret, nil, false)) == nil)
  -- nbf in the future
  local early = crypto.jwt.encode({nbf = os.time() + 3600, exp = os.time() + 7200}, secret)
  _, e = crypto.jwt.verify(early, secret)
  assert(e:kind() == errors.INTERNAL and tostring(e):find("not valid yet"), tostring(e))

  -- a wrong secret, another algorithm, a changed claim
  _, e = crypto.jwt.verify(token, "other-secret")
  assert(e:kind() == errors.INTERNAL and tostring(e):find("signature"), tostring(e))
  _, e = crypto.jwt.verify(token, secret, "HS512")
  assert(e:kind() == errors.INTERNAL and tostring(e):find("HS256"), tostring(e))
  local h, _, s = token:match("^([^.]*)%.([^.]*)%.([^.]*)$")
  local forged = h .. "." .. base64.encode(json.encode({sub = "root", exp = os.time() + 60}))
    :gsub("=", ""):gsub("+", "-"):gsub("/", "_") .. "." .. s
  _, e = crypto.jwt.verify(forged, secret)
  assert(e:kind() == errors.INTERNAL, tostring(e))
  -- alg "none" is never accepted
  local unsigned = base64.encode(json.encode({alg = "none"})):gsub("=", "") .. "."
    .. base64.encode(json.encode({sub = "root"})):gsub("=", "") .. "."
  _, e = crypto.jwt.verify(unsigned, secret, "HS256", false)
  assert(e ~= nil, "alg none refused")
  _, e = crypto.jwt.verify(token, secret, "none")
  assert(e:kind() == errors.INVALID, tostring(e))

  -- malformed tokens, bad arguments
  for _, bad in ipairs({"", "invalid.token", "a.b.c", "a.b.c.d", "!!!.???.***"}) do
    local c, e3 = crypto.jwt.verify(bad, secret)
    assert(c == nil and e3:kind() == errors.INVALID, bad .. ": " .. tostring(e3))
  end
  none, e = crypto.jwt.encode(payload, "")
  assert(none == nil and e:kind() == errors.INVALID and tostring(e):find("empty"), tostring(e))
  _, e = crypto.jwt.verify(token, "")
  assert(e:kind() == errors.INVALID)
  _, e = crypto.jwt.encode("not a table", secret)
  assert(e:kind() == errors.INVALID and tostring(e):find("table"), tostring(e))
  _, e = crypto.jwt.encode(payload, secret, "ES256")
  assert(e:kind() == errors.INVALID and tostring(e):find("ES256"), tostring(e))
  _, e = crypto.jwt.encode({f = function() end}, secret)
  assert(e:kind() == errors.INVALID, tostring(e))
  _, e = crypto.jwt.encode({_header = "kid"}, secret)
  assert(e:kind() == errors.INVALID and tostring(e):find("_header"), tostring(e))
  _, e = crypto.jwt.verify(token, secret, "HS256", "no")
  assert(e:kind() == errors.INVALID and tostring(e):find("require_exp"), tostring(e))
  _, e = crypto.jwt.verify(42, secret)
  assert(e:kind() == errors.INVALID)
  return true
end

return { main = main }
