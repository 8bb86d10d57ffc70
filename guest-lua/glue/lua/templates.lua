-- templates.lua: the Lua face of the `templates` module (Wippy: wippyai/docs en/lua/text/template.md);
-- mod_templates.c holds the raw calls, host/src/modules/templates/ renders.
--
--   local templates = require("templates")
--   local set, err = templates.get("app.views:emails")        -- a template.set entry
--   local html, err = set:render("welcome", {user = {name = "Alice"}})   -- text | nil, err
--   set:release()                                             -- true; later renders fail
--
-- A Set holds the set's full id; the host keeps nothing per set, so release() only marks it.
-- Failures are `nil, err`: Invalid (empty id or name), NotFound, PermissionDenied, and
-- Internal (a render error at the template's file and line, or a released set).
local raw = ...
local errors = errors
local type, setmetatable, getmetatable, rawget, rawset = type, setmetatable, getmetatable, rawget, rawset
local utf8_len = utf8.len
local raw_get, raw_render = raw.get, raw.render

local function fail(kind, message)
  return nil, errors.new({ kind = kind, message = message, retryable = false })
end

-- Nil when `value` is non-empty text, else the error message.
local function bad_text(value, what)
  if type(value) ~= "string" then
    return what .. " must be a string, got " .. type(value)
  elseif value == "" then
    return what .. " must not be empty"
  elseif utf8_len(value) == nil then
    return what .. " must be UTF-8 text"
  end
end

-- The host's error with `retryable = false`: Wippy's page marks every failure of the module
-- not retryable, which the host's Internal kind alone does not say.
local function settled(value, err)
  if value ~= nil or err == nil or err:retryable() ~= nil then return value, err end
  return fail(err:kind(), err:message())
end

-- Private fields of a Set, under keys user code cannot name.
local ID, RELEASED = {}, {}

local Set = {}
local mt = {
  __index = Set,
  __name = "templates.set",
  __tostring = function(s) return "template set: " .. rawget(s, ID) end,
}

function Set.render(s, name, data)
  if type(s) ~= "table" or getmetatable(s) ~= mt then
    return fail(errors.INVALID, "templates: call render with a colon on a set: set:render(name, data)")
  end
  if rawget(s, RELEASED) then
    return fail(errors.INTERNAL, "template set '" .. rawget(s, ID) .. "' was already released")
  end
  local problem = bad_text(name, "set:render: the template name")
  if problem then return fail(errors.INVALID, problem) end
  if data ~= nil and type(data) ~= "table" then
    return fail(errors.INVALID, "set:render: the data must be a table, got " .. type(data))
  end
  return settled(raw_render(rawget(s, ID), name, data))
end

function Set.release(s)
  if type(s) ~= "table" or getmetatable(s) ~= mt or rawget(s, RELEASED) then
    return false
  end
  rawset(s, RELEASED, true)
  return true
end

local templates = {}

function templates.get(id)
  local problem = bad_text(id, "templates.get: the set id")
  if problem then return fail(errors.INVALID, problem) end
  local full, err = settled(raw_get(id))
  if not full then return nil, err end
  return setmetatable({ [ID] = full }, mt)
end

return templates
