-- What system refuses: calls that would change the host, bad arguments, and what luabox does
-- not provide.
local system = require("system")

local function fails(kind, ok, err)
  assert(ok == nil, "expected a refusal")
  assert(errors.is(err, kind), tostring(err))
end

local function main()
  fails(errors.PERMISSION_DENIED, system.exit(0))
  fails(errors.PERMISSION_DENIED, system.exit())
  fails(errors.PERMISSION_DENIED, system.memory.set_limit(1024 * 1024 * 100))
  fails(errors.PERMISSION_DENIED, system.runtime.max_procs(4))
  fails(errors.INVALID, system.runtime.max_procs(0))
  fails(errors.INVALID, system.runtime.max_procs("4"))
  fails(errors.INVALID, system.gc.set_percent(1.5))
  fails(errors.INVALID, system.gc.set_percent(-2))
  fails(errors.INVALID, system.gc.set_percent(100000))
  fails(errors.INVALID, system.gc.set_percent(nil))
  assert(system.gc.get_percent() == 100) -- refused calls change nothing

  fails(errors.UNAVAILABLE, system.hosts.list())
  fails(errors.UNAVAILABLE, system.hosts.processes("app:host"))
  fails(errors.UNAVAILABLE, system.supervisor.state("ns:svc"))
  fails(errors.UNAVAILABLE, system.supervisor.states())
  fails(errors.INTERNAL, system.node.addr())
  fails(errors.INTERNAL, system.raft.is_leader())
  fails(errors.INTERNAL, system.raft.stats())
  fails(errors.INTERNAL, system.lock.acquire("orders.migration"))
  fails(errors.INTERNAL, system.lock.release("orders.migration"))
  return true
end

return { main = main }
