-- types.lua: the run-time values of Wippy's types (host/src/typed/ lowers typed Lua and writes
-- each `type X = ...` declaration as calls into this library, the global `__luabox_types`).
-- Runs once per Lua state, before any entry code, after errors.lua; sets its globals itself.
--
--   type User = {name: string, age: integer @min(0)}
--   local u = User(data)             -- data if it is a User, else raises naming the field
--   local u, err = User:is(data)     -- data, nil or nil, an Invalid error
--   User:kind() == "record"; User:name() == "User"; for name, t in User:fields() do ... end
--   User.age:kind() == "integer"     -- a record's field types are its fields
--   integer("42") == 42; string(7) == "7"; boolean("true") == true; number("1.5") == 1.5
--   typeof(42) == Integer; Integer <= Number; handlers[String] = ...
--
-- A type value is an empty table with the metatable TYPE; what it is lives in INFO[value]
-- (kind, name, and per kind: fields, elem, key, val, inner, members, params, returns, value,
-- validators), so that no raw field hides a method or a record field. `ref` types, which a
-- declaration uses for every type it names, look their target up when first needed, so a
-- declaration may name a type declared after it, or itself.
local type, tostring, tonumber, select, error, pairs, ipairs = type, tostring, tonumber, select,
  error, pairs, ipairs
local setmetatable, rawequal = setmetatable, rawequal
local mtype, tointeger = math.type, math.tointeger
local format, find, concat = string.format, string.find, table.concat
local errors = errors

local INFO = setmetatable({}, { __mode = "k" })
local TYPE = {}
local types = {}

local function new(info)
  local t = setmetatable({}, TYPE)
  INFO[t] = info
  return t
end

local function is_type(v)
  return INFO[v] ~= nil
end

-- The type a ref or a named alias stands for (a ref is looked up once).
local function resolve(t)
  local info = INFO[t]
  while info.kind == "ref" do
    if not info.target then
      local ok, target = pcall(info.get)
      if not ok or not is_type(target) then
        error(format("type '%s' is not defined (or not a type) where it is used", info.ref), 0)
      end
      info.target = target
    end
    info = INFO[info.target]
  end
  return info
end

local function show(t)
  local info = INFO[t]
  if info.name then return info.name end
  if info.kind == "ref" then return info.ref end
  local kind = info.kind
  if kind == "literal" then
    return type(info.value) == "string" and format("%q", info.value) or tostring(info.value)
  elseif kind == "optional" then
    return show(info.inner) .. "?"
  elseif kind == "array" then
    return "{" .. show(info.elem) .. "}"
  elseif kind == "map" then
    return "{[" .. show(info.key) .. "]: " .. show(info.val) .. "}"
  elseif kind == "record" then
    local parts = {}
    for i, f in ipairs(info.fields) do
      parts[i] = f.name .. (f.optional and "?: " or ": ") .. show(f.type)
    end
    return "{" .. concat(parts, ", ") .. "}"
  elseif kind == "union" or kind == "intersection" then
    local parts = {}
    for i, m in ipairs(info.members) do parts[i] = show(m) end
    return concat(parts, kind == "union" and " | " or " & ")
  elseif kind == "function" and info.params then
    local params, returns = {}, {}
    for i, p in ipairs(info.params) do params[i] = show(p) end
    for i, r in ipairs(info.returns) do returns[i] = show(r) end
    return "(" .. concat(params, ", ") .. ") -> " .. (#returns == 1 and returns[1]
      or "(" .. concat(returns, ", ") .. ")")
  elseif kind == "variadic" then
    return "..." .. show(info.inner)
  elseif kind == "validated" then
    return show(info.inner)
  end
  return kind
end

-- A type as written out in full at its top (`{x: number}` rather than `Point`), for messages
-- that already start with the type's name.
local function describe(t)
  local info = INFO[t]
  while info.kind == "ref" and info.target do
    t = info.target
    info = INFO[t]
  end
  return show(t)
end

local function got(v)
  local kind = type(v)
  if kind == "number" then return (mtype(v) == "integer" and "integer " or "number ") .. v end
  if kind == "string" then return format("string %q", #v > 40 and v:sub(1, 40) .. "..." or v) end
  return kind
end

local PRIMITIVE_CHECKS = {
  any = function() return true end,
  unknown = function() return true end,
  self = function() return true end,
  never = function() return false end,
  ["nil"] = function(v) return v == nil end,
  number = function(v) return type(v) == "number" end,
  integer = function(v) return mtype(v) == "integer" end,
  string = function(v) return type(v) == "string" end,
  boolean = function(v) return type(v) == "boolean" end,
  table = function(v) return type(v) == "table" end,
  ["function"] = function(v) return type(v) == "function" end,
  thread = function(v) return type(v) == "thread" end,
  userdata = function(v) return type(v) == "userdata" end,
  error = function(v) return v ~= nil end,
}

local VALIDATORS = {
  min = function(v, n) return type(v) ~= "number" or v >= n, "at least " .. tostring(n) end,
  max = function(v, n) return type(v) ~= "number" or v <= n, "at most " .. tostring(n) end,
  min_len = function(v, n)
    local len = (type(v) == "string" or type(v) == "table") and #v or n
    return len >= n, format("of length at least %d", n)
  end,
  max_len = function(v, n)
    local len = (type(v) == "string" or type(v) == "table") and #v or n
    return len <= n, format("of length at most %d", n)
  end,
  pattern = function(v, p)
    return type(v) ~= "string" or find(v, p) ~= nil, format("matching %q", p)
  end,
}

-- nil if `v` is a `t`, else why not; `path` names where `v` sits ("" at the top).
local function check(t, v, path)
  local info = resolve(t)
  local kind = info.kind
  local where = path == "" and "" or path .. ": "
  local primitive = PRIMITIVE_CHECKS[kind]
  if primitive and not info.params then
    if primitive(v) then return nil end
    return format("%sexpected %s, got %s", where, describe(t), got(v))
  elseif kind == "function" then
    if type(v) == "function" then return nil end
    return format("%sexpected %s, got %s", where, describe(t), got(v))
  elseif kind == "literal" then
    if rawequal(v, info.value) then return nil end
    return format("%sexpected %s, got %s", where, describe(t), got(v))
  elseif kind == "optional" then
    if v == nil then return nil end
    return check(info.inner, v, path)
  elseif kind == "validated" then
    local why = check(info.inner, v, path)
    if why then return why end
    for _, spec in ipairs(info.validators) do
      local ok, wanted = VALIDATORS[spec[1]](v, spec[2])
      if not ok then
        return format("%sexpected %s %s (@%s), got %s", where, describe(info.inner), wanted, spec[1],
          got(v))
      end
    end
    return nil
  elseif kind == "union" then
    for _, member in ipairs(info.members) do
      if check(member, v, path) == nil then return nil end
    end
    return format("%sexpected %s, got %s", where, describe(t), got(v))
  elseif kind == "intersection" then
    for _, member in ipairs(info.members) do
      local why = check(member, v, path)
      if why then return why end
    end
    return nil
  elseif kind == "variadic" then
    return check(info.inner, v, path)
  end
  if type(v) ~= "table" then
    return format("%sexpected %s, got %s", where, describe(t), got(v))
  end
  if kind == "record" then
    for _, f in ipairs(info.fields) do
      local value = v[f.name]
      local at = format("%sfield '%s'", where, f.name)
      if value == nil and not f.optional then
        if check(f.type, nil, "") ~= nil then
          return at .. " is missing"
        end
      elseif value ~= nil then
        local why = check(f.type, value, at)
        if why then return why end
      end
    end
  elseif kind == "array" then
    for i = 1, #v do
      local why = check(info.elem, v[i], format("%s[%d]", path, i))
      if why then return why end
    end
  elseif kind == "map" then
    for k, value in pairs(v) do
      local why = check(info.key, k, format("%skey %s", where, tostring(k)))
        or check(info.val, value, format("%s[%s]", path, tostring(k)))
      if why then return why end
    end
  end
  return nil
end

-- The casts of the primitive types: the value converted, or nil.
local CASTS = {
  string = function(v)
    local kind = type(v)
    if kind == "string" then return v end
    if kind == "number" or kind == "boolean" then return tostring(v) end
  end,
  number = function(v)
    if type(v) == "number" then return v end
    if type(v) == "string" then return tonumber(v) end
  end,
  integer = function(v)
    if type(v) == "string" then v = tonumber(v) end
    if type(v) == "number" then return tointeger(v) end
  end,
  boolean = function(v)
    if type(v) == "boolean" then return v end
    if v == "true" then return true end
    if v == "false" then return false end
  end,
}

local function invalid(t, why)
  return errors.new({ kind = errors.INVALID, message = show(t) .. ": " .. why, retryable = false })
end

-- T:is(v) -> v, nil or nil, err
local function is(t, v)
  local why = check(t, v, "")
  if why then return nil, invalid(t, why) end
  return v, nil
end

local function iterate(list)
  local i = 0
  return function()
    i = i + 1
    return list[i]
  end
end

local METHODS = {
  is = is,
  kind = function(t)
    local info = resolve(t)
    return info.kind == "validated" and INFO[info.inner] and resolve(info.inner).kind or info.kind
  end,
  name = function(t) return INFO[t].name or show(t) end,
  fields = function(t)
    local fields, i = resolve(t).fields or {}, 0
    return function()
      i = i + 1
      local f = fields[i]
      if f then return f.name, f.type end
    end
  end,
  elem = function(t) return resolve(t).elem end,
  key = function(t) return resolve(t).key end,
  val = function(t) return resolve(t).val end,
  inner = function(t) return resolve(t).inner end,
  variants = function(t) return iterate(resolve(t).members or {}) end,
  params = function(t) return iterate(resolve(t).params or {}) end,
  ret = function(t)
    local returns = resolve(t).returns or {}
    return returns[1]
  end,
}

-- Subtyping: a <= b.
local function subtype(a, b)
  if rawequal(a, b) then return true end
  local ia, ib = resolve(a), resolve(b)
  if ia == ib then return true end
  if ib.kind == "any" or ib.kind == "unknown" or ia.kind == "never" then return true end
  if ia.kind == "validated" then return subtype(ia.inner, b) end
  if ib.kind == "optional" then
    return ia.kind == "nil" or (ia.kind == "optional" and subtype(ia.inner, ib.inner))
      or subtype(a, ib.inner)
  end
  if ia.kind == "union" then
    for _, m in ipairs(ia.members) do
      if not subtype(m, b) then return false end
    end
    return true
  end
  if ib.kind == "union" then
    for _, m in ipairs(ib.members) do
      if subtype(a, m) then return true end
    end
    return false
  end
  if ia.kind == "integer" and ib.kind == "number" then return true end
  if ia.kind == "literal" then
    local v = ia.value
    return check(b, v, "") == nil
  end
  if ia.kind == "array" and ib.kind == "array" then return subtype(ia.elem, ib.elem) end
  if ia.kind == "map" and ib.kind == "map" then
    return subtype(ia.key, ib.key) and subtype(ia.val, ib.val)
  end
  if ia.kind == "record" and ib.kind == "record" then
    local by_name = {}
    for _, f in ipairs(ia.fields) do by_name[f.name] = f end
    for _, f in ipairs(ib.fields) do
      local mine = by_name[f.name]
      if not mine then
        if not f.optional then return false end
      elseif not subtype(mine.type, f.type) or (mine.optional and not f.optional) then
        return false
      end
    end
    return true
  end
  return ia.kind == ib.kind and PRIMITIVE_CHECKS[ia.kind] ~= nil and not ia.params
end

TYPE.__name = "type"
TYPE.__metatable = false
TYPE.__index = function(t, key)
  local info = resolve(t)
  if info.fields and type(key) == "string" then
    for _, f in ipairs(info.fields) do
      if f.name == key then return f.type end
    end
  end
  return METHODS[key]
end
TYPE.__newindex = function() error("a type cannot be changed", 2) end
TYPE.__tostring = show
TYPE.__le = subtype
TYPE.__lt = function(a, b) return subtype(a, b) and not subtype(b, a) end
TYPE.__call = function(t, v)
  local info = resolve(t)
  local cast = CASTS[info.kind]
  if cast and info.kind ~= "validated" then
    local converted = cast(v)
    if converted == nil then
      error(format("cannot cast %s to %s", got(v), show(t)), 2)
    end
    return converted
  end
  local why = check(t, v, "")
  if why then error(show(t) .. ": " .. why, 2) end
  return v
end

-- Constructors (what host/src/typed/types.rs emits).
for kind in pairs(PRIMITIVE_CHECKS) do
  types[kind] = new({ kind = kind, name = kind })
end
function types.ref(name, get) return new({ kind = "ref", ref = name, get = get }) end
function types.literal(value) return new({ kind = "literal", value = value }) end
function types.optional(inner) return new({ kind = "optional", inner = inner }) end
function types.array(elem) return new({ kind = "array", elem = elem }) end
function types.map(key, val) return new({ kind = "map", key = key, val = val }) end
function types.union(members) return new({ kind = "union", members = members }) end
function types.intersection(members)
  return new({ kind = "intersection", members = members })
end
function types.variadic(inner) return new({ kind = "variadic", inner = inner }) end
function types.validated(inner, validators)
  return new({ kind = "validated", inner = inner, validators = validators })
end
function types.func(params, returns)
  return new({ kind = "function", params = params, returns = returns })
end
function types.record(fields)
  local list = {}
  for i, f in ipairs(fields) do
    list[i] = { name = f[1], type = f[2], optional = f[3] == true }
  end
  return new({ kind = "record", fields = list })
end
-- `type X = T`: X is T under a name (its own value, so X == X and X ~= T).
function types.named(name, t)
  return new({ kind = "ref", ref = name, name = name, target = t })
end

-- typeof(v): the type of a value (a declared variable's type, where the lowering knows it,
-- is written in its place).
local function typeof(v)
  local kind = type(v)
  if kind == "number" then return mtype(v) == "integer" and types.integer or types.number end
  return types[kind] or types.any
end

__luabox_types = types
_ENV.typeof = typeof
Any, Unknown, Never, Nil = types.any, types.unknown, types.never, types["nil"]
Number, Integer, String, Boolean = types.number, types.integer, types.string, types.boolean
Table, Function = types.table, types["function"]
integer, number, boolean = types.integer, types.number, types.boolean
setmetatable(string, {
  __metatable = false,
  __call = function(_, v)
    local converted = CASTS.string(v)
    if converted == nil then error(format("cannot cast %s to string", got(v)), 2) end
    return converted
  end,
})
