-- system.lua: the Lua face of the `system` module (Wippy: wippyai/docs en/lua/system/system.md),
-- nested tables over mod_system.c's raw functions. What each answer means in luabox:
--
--   system.memory.*      this sandbox's Lua heap (alloc) and wasm linear memory (sys); fields Go
--                        has and Lua does not track are 0; get_limit is the entry's limits.memory
--   system.gc.*          this sandbox's Lua collector; percent is Go's GOGC, Lua's pause - 100
--   system.runtime.*     goroutines = the host's live tokio tasks, max_procs = its worker threads
--   system.process.*     the host process (pid, hostname, cwd)
--   system.node/cluster/raft/lock   a standalone node, as the page describes one
--
-- Calls that would change the host (exit, memory.set_limit, runtime.max_procs(n)) are refused
-- with PermissionDenied; hosts.* and supervisor.* are Unavailable (not provided yet).
local raw = ...
local errors = errors
local math_type = math.type
local setmetatable = setmetatable

local function fail(kind, message)
  return nil, errors.new({ kind = kind, message = message })
end

local function refuse(call, why)
  return fail(errors.PERMISSION_DENIED, call .. ": " .. why)
end

-- Completed collector cycles of this sandbox: an unreachable table whose finalizer counts one
-- cycle and leaves a fresh one for the next.
local cycles = 0
local function sentinel()
  setmetatable({}, { __gc = function()
    cycles = cycles + 1
    sentinel()
  end })
end
sentinel()

-- Go's default GOGC; Lua's default pause (200) is the same rule: collect when the heap doubles.
local percent = 100

local system = { memory = {}, gc = {}, runtime = {}, process = {}, hosts = {}, supervisor = {},
                 node = {}, cluster = {}, raft = {}, lock = {} }

function system.exit()
  return refuse("system.exit", "a sandbox may not stop the luabox host")
end

function system.modules()
  return raw.modules()
end

function system.memory.stats()
  local alloc, sys = raw.lua_memory()
  return {
    alloc = alloc, heap_alloc = alloc, heap_in_use = alloc,
    sys = sys, heap_sys = sys, heap_idle = sys - alloc,
    total_alloc = 0, heap_released = 0, heap_objects = 0,
    stack_in_use = 0, stack_sys = 0, mspan_in_use = 0, mspan_sys = 0,
    num_gc = cycles, next_gc = 0,
  }
end

function system.memory.allocated()
  return (raw.lua_memory())
end

function system.memory.heap_objects()
  return 0
end

function system.memory.get_limit()
  return raw.memory_limit()
end

function system.memory.set_limit()
  return refuse("system.memory.set_limit",
    "the sandbox's memory limit is the entry's limits.memory, fixed by the host")
end

function system.gc.collect()
  return raw.gc_collect()
end

function system.gc.get_percent()
  return percent
end

function system.gc.set_percent(p)
  if math_type(p) ~= "integer" or p < -1 or p > 900 then
    return fail(errors.INVALID, "system.gc.set_percent expects an integer from -1 (off) to 900")
  end
  local ok, err = raw.gc_pause(p == -1 and -1 or p + 100)
  if not ok then return nil, err end
  local previous = percent
  percent = p
  return previous
end

function system.runtime.goroutines()
  return raw.tasks()
end

function system.runtime.max_procs(n)
  if n ~= nil then
    if math_type(n) ~= "integer" or n <= 0 then
      return fail(errors.INVALID, "system.runtime.max_procs expects an integer > 0")
    end
    return refuse("system.runtime.max_procs", "a sandbox may not change the host's threads")
  end
  return raw.workers()
end

function system.runtime.cpu_count()
  return raw.cpu_count()
end

function system.process.pid()
  return raw.pid()
end

function system.process.hostname()
  return raw.hostname()
end

function system.process.cwd()
  return raw.cwd()
end

local function not_provided(call)
  return function()
    return fail(errors.UNAVAILABLE, call .. ": luabox does not provide this yet")
  end
end

system.hosts.list = not_provided("system.hosts.list")
system.hosts.processes = not_provided("system.hosts.processes")
system.supervisor.state = not_provided("system.supervisor.state")
system.supervisor.states = not_provided("system.supervisor.states")

-- A standalone node: the degraded answers the page gives for one without clustering.
local NODE_ID = "local"

function system.node.id() return NODE_ID end
function system.node.addr() return fail(errors.INTERNAL, "membership unavailable") end
function system.node.role() return "non-member" end
function system.cluster.members() return { { id = NODE_ID, is_local = true } } end
function system.cluster.leader() return "" end
function system.cluster.size() return 1 end

for _, name in ipairs({ "is_leader", "is_member", "role", "term", "commit_index", "stats" }) do
  system.raft[name] = function() return fail(errors.INTERNAL, "raft not available") end
end

local function no_lock()
  return fail(errors.INTERNAL, "system.lock requires the global registry that clustering provides")
end
system.lock.acquire = no_lock
system.lock.release = no_lock

return system
