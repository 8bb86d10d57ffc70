-- crypto.jwt with RS256 (doc page: "JWT"): PEM keys in PKCS#8, PKCS#1 and SubjectPublicKeyInfo
-- form, and a token signed by OpenSSL (`openssl dgst -sha256 -sign`), so the signatures are
-- RS256 as other implementations make them. The keys are test keys made for this file only.
local crypto = require("crypto")

local PRIVATE_PKCS8 = [[
-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQDEdG8VStS7vZWX
SIA4dBpKxMiJTipXBg5fpK3hfvlrclnkNUVXkSmUDLFg//JZNe82uYDUADTOJ4l2
tRooOYMuEI4kcsnTQ2pkbjXFZgHsnGfkOb0mX4caJlHAPwrdmPRoK/+9y3SE9wTl
MQlp8xYixpikU8JmCO5ohzQP3eQaSy0ZhBV9TYqs52PDlk+6k9PilWfVkYBRP/g3
8nG7xSOPs4u4RRNQCm2IcQbvVGDAEQ3FQu7gNMZrNCbExmsnVXUpb9PcAE5gruFa
aktbhAAPsH6JJpckoi/Z9yj3PRtta2G8tsfD/j5H4HdLLiqhgYcO66obmYgd2kYh
FlYXQiUHAgMBAAECggEARxDllDq/LPD+ebz44TMixbRc5MqZZ2Sh83hTjFSN7o/t
s6+Pl4dEFrHmwrOj3CC2GcJON6Khd4f24rHNtgpkCVhkywuZNerXxF/X5MIrZQgJ
TxaR9Z0t9sgw344OpK3tj/eGqoY8btMa+rvb729HrSnRUvSXyKhncfmi3DCFEPtI
iOtpspgHqdGjwnsnQ2z/XVZNZZWap7sCcNMsjynCBaew4T2PRZZ8lZo5GfGrCr5n
10DvuQaGBnV4s92b9b2BGPsHSsq6TqW/NOBaGqjzwqWDW7NIVd/daYO1gCPb89T8
Z6RtD/B1soYBZaY7x46JpRR7Kb0TzRZzr5GcW4ns8QKBgQD7/dKTRXV397qyr3lA
LWtaa5AX++XEb9JVMxgs2bjZI1VWMW7aobY3dfKB/tGfiKnCnCRe/rQrcl8JeCkq
+LHMCrZvaYtSNn3bm9eibvXCr/Miq19zJFVpNA9ex3gydnrIzbaveqA570U99kKy
fRmr9A52EnvEVrhMCtwKYJOXNwKBgQDHlHN15bGYl3nfGtpCj8NYdNZzRnU/p1ZS
TFuGj1GsSfqGRCAwfonVZPUQ31rUC03NqVGgl3NYM3pZDEDRxB7B2+iVUQ1kB4HB
3Xt4hUqJEv5Q2ClJJUE8I9QB168NplCxrSuohUJ2tfXqAYX6JRUiME18iGdX/6Bl
CyEZShoosQKBgQCsTaaK5NeprE6Ql8OEyom5Tgs9GxTE+OENON6y7Dyk3LAhO7Pc
8u4xhgjIMoELYNsTIskL24U+n/mz8+HSbDLGnhyYmcaV9ISigTE09EI/WSga8KtX
g+STBvHrkODzQGg8nczouCSO+LiT4atBeKDxHvQ0b/cJDXL/K/3BasAAiQKBgQCx
swvavVkTdEueylnrSfW0nNMUcHeU5XmGbVZQyOr/bB8TzTSb+Q7gYbOSAkzs3+O2
ajuzsSWSMsOM5cwQ+X4pPZQo3rH9jnGKG5oEBSoIQlENyml4JyOeWIg7276ReLQA
fx+QPJag/AKpCBIyVzIp7rgPWaQqRgCZ9v7RdZk1AQKBgQDi3A3EKO86gcL1svYw
GB3waUiBx7BydzahwcPF23W4wezZ/cvhLSUupL+U4QyuFeclHnlEqcbiNk8crL6Q
TcKt5cxMNJQpuHW/vbiGY3xhzJk6d5SR+09JRQaVhTa6A4rnq5s4FBXPileB3zt5
7pSQefwaslT2QiZCxJsTOhfO6A==
-----END PRIVATE KEY-----
]]

local PRIVATE_PKCS1 = [[
-----BEGIN RSA PRIVATE KEY-----
MIIEpQIBAAKCAQEAxHRvFUrUu72Vl0iAOHQaSsTIiU4qVwYOX6St4X75a3JZ5DVF
V5EplAyxYP/yWTXvNrmA1AA0zieJdrUaKDmDLhCOJHLJ00NqZG41xWYB7Jxn5Dm9
Jl+HGiZRwD8K3Zj0aCv/vct0hPcE5TEJafMWIsaYpFPCZgjuaIc0D93kGkstGYQV
fU2KrOdjw5ZPupPT4pVn1ZGAUT/4N/Jxu8Ujj7OLuEUTUAptiHEG71RgwBENxULu
4DTGazQmxMZrJ1V1KW/T3ABOYK7hWmpLW4QAD7B+iSaXJKIv2fco9z0bbWthvLbH
w/4+R+B3Sy4qoYGHDuuqG5mIHdpGIRZWF0IlBwIDAQABAoIBAEcQ5ZQ6vyzw/nm8
+OEzIsW0XOTKmWdkofN4U4xUje6P7bOvj5eHRBax5sKzo9wgthnCTjeioXeH9uKx
zbYKZAlYZMsLmTXq18Rf1+TCK2UICU8WkfWdLfbIMN+ODqSt7Y/3hqqGPG7TGvq7
2+9vR60p0VL0l8ioZ3H5otwwhRD7SIjrabKYB6nRo8J7J0Ns/11WTWWVmqe7AnDT
LI8pwgWnsOE9j0WWfJWaORnxqwq+Z9dA77kGhgZ1eLPdm/W9gRj7B0rKuk6lvzTg
Whqo88Klg1uzSFXf3WmDtYAj2/PU/GekbQ/wdbKGAWWmO8eOiaUUeym9E80Wc6+R
nFuJ7PECgYEA+/3Sk0V1d/e6sq95QC1rWmuQF/vlxG/SVTMYLNm42SNVVjFu2qG2
N3Xygf7Rn4ipwpwkXv60K3JfCXgpKvixzAq2b2mLUjZ925vXom71wq/zIqtfcyRV
aTQPXsd4MnZ6yM22r3qgOe9FPfZCsn0Zq/QOdhJ7xFa4TArcCmCTlzcCgYEAx5Rz
deWxmJd53xraQo/DWHTWc0Z1P6dWUkxbho9RrEn6hkQgMH6J1WT1EN9a1AtNzalR
oJdzWDN6WQxA0cQewdvolVENZAeBwd17eIVKiRL+UNgpSSVBPCPUAdevDaZQsa0r
qIVCdrX16gGF+iUVIjBNfIhnV/+gZQshGUoaKLECgYEArE2miuTXqaxOkJfDhMqJ
uU4LPRsUxPjhDTjesuw8pNywITuz3PLuMYYIyDKBC2DbEyLJC9uFPp/5s/Ph0mwy
xp4cmJnGlfSEooExNPRCP1koGvCrV4Pkkwbx65Dg80BoPJ3M6Lgkjvi4k+GrQXig
8R70NG/3CQ1y/yv9wWrAAIkCgYEAsbML2r1ZE3RLnspZ60n1tJzTFHB3lOV5hm1W
UMjq/2wfE800m/kO4GGzkgJM7N/jtmo7s7ElkjLDjOXMEPl+KT2UKN6x/Y5xihua
BAUqCEJRDcppeCcjnliIO9u+kXi0AH8fkDyWoPwCqQgSMlcyKe64D1mkKkYAmfb+
0XWZNQECgYEA4twNxCjvOoHC9bL2MBgd8GlIgcewcnc2ocHDxdt1uMHs2f3L4S0l
LqS/lOEMrhXnJR55RKnG4jZPHKy+kE3CreXMTDSUKbh1v724hmN8YcyZOneUkftP
SUUGlYU2ugOK56ubOBQVz4pXgd87ee6UkHn8GrJU9kImQsSbEzoXzug=
-----END RSA PRIVATE KEY-----
]]

local PUBLIC_SPKI = [[
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxHRvFUrUu72Vl0iAOHQa
SsTIiU4qVwYOX6St4X75a3JZ5DVFV5EplAyxYP/yWTXvNrmA1AA0zieJdrUaKDmD
LhCOJHLJ00NqZG41xWYB7Jxn5Dm9Jl+HGiZRwD8K3Zj0aCv/vct0hPcE5TEJafMW
IsaYpFPCZgjuaIc0D93kGkstGYQVfU2KrOdjw5ZPupPT4pVn1ZGAUT/4N/Jxu8Uj
j7OLuEUTUAptiHEG71RgwBENxULu4DTGazQmxMZrJ1V1KW/T3ABOYK7hWmpLW4QA
D7B+iSaXJKIv2fco9z0bbWthvLbHw/4+R+B3Sy4qoYGHDuuqG5mIHdpGIRZWF0Il
BwIDAQAB
-----END PUBLIC KEY-----
]]

local PUBLIC_PKCS1 = [[
-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAxHRvFUrUu72Vl0iAOHQaSsTIiU4qVwYOX6St4X75a3JZ5DVFV5Ep
lAyxYP/yWTXvNrmA1AA0zieJdrUaKDmDLhCOJHLJ00NqZG41xWYB7Jxn5Dm9Jl+H
GiZRwD8K3Zj0aCv/vct0hPcE5TEJafMWIsaYpFPCZgjuaIc0D93kGkstGYQVfU2K
rOdjw5ZPupPT4pVn1ZGAUT/4N/Jxu8Ujj7OLuEUTUAptiHEG71RgwBENxULu4DTG
azQmxMZrJ1V1KW/T3ABOYK7hWmpLW4QAD7B+iSaXJKIv2fco9z0bbWthvLbHw/4+
R+B3Sy4qoYGHDuuqG5mIHdpGIRZWF0IlBwIDAQAB
-----END RSA PUBLIC KEY-----
]]

-- {"alg":"RS256","typ":"JWT","kid":"openssl"}.{"iss":"openssl","sub":"interop","exp":4102444800}
local OPENSSL_TOKEN = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Im9wZW5zc2wifQ.eyJpc3MiOiJvcGVuc3NsIiwic3ViIjoiaW50ZXJvcCIsImV4cCI6NDEwMjQ0NDgwMH0.nvXbp0dZwr8nBsR04MpKSmbGIXWz5V56GPEOl_r8OTie0j54tc-iMa9sgIjUgKlthQaKi5Seo8s5nEJ_aW6dwBoLYFVGqtf8fYM6mVmKWABQNHH-BAeRYm7KtSmf184sNxi0ZQz7MgqRR0sMghcSRvIs4cZc4zx4JJRKdn-LnbCkz5MjZggIUb3tnncCppx9XJ9h99Uw6PLMSA7e-zGjYI1iUw764tVUH2uvmAZxJA6ErpZ9BgFgkxudsXwtIc4VHjEwgrAhBMyQ0QQJgUkIq9LPrYOrlypt70xVe5HQHzn_AGJqYbeBWzWxkAT3BJtbFu7-kedjqBHQXHRe7YSigw"

local function main()
  local payload = {
    iss = "service-account@example.com",
    aud = "https://auth.example.com/token",
    exp = os.time() + 3600,
    iat = os.time(),
    _header = {kid = "key-id-12345"},
  }

  -- Encode with a PEM private key; verify with the PEM public key
  for _, private in ipairs({PRIVATE_PKCS8, PRIVATE_PKCS1}) do
    local token, err = crypto.jwt.encode(payload, private, "RS256")
    assert(err == nil, tostring(err))
    for _, public in ipairs({PUBLIC_SPKI, PUBLIC_PKCS1}) do
      local claims, err2 = crypto.jwt.verify(token, public, "RS256")
      assert(err2 == nil, tostring(err2))
      assert(claims.iss == "service-account@example.com" and claims._header == nil)
    end
  end

  -- a token OpenSSL signed
  local claims, err = crypto.jwt.verify(OPENSSL_TOKEN, PUBLIC_SPKI, "RS256")
  assert(err == nil, tostring(err))
  assert(claims.sub == "interop" and claims.exp == 4102444800)

  -- the wrong key kinds, a changed token, an HS token presented as RS256
  local token = crypto.jwt.encode(payload, PRIVATE_PKCS8, "RS256")
  local _, e = crypto.jwt.verify(token, PRIVATE_PKCS8, "RS256")
  assert(e:kind() == errors.INVALID and tostring(e):find("public key"), tostring(e))
  _, e = crypto.jwt.encode(payload, PUBLIC_SPKI, "RS256")
  assert(e:kind() == errors.INVALID and tostring(e):find("private key"), tostring(e))
  _, e = crypto.jwt.encode(payload, "not a pem", "RS256")
  assert(e:kind() == errors.INVALID and tostring(e):find("PEM"), tostring(e))
  _, e = crypto.jwt.verify(token, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    "RS256")
  assert(e:kind() == errors.INVALID, tostring(e))
  _, e = crypto.jwt.verify(token:sub(1, -3) .. (token:sub(-2, -2) == "A" and "BA" or "AA"),
    PUBLIC_SPKI, "RS256")
  assert(e:kind() == errors.INTERNAL, tostring(e))
  -- algorithm confusion: the public key used as an HMAC secret does not pass
  local hs = crypto.jwt.encode({exp = os.time() + 60}, PUBLIC_SPKI, "HS256")
  _, e = crypto.jwt.verify(hs, PUBLIC_SPKI, "RS256")
  assert(e:kind() == errors.INTERNAL and tostring(e):find("HS256"), tostring(e))
  _, e = crypto.jwt.verify(token, PUBLIC_SPKI)
  assert(e:kind() == errors.INTERNAL and tostring(e):find("RS256"), tostring(e))
  return true
end

return { main = main }
