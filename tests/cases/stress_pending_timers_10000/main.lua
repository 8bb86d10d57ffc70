--! modules: time
--! args: [10000]
-- Issue 18: 10,000 timers pending at once while the entry sleeps. The waiting step once listed
-- every handle on the Lua stack without making room, and corrupted the state past ~200.
local time = require("time")
return function(n)
  local timers = {}
  for i = 1, n do
    timers[i] = time.after("150ms")
    if i % 1000 == 0 then
      time.sleep("1ms")
    end
  end
  local fired = 0
  for i = 1, n do
    local _, ok = timers[i]:receive()
    if ok then
      fired = fired + 1
    end
  end
  return n, fired
end
