local json = require("json")

local function fails(value, needle)
  local out, err = json.encode(value)
  assert(out == nil, "expected encode to fail")
  assert(errors.is(err, errors.INVALID), "encode errors are Invalid: " .. tostring(err))
  assert(tostring(err):find(needle, 1, true), ("%q not in %q"):format(needle, tostring(err)))
end

local function main()
  -- encode: shapes
  assert(json.encode({}) == "[]", "empty table is an array")
  assert(json.encode({ 1, 2, 3 }) == "[1,2,3]")
  assert(json.encode({ a = 1 }) == '{"a":1}')
  assert(json.encode({ b = { true, false }, a = "x" }) == '{"a":"x","b":[true,false]}')
  assert(json.encode("line\n\"q\"") == '"line\\n\\"q\\""')
  assert(json.encode(1.5) == "1.5")
  assert(json.encode(42) == "42")
  assert(json.encode(nil) == "null")
  assert(json.encode(0 / 0) == "null", "NaN is null")
  assert(json.encode(math.huge) == "null", "infinity is null")
  assert(json.encode("héllo") == '"héllo"')
  -- encode: values with no JSON form
  fails({ 1, nil, 3 }, "sparse array")
  fails({ 1, 2, x = 3 }, "mixing key types")
  fails({ f = print }, "value.f: a function")
  local cycle = {}
  cycle.self = cycle
  fails(cycle, "cycle")
  local deep = {}
  local node = deep
  for _ = 1, 200 do
    node[1] = {}
    node = node[1]
  end
  fails(deep, "nested too deep")
  fails("\255\254", "not UTF-8")

  -- decode
  local v = json.decode('{"a":[1,2,{"b":null}],"s":"x","f":1.25,"t":true}')
  assert(v.a[1] == 1 and v.a[2] == 2 and v.a[3].b == nil and v.s == "x")
  assert(v.f == 1.25 and v.t == true)
  assert(math.type(json.decode("3")) == "integer")
  assert(math.type(json.decode("3.0")) == "float")
  assert(json.decode('"s"') == "s")
  assert(json.decode("null") == nil)
  assert(#json.decode("[]") == 0)
  assert(json.decode(json.encode("héllo")) == "héllo")
  local big = json.decode("12345678901234567890")
  assert(math.type(big) == "float", "integers beyond 64 bits become floats")

  local out, err = json.decode("")
  assert(out == nil and errors.is(err, errors.INVALID) and tostring(err):find("empty"))
  out, err = json.decode("[1,")
  assert(out == nil and errors.is(err, errors.INVALID))
  assert(tostring(err):find("line 1"), tostring(err))
  out, err = json.decode(123)
  assert(out == nil and errors.is(err, errors.INVALID))
  out, err = json.decode(string.rep("[", 300) .. string.rep("]", 300))
  assert(out == nil and tostring(err):find("recursion"), tostring(err))
  return true
end

return { main = main }
