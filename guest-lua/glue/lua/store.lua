-- store.lua: the Lua face of the `store` module (mod_store.c holds the raw calls; the host side
-- is host/src/modules/store.rs, the stores themselves host/src/store/).
--
--   local store = require("store")
--   local cache, err = store.get("cache")       -- a store.* entry granted in resources:
--   cache:set("user:1", {name = "ada"}, 60)      -- true | nil, err; ttl in seconds, optional
--   local user, err = cache:get("user:1")        -- the value | nil, NotFound error
--   cache:has("user:1"), cache:delete("user:1")  -- booleans
--   cache:release()                              -- later calls: nil, Invalid error
--
-- Keys are non-empty UTF-8 strings (at most 1 KiB); values any Lua data the sandbox can pass on
-- (tables, strings, numbers, booleans), stored with their types. Failures are `nil, err`.
local raw = ...
local errors = errors
local type, tostring, setmetatable, rawget, select = type, tostring, setmetatable, rawget, select
local utf8_len = utf8.len
local raw_open, raw_get, raw_set, raw_has, raw_delete, raw_release =
  raw.open, raw.get, raw.set, raw.has, raw.delete, raw.release

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = message, retryable = false })
end

-- Private fields of a Store object, under keys user code cannot name.
local NUMBER, ID = {}, {}

local Store = {}
local mt = {
  __index = Store,
  __name = "store",
  __tostring = function(s) return "store: " .. rawget(s, ID) end,
  -- A store object that is collected without release() is released then.
  __gc = function(s)
    local n = rawget(s, NUMBER)
    if n then raw_release(n) end
  end,
}

-- The store number of `s` for method `name`, or nil and the error to return.
local function number_of(s, name)
  if type(s) ~= "table" or rawget(s, ID) == nil then
    return invalid("store: call " .. name .. " with a colon on a store: s:" .. name .. "(...)")
  end
  local n = rawget(s, NUMBER)
  if not n then
    return invalid("store '" .. rawget(s, ID) .. "' was released (store.get opens it again)")
  end
  return n
end

-- Nil when `key` is usable, else the error message.
local function bad_key(key)
  if type(key) ~= "string" then
    return "store: the key must be a string, got " .. type(key)
  elseif utf8_len(key) == nil then
    return "store: the key must be UTF-8 text"
  end
end

local function keyed(name, call)
  return function(s, key)
    local n, err = number_of(s, name)
    if not n then return nil, err end
    local problem = bad_key(key)
    if problem then return invalid(problem) end
    return call(n, key)
  end
end

Store.get = keyed("get", raw_get)
Store.has = keyed("has", raw_has)
Store.delete = keyed("delete", raw_delete)

function Store.set(s, key, ...)
  local n, err = number_of(s, "set")
  if not n then return nil, err end
  local problem = bad_key(key)
  if problem then return invalid(problem) end
  local value, ttl = ...
  if value == nil then
    return invalid("store: the value is nil (s:delete(key) removes a key)")
  end
  if ttl ~= nil and type(ttl) ~= "number" then
    return invalid("store: the ttl must be a number of seconds, got " .. type(ttl))
  end
  if select("#", ...) > 2 then
    return invalid("store: set takes a key, a value and a ttl")
  end
  return raw_set(n, key, value, ttl)
end

function Store.release(s)
  local n, err = number_of(s, "release")
  if n then
    s[NUMBER] = nil
    raw_release(n)
  elseif type(s) ~= "table" or rawget(s, ID) == nil then
    return nil, err
  end
end

local store = {}

function store.get(id)
  if type(id) ~= "string" then
    return invalid("store.get expects a store entry id (a string), got " .. type(id))
  elseif utf8_len(id) == nil then
    return invalid("store.get: the id must be UTF-8 text")
  end
  local n, full_id = raw_open(id)
  if not n then return nil, full_id end
  return setmetatable({ [NUMBER] = n, [ID] = full_id }, mt)
end

return store
