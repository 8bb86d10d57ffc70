--! modules: time
-- Four spawned workers take 20 jobs from one channel (sleeping on host timers between) and
-- report on another; main collects every result.
local time = require("time")
local jobs, results = channel.new(), channel.new(20)
for w = 1, 4 do
  coroutine.spawn(function()
    while true do
      local n, ok = jobs:receive()
      if not ok then return end
      time.sleep(1000000)
      results:send(n * n)
    end
  end)
end
for n = 1, 20 do jobs:send(n) end
jobs:close()
local sum = 0
for _ = 1, 20 do sum = sum + results:receive() end
return sum
