--! modules: time
-- User code reaches a task's coroutine through coroutine.running; only the scheduler may resume
-- it (with the values it owes it), so resume fails and close raises, from the task itself and
-- from another one, while it waits.
local time = require("time")
local main = coroutine.running()
local from_self = { coroutine.resume(main) }
local from_other
coroutine.spawn(function()
  from_other = { coroutine.resume(main, "forged", "values") }
  from_other[3] = select(2, pcall(coroutine.close, main))
end)
local slept = { time.sleep("2ms") }
return from_self[1], from_other[1], from_other[2] == from_self[2], from_other[3], #slept
