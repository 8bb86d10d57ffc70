--! modules: time
local time = require("time")
local log = {}
local producer = coroutine.wrap(function()
  for i = 1, 3 do
    time.sleep("1ms")
    coroutine.yield(i)
  end
  return "end"
end)
for _ = 1, 4 do log[#log + 1] = producer() end
local outer = coroutine.create(function()
  local inner = coroutine.create(function(x)
    time.sleep("1ms")
    local y = coroutine.yield(x + 1)
    time.sleep("1ms")
    return y * 2
  end)
  local _, first = coroutine.resume(inner, 10)
  time.sleep("1ms")
  local _, second = coroutine.resume(inner, first)
  return first, second, coroutine.status(inner)
end)
return {log = log, nested = {coroutine.resume(outer)}}
