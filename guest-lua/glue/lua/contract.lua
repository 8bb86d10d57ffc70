-- contract.lua: the Lua face of the `contract` module (Wippy: wippyai/docs en/lua/core/contract.md);
-- mod_contract.c holds the raw calls, host/src/modules/contract.rs the lookups and calls.
--
--   local contract = require("contract")
--   local greeter, err = contract.open("app:greeter_impl")          -- a contract.binding
--   local text, err = greeter:greet_with_name("Alice")              -- calls the bound function
--   local future = greeter:greet_with_name_async("Bob")             -- future:result()
--   local c = contract.get("app:greeter")                            -- c:methods(), c:open()
--   local svc = c:with_context({tenant = "acme"}):with_options({retry = {max_attempts = 3}}):open()
--   contract.is(greeter, "app:greeter"), contract.find_implementations("app:greeter")
--
-- An instance's scope (open's second argument, the binding id's query parameters, a Contract's
-- with_context) is handed to every method call as context values (ctx.get in the
-- implementation), over the caller's own context.
local raw, load_part = ...
local errors = errors
local type, pairs, ipairs, rawget, setmetatable, getmetatable, tostring = type, pairs, ipairs, rawget,
  setmetatable, getmetatable, tostring
local tointeger, tonumber = math.tointeger, tonumber
local find, sub, gsub, gmatch = string.find, string.sub, string.gsub, string.gmatch

local contract = {}

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = "contract: " .. message,
    retryable = false })
end

local function copy(t, into)
  into = into or {}
  for k, v in pairs(t or {}) do into[k] = v end
  return into
end

-- Query parameters of a binding id: "true"/"false" are booleans, numbers are numbers.
local function query_value(text)
  if text == "true" then return true elseif text == "false" then return false end
  return tointeger(tonumber(text)) or tonumber(text) or text
end

local function unescape(text)
  return (gsub(gsub(text, "+", " "), "%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- "ns:name?a=1&b=x" -> "ns:name", {a = 1, b = "x"}
local function split_query(id)
  local at = find(id, "?", 1, true)
  if not at then return id, {} end
  local params = {}
  for pair in gmatch(sub(id, at + 1), "[^&]+") do
    local eq = find(pair, "=", 1, true)
    if eq then
      params[unescape(sub(pair, 1, eq - 1))] = query_value(unescape(sub(pair, eq + 1)))
    else
      params[unescape(pair)] = true
    end
  end
  return sub(id, 1, at - 1), params
end

-- Futures of `_async` calls.
local new_future = load_part("call_future")(raw.await, raw.is_ready, raw.cancel)

-- Instances: an opened binding whose methods are calls -----------------------------------------

local Instance = {}
local BINDING, SCOPE, OPTIONS, CONTRACTS, METHODS = {}, {}, {}, {}, {}

local function instance_method(self, name)
  if type(name) ~= "string" then return nil end
  local base = name
  local async = sub(name, -6) == "_async"
  if async then base = sub(name, 1, -7) end
  if not rawget(self, METHODS)[base] then
    return nil
  end
  return function(inst, ...)
    if inst ~= self then
      error("contract: call " .. name .. " with a colon: instance:" .. name .. "(...)", 2)
    end
    local binding, scope, options = rawget(self, BINDING), rawget(self, SCOPE), rawget(self, OPTIONS)
    if async then
      local handle, err = raw.start(binding, base, scope, options, ...)
      if not handle then return nil, err end
      return new_future(handle)
    end
    return raw.call(binding, base, scope, options, ...)
  end
end

local instance_mt = {
  __name = "contract.instance",
  __index = instance_method,
  __tostring = function(self) return "contract instance " .. rawget(self, BINDING) end,
}

local function open_binding(id, scope, options)
  if type(id) ~= "string" or id == "" then
    return invalid("a binding id (namespace:name) is needed")
  end
  if scope ~= nil and type(scope) ~= "table" then return invalid("the scope must be a table") end
  if options ~= nil and type(options) ~= "table" then return invalid("the options must be a table") end
  local binding_id, params = split_query(id)
  local info, err = raw.open(binding_id)
  if not info then return nil, err end
  local methods = {}
  for _, name in ipairs(info.methods) do methods[name] = true end
  local contracts = {}
  for _, c in ipairs(info.contracts) do contracts[c] = true end
  return setmetatable({
    [BINDING] = info.id, [SCOPE] = copy(scope, copy(params)), [OPTIONS] = copy(options),
    [CONTRACTS] = contracts, [METHODS] = methods,
  }, instance_mt)
end

function contract.open(id, scope, options)
  return open_binding(id, scope, options)
end

function contract.is(instance, contract_id)
  if getmetatable(instance) ~= instance_mt or type(contract_id) ~= "string" then return false end
  return rawget(instance, CONTRACTS)[contract_id] == true
end

-- Contracts: definitions, to inspect and open -------------------------------------------------

local Contract = {}
Contract.__index = Contract
Contract.__name = "contract"

function contract.get(id)
  if type(id) ~= "string" or id == "" then return invalid("a contract id is needed") end
  local info, err = raw.get(id)
  if not info then return nil, err end
  return setmetatable({ _id = info.id, _methods = info.methods, _scope = {}, _options = {} }, Contract)
end

function contract.find_implementations(id)
  if type(id) ~= "string" or id == "" then return invalid("a contract id is needed") end
  return raw.implementations(id)
end

function Contract:id()
  return self._id
end

local function method_view(m)
  return { name = m.name, description = m.description or "",
    input_schemas = m.input_schemas or {}, output_schemas = m.output_schemas or {} }
end

function Contract:methods()
  local out = {}
  for i, m in ipairs(self._methods) do out[i] = method_view(m) end
  return out
end

function Contract:method(name)
  for _, m in ipairs(self._methods) do
    if m.name == name then return method_view(m) end
  end
  return nil, errors.new({ kind = errors.NOT_FOUND, retryable = false,
    message = "contract '" .. self._id .. "' has no method '" .. tostring(name) .. "'" })
end

function Contract:implementations()
  return raw.implementations(self._id)
end

local function derived(self, field, values, what)
  if type(values) ~= "table" then
    error("bad argument #1 to '" .. what .. "' (table expected, got " .. type(values) .. ")", 3)
  end
  local c = setmetatable(copy(self), Contract)
  c[field] = copy(values, copy(self[field]))
  return c
end

function Contract:with_context(values)
  return derived(self, "_scope", values, "with_context")
end

function Contract:with_options(options)
  return derived(self, "_options", options, "with_options")
end

function Contract:open(binding_id, scope)
  if binding_id == nil then
    local err
    binding_id, err = raw.default_binding(self._id)
    if not binding_id then return nil, err end
  end
  local inst, err = open_binding(binding_id, copy(scope, copy(self._scope)), self._options)
  if not inst then return nil, err end
  if not contract.is(inst, self._id) then
    return invalid("binding '" .. binding_id .. "' does not implement contract '" .. self._id .. "'")
  end
  return inst
end

return contract
