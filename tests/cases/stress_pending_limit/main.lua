--! modules: time
--! max-pending: 100
-- One more pending host operation than limits.max_pending allows ends the run with that limit.
local time = require("time")
local timers = {}
for i = 1, 101 do
  timers[i] = time.after("1s")
end
time.sleep("1ms")
