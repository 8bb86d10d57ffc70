-- registry.lua: the Lua face of the `registry` module (mod_registry.c reads from the host).
--
--   local entry, err = registry.get("app:hello")       -- {id, kind, meta, data}
--   local tests = registry.find({type = "test"})       -- plain keys mean meta.* (docs/architecture.md §6)
--   local fns = registry.find({[".kind"] = "function.lua", ["meta.tags"] = "api"})
--   registry.parse_id("app.api:get_user")              -- {ns = "app.api", name = "get_user"}
local raw = ...
local errors = errors
local type = type

local registry = {}

function registry.get(id)
  if type(id) ~= "string" or id == "" or utf8.len(id) == nil then
    return nil, errors.new({ kind = errors.INVALID,
      message = "registry.get expects an entry id (UTF-8 text)" })
  end
  return raw.get(id)
end

function registry.find(filter)
  if filter == nil then
    filter = {}
  elseif type(filter) ~= "table" then
    return nil, errors.new({ kind = errors.INVALID, message = "registry.find expects a table" })
  end
  return raw.find(filter)
end

function registry.parse_id(id)
  if type(id) ~= "string" then
    return nil, errors.new({ kind = errors.INVALID, message = "registry.parse_id expects a string" })
  end
  local ns, name = id:match("^([^:]*):([^:]+)$")
  if not ns then
    return nil, errors.new({ kind = errors.INVALID,
      message = "invalid entry id '" .. id .. "' (expected namespace:name)" })
  end
  return { ns = ns, name = name }
end

return registry
