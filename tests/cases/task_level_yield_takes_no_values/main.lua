--! modules: time
-- The entry's code and coroutine.spawn's functions run as the scheduler's tasks, which have no
-- resumer to take yielded values: a bare coroutine.yield() lets the other tasks run, and
-- yielding values is an error (they would be lost); coroutines created inside a task yield
-- values as usual.
local time = require("time")
local in_task = { pcall(coroutine.yield, "lost") }
local order = {}
coroutine.spawn(function()
  order[#order + 1] = "spawned"
  order[#order + 1] = select(2, pcall(coroutine.yield, 1, 2)) ~= nil
end)
coroutine.yield()
order[#order + 1] = "entry"
local co = coroutine.wrap(function(a)
  local b = coroutine.yield(a + 1)
  return b * 2
end)
local first = co(1)
local second = co(10)
time.sleep("1ms")
return in_task[1], in_task[2], order, first, second
