--! modules: time
-- A spawned task that raises after a wait ends the whole run with its error and line, while
-- hundreds of other tasks still wait.
local time = require("time")
for i = 1, 500 do
  coroutine.spawn(function() time.sleep("10s") end)
end
coroutine.spawn(function()
  time.sleep("1ms")
  error("task gave up after its wait")
end)
time.sleep("10s")
