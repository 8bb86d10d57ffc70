-- Each code block of Wippy's en/lua/system/system.md that luabox answers, in order.
local system = require("system")

local function is_count(n) return math.type(n) == "integer" and n >= 0 end

local function main()
  local mods, err = system.modules()
  assert(mods and err == nil, tostring(err))
  local seen = {}
  for _, m in ipairs(mods) do
    assert(type(m.name) == "string" and type(m.description) == "string")
    assert(type(m.class) == "table" and type(m.class[1]) == "string")
    seen[m.name] = m
  end
  assert(seen.metrics and seen.system and seen.json)
  assert(seen.json.class[1] == "deterministic")

  local stats = assert(system.memory.stats())
  for _, field in ipairs({"alloc", "total_alloc", "sys", "heap_alloc", "heap_sys", "heap_idle",
      "heap_in_use", "heap_released", "heap_objects", "stack_in_use", "stack_sys",
      "mspan_in_use", "mspan_sys", "num_gc", "next_gc"}) do
    assert(is_count(stats[field]), field)
  end
  assert(stats.alloc > 0 and stats.sys >= stats.alloc)

  local bytes = assert(system.memory.allocated())
  assert(is_count(bytes) and bytes > 0)
  assert(is_count(system.memory.heap_objects()))

  local limit = assert(system.memory.get_limit())
  assert(limit == 8 * 1024 * 1024, limit) -- the entry's limits.memory

  -- a full collection frees this sandbox's garbage and counts a cycle
  local before = system.memory.stats().num_gc
  local junk = {}
  for i = 1, 20000 do junk[i] = {i} end
  junk = nil
  local grown = system.memory.allocated()
  assert(system.gc.collect() == true)
  assert(system.memory.allocated() < grown)
  assert(system.memory.stats().num_gc > before)

  assert(system.gc.get_percent() == 100)
  assert(system.gc.set_percent(200) == 100)
  assert(system.gc.get_percent() == 200)
  assert(system.gc.set_percent(-1) == 200) -- off, in this sandbox
  assert(system.gc.set_percent(100) == -1)

  assert(is_count(system.runtime.goroutines()))
  local procs = assert(system.runtime.max_procs())
  assert(procs >= 1)
  local cpus = assert(system.runtime.cpu_count())
  assert(cpus >= 1)

  assert(is_count(system.process.pid()))
  local host = assert(system.process.hostname())
  assert(#host > 0)
  local dir = assert(system.process.cwd())
  assert(dir:sub(1, 1) == "/")

  -- a standalone node
  assert(system.node.id() == "local")
  assert(system.node.role() == "non-member")
  local members = assert(system.cluster.members())
  assert(#members == 1 and members[1].is_local == true)
  assert(system.cluster.leader() == "")
  assert(system.cluster.size() == 1)
  return true
end

return { main = main }
