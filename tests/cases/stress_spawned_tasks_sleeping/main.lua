--! modules: time
--! args: [5000]
-- 5,000 coroutine.spawn tasks, each waiting on its own host timer, report on one channel.
local time = require("time")
return function(n)
  local results = channel.new(n)
  for i = 1, n do
    coroutine.spawn(function(k)
      time.sleep(string.format("%dms", k % 4))
      results:send(k)
    end, i)
  end
  local sum, count = 0, 0
  for _ = 1, n do
    sum = sum + results:receive()
    count = count + 1
  end
  return count, sum
end
