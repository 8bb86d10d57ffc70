-- registry.lua: the Lua face of the `registry` module (Wippy: wippyai/docs en/lua/core/registry.md);
-- mod_registry.c reads from the host, host/src/registry/ holds the entries and their versions.
--
--   local entry, err = registry.get("app:hello")       -- {id, kind, meta, data}
--   local tests = registry.find({type = "test"})       -- plain keys mean meta.* (docs/architecture.md §6)
--   local fns = registry.find({[".kind"] = "function.lua", ["meta.tags"] = "api"})
--   registry.parse_id("app.api:get_user")              -- {ns = "app.api", name = "get_user"}
--   local snap = registry.snapshot()                   -- snap:get/find/entries/namespace/version
--   local changes = snap:changes()                     -- create/update/delete, then apply
--   changes:create({id = "app:room.a", kind = "registry.entry", meta = {type = "room"}})
--   local version, err = changes:apply()               -- a Version: id() string() previous() next()
--
-- The loaded entries are version 0 ("v0") and each applied changeset makes the next; luabox
-- keeps the last 64. Only data changes at run time: registry.entry entries and kinds luabox does not build.
local raw = ...
local errors = errors
local type, setmetatable, getmetatable, tostring, ipairs = type, setmetatable, getmetatable, tostring, ipairs
local math_type = math.type
local utf8_len = utf8.len

local registry = {}

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = message, retryable = false })
end

local function bad_id(id, what)
  if type(id) ~= "string" or id == "" or utf8_len(id) == nil then
    return what .. " expects an entry id (UTF-8 text)"
  end
end

-- Versions -------------------------------------------------------------------------------------

local Version = {}
Version.__index = Version
Version.__name = "registry.version"

local function version_of(n)
  return setmetatable({ _id = n }, Version)
end

function Version.__tostring(v)
  return "registry version " .. v._id
end

function Version.__eq(a, b)
  return a._id == b._id
end

function Version:id()
  return self._id
end

function Version:string()
  return "v" .. self._id
end

-- The kept version nearest to `v` in direction `step` (-1 or 1), or nil.
local function neighbour(v, step)
  local _, kept = raw.versions()
  if not kept then return nil end
  local best
  for _, n in ipairs(kept) do
    if (step < 0 and n < v._id and (not best or n > best))
      or (step > 0 and n > v._id and (not best or n < best)) then
      best = n
    end
  end
  return best and version_of(best) or nil
end

function Version:previous()
  return neighbour(self, -1)
end

function Version:next()
  return neighbour(self, 1)
end

-- A version number from `v` (a Version or an integer), or nil and the error.
local function version_number(v, what)
  if getmetatable(v) == Version then return v._id end
  if math_type(v) == "integer" and v >= 0 then return v end
  return invalid(what .. " expects a version (a Version or an integer from 0)")
end

function registry.current_version()
  local current, err = raw.versions()
  if not current then return nil, err end
  return version_of(current)
end

function registry.versions()
  local current, kept = raw.versions()
  if not current then return nil, kept end
  local out = {}
  for i, n in ipairs(kept) do
    out[i] = version_of(n)
  end
  return out
end

function registry.apply_version(v)
  local n, err = version_number(v, "registry.apply_version")
  if not n then return nil, err end
  local applied
  applied, err = raw.apply_version(n)
  if not applied then return nil, err end
  return true
end

-- Snapshots ------------------------------------------------------------------------------------

local Snapshot = {}
Snapshot.__index = Snapshot
Snapshot.__name = "registry.snapshot"

-- A snapshot of version `n`, if the host keeps it.
local function snapshot(n)
  local current, kept = raw.versions()
  if not current then return nil, kept end
  for _, k in ipairs(kept) do
    if k == n then return setmetatable({ _version = n }, Snapshot) end
  end
  return nil, errors.new({ kind = errors.NOT_FOUND, retryable = false,
    message = "no registry version " .. n .. " (the versions kept are " .. kept[1] .. " to "
      .. kept[#kept] .. ")" })
end

function registry.snapshot()
  local current, err = raw.versions()
  if not current then return nil, err end
  return setmetatable({ _version = current }, Snapshot)
end

function registry.snapshot_at(v)
  local n, err = version_number(v, "registry.snapshot_at")
  if not n then return nil, err end
  return snapshot(n)
end

function Snapshot:version()
  return version_of(self._version)
end

function Snapshot:get(id)
  local bad = bad_id(id, "snap:get")
  if bad then return invalid(bad) end
  return raw.get(id, self._version)
end

function Snapshot:find(filter)
  if filter == nil then
    filter = {}
  elseif type(filter) ~= "table" then
    return invalid("snap:find expects a table")
  end
  return raw.find(filter, self._version)
end

function Snapshot:entries()
  return raw.find({}, self._version)
end

function Snapshot:namespace(ns)
  if type(ns) ~= "string" or ns == "" then
    return invalid("snap:namespace expects a namespace")
  end
  return raw.find({ [".ns"] = ns }, self._version)
end

-- Changesets -----------------------------------------------------------------------------------

local Changes = {}
Changes.__index = Changes
Changes.__name = "registry.changes"

function Snapshot:changes()
  return setmetatable({ _ops = {} }, Changes)
end

local function add(changes, kind, entry)
  if type(entry) ~= "table" then
    error("bad argument #1 to '" .. kind .. "' (an entry table {id, kind, meta, data} expected)", 3)
  end
  changes._ops[#changes._ops + 1] = { kind = kind, entry = entry }
  return changes
end

function Changes:create(entry)
  return add(self, "entry.create", entry)
end

function Changes:update(entry)
  return add(self, "entry.update", entry)
end

function Changes:delete(id)
  if type(id) == "table" and type(id.ns) == "string" and type(id.name) == "string" then
    id = id.ns .. ":" .. id.name
  end
  if type(id) ~= "string" then
    error("bad argument #1 to 'delete' (an entry id or {ns, name} expected)", 2)
  end
  return add(self, "entry.delete", { id = id })
end

function Changes:ops()
  local out = {}
  for i, op in ipairs(self._ops) do
    out[i] = { kind = op.kind, entry = op.entry }
  end
  return out
end

function Changes:apply()
  local version, err = raw.apply(self._ops)
  if not version then return nil, err end
  self._ops = {}
  return version_of(version)
end

-- History --------------------------------------------------------------------------------------

local History = {}
History.__index = History
History.__name = "registry.history"

function registry.history()
  return setmetatable({}, History)
end

function History:versions()
  return registry.versions()
end

function History:get_version(v)
  local n, err = version_number(v, "hist:get_version")
  if not n then return nil, err end
  local snap
  snap, err = snapshot(n)
  if not snap then return nil, err end
  return version_of(n)
end

function History:snapshot_at(v)
  return registry.snapshot_at(v)
end

-- Entries --------------------------------------------------------------------------------------

function registry.get(id)
  local bad = bad_id(id, "registry.get")
  if bad then return invalid(bad) end
  return raw.get(id)
end

function registry.find(filter)
  if filter == nil then
    filter = {}
  elseif type(filter) ~= "table" then
    return invalid("registry.find expects a table")
  end
  return raw.find(filter)
end

function registry.build_delta(from, to)
  if type(from) ~= "table" or type(to) ~= "table" then
    return invalid("registry.build_delta expects two lists of entries")
  end
  return raw.build_delta(from, to)
end

function registry.parse_id(id)
  if type(id) ~= "string" then
    return invalid("registry.parse_id expects a string")
  end
  local ns, name = id:match("^([^:]*):([^:]+)$")
  if not ns then
    return invalid("invalid entry id '" .. id .. "' (expected namespace:name)")
  end
  return { ns = ns, name = name }
end

return registry
