-- The `yaml` module from Lua: Wippy's documented examples, round trips, and its `nil, err`s.
local yaml = require("yaml")

local function fails(err, kind, needle)
  assert(errors.is(err, kind), ("expected %s, got %s"):format(kind, tostring(err)))
  assert(tostring(err):find(needle, 1, true), ("%q not in %q"):format(needle, tostring(err)))
end

local function encode_fails(value, needle, options)
  local out, err = yaml.encode(value, options)
  assert(out == nil, "expected encode to fail")
  fails(err, errors.INVALID, needle)
end

local function decode_fails(text, needle)
  local out, err = yaml.decode(text)
  assert(out == nil, "expected decode to fail: " .. tostring(text))
  fails(err, errors.INVALID, needle)
end

local function same(a, b, path)
  path = path or "value"
  if type(a) ~= "table" or type(b) ~= "table" then
    local nan = a ~= a and b ~= b
    assert(nan or (a == b and math.type(a) == math.type(b)),
      ("%s: %s (%s) ~= %s (%s)"):format(path, tostring(a), math.type(a), tostring(b), math.type(b)))
    return
  end
  for k, v in pairs(a) do
    same(v, b[k], path .. "." .. tostring(k))
  end
  for k in pairs(b) do
    assert(a[k] ~= nil, path .. "." .. tostring(k) .. " is missing")
  end
end

local function round_trip(value)
  local text = assert(yaml.encode(value))
  local back, err = yaml.decode(text)
  assert(err == nil, tostring(err) .. " in\n" .. text)
  same(back, value)
  return text
end

local function wippy_examples()
  assert(yaml.encode({ name = "myapp", port = 8080, debug = true })
    == "debug: true\nname: myapp\nport: 8080\n")
  assert(yaml.encode({ "apple", "banana", "cherry" }) == "- apple\n- banana\n- cherry\n")
  local server = {
    http = { address = ":8080", timeout = "30s" },
    database = { host = "localhost", port = 5432 },
  }
  assert(yaml.encode(server) == 'database:\n  host: localhost\n  port: 5432\nhttp:\n'
    .. '  address: ":8080"\n  timeout: 30s\n', yaml.encode(server))

  local entry = { zebra = 1, alpha = 2, name = "test", kind = "demo" }
  local ordered, err = yaml.encode(entry, { field_order = { "name", "kind" }, sort_unordered = true })
  assert(err == nil and ordered == "name: test\nkind: demo\nalpha: 2\nzebra: 1\n", ordered)
  assert(yaml.encode(entry, { sort_unordered = true }) == "alpha: 2\nkind: demo\nname: test\nzebra: 1\n")

  local config = assert(yaml.decode([[
server:
  host: localhost
  port: 8080
features:
  - auth
  - logging
  - metrics
]]))
  assert(config.server.host == "localhost")
  assert(config.server.port == 8080 and math.type(config.server.port) == "integer")
  assert(config.features[1] == "auth" and #config.features == 3)

  local data = assert(yaml.decode([[
name: test
count: 42
ratio: 3.14
enabled: true
tags:
  - lua
  - wippy
]]))
  assert(type(data.count) == "number" and math.type(data.count) == "integer")
  assert(math.type(data.ratio) == "float" and data.ratio == 3.14)
  assert(type(data.enabled) == "boolean" and type(data.tags) == "table")

  local nested = yaml.decode("parent:\n  child:\n    value: 123\n")
  assert(nested.parent.child.value == 123)
  local original = { name = "test", items = { 1, 2, 3 } }
  assert(yaml.decode(yaml.encode(original)).name == original.name)
end

local function round_trips()
  round_trip({ 1, 2.5, -3, "four", true, false, { nested = { "deep" } } })
  round_trip({ ints = { math.maxinteger, math.mininteger, 0 }, floats = { 1.0, -0.5, 1e300, 0.1 } })
  round_trip({ odd = { "yes", "no", "on", "null", "~", "", "1.0", "0x10", "10:30", "- x", "a: b",
    " padded ", "#hash", "*star", "&amp", "!bang", "<<", "'", '"', "\\", "tab\there", "日本語" } })
  round_trip({ lines = { "a\nb", "a\n", "a\n\n\n", "\nleading", "  indented\nx", "cr\r\nlf" } })
  round_trip({ binary = "\0\255\254bytes" })
  round_trip({ [1] = "a", [3] = "c" })              -- a sparse array is a mapping
  round_trip({ [1] = "one", two = 2, [2.5] = "x" }) -- and so is a table with mixed keys
  round_trip({ [true] = "t", [false] = "f" })
  local special = yaml.decode(yaml.encode({ 0 / 0, math.huge, -math.huge }))
  assert(special[1] ~= special[1] and special[2] == math.huge and special[3] == -math.huge)
  assert(yaml.encode({}) == "[]\n", "the empty table is an empty sequence")
  assert(yaml.encode({ list = {}, text = "multi\nline" }) == "list: []\ntext: |-\n  multi\n  line\n")

  local err_obj = errors.new({ kind = errors.NOT_FOUND, message = "no such user" })
  local as_map = yaml.decode(yaml.encode({ err = err_obj }))
  assert(as_map.err.kind == "NotFound" and as_map.err.message == "no such user")

  local deep = {}
  local node = deep
  for _ = 1, 126 do
    node[1] = {}
    node = node[1]
  end
  round_trip({ deep })
end

local function decoding()
  local doc = assert(yaml.decode([[
defaults: &defaults
  adapter: postgres
  host: localhost
development:
  <<: *defaults
  database: dev
test:
  <<: *defaults
  host: test-db
copy: *defaults
flow: {a: [1, 2], b: {c: ~}}
quoted: "12"
folded: >
  one
  two
literal: |
  x
  y
hex: 0x1F
octal: 0o17
inf: .inf
binary: !!binary aGk=
tagged: !!str 42
]]))
  assert(doc.development.adapter == "postgres" and doc.development.database == "dev")
  assert(doc.test.host == "test-db" and doc.test.adapter == "postgres")
  assert(doc.copy.host == "localhost")
  assert(doc.flow.a[2] == 2 and next(doc.flow.b) == nil)
  assert(doc.quoted == "12" and doc.folded == "one two\n" and doc.literal == "x\ny\n")
  assert(doc.hex == 31 and doc.octal == 15 and doc.inf == math.huge)
  assert(doc.binary == "hi" and doc.tagged == "42")
  assert(yaml.decode("just text") == "just text")
  assert(yaml.decode("42") == 42)
  local none, err = yaml.decode("# only a comment\n")
  assert(none == nil and err == nil, "a stream with no document is nil")
  local keys = yaml.decode("1: one\ntrue: yes\n2.5: x\n")
  assert(keys[1] == "one" and keys[true] == "yes" and keys[2.5] == "x")
  local sparse = yaml.decode("[1, ~, 3]")
  assert(sparse[1] == 1 and sparse[2] == nil and sparse[3] == 3)
end

local function failures()
  -- encode takes a table (Wippy's rule)
  encode_fails("not a table", "yaml.encode: a table expected, got string")
  encode_fails(123, "a table expected, got number")
  encode_fails(nil, "a table expected, got nil")
  encode_fails({ f = print }, "value.f: a function cannot cross")
  local cycle = {}
  cycle.self = cycle
  encode_fails(cycle, "cycle")
  local deep = {}
  local node = deep
  for _ = 1, 200 do
    node[1] = {}
    node = node[1]
  end
  encode_fails(deep, "nested too deep")
  encode_fails({ [{}] = 1 }, "only strings, numbers and booleans can be table keys")
  encode_fails({}, "unknown option \"indent\"", { indent = 4 })
  encode_fails({}, "options.field_order must be a list of strings", { field_order = "name" })
  encode_fails({}, "the options must be a table", "sorted")

  -- decode takes one document of valid YAML
  decode_fails(123, "yaml.decode: the text must be a string")
  decode_fails("", "yaml.decode: empty input")
  decode_fails("  \n", "empty input")
  decode_fails("a: [1,", "at line 2 column 1")
  decode_fails("a: 1\n  b: 2\n", "mapping values are not allowed")
  decode_fails("a: *nowhere\n", "unknown anchor")
  decode_fails("a: 1\n---\nb: 2\n", "line 3: a second document")
  decode_fails("~: 1\n", "a null mapping key")
  decode_fails("? [a, b]\n: 1\n", "mapping keys must be scalars")
  decode_fails("a: &a [1, *a]\n", "an alias inside the node it refers to")
  decode_fails("m:\n  <<: 5\n", "the merge key '<<' takes an alias of a mapping")
  decode_fails("n: !!int twelve\n", "'twelve' is not an integer (!!int)")
  decode_fails("\255\254", "must be UTF-8 text")
end

local function main()
  wippy_examples()
  round_trips()
  decoding()
  failures()
  return true
end

return { main = main }
