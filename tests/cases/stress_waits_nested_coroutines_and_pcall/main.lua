--! modules: time
-- Waits from inside user coroutines nested 30 deep, each level inside pcall, from 20 tasks at once:
-- every wait is relayed out to the scheduler and its result comes back down to the right level.
local time = require("time")
local function deep(level, tag)
  if level == 0 then
    local before = time.now()
    time.sleep(0)
    return time.now() >= before and tag or -1
  end
  local inner = coroutine.wrap(function()
    local ok, v = pcall(deep, level - 1, tag)
    assert(ok, v)
    return v + 1
  end)
  if level % 2 == 0 then
    return inner()
  end
  local co = coroutine.create(function() return inner() end)
  local ok, v = coroutine.resume(co)
  assert(ok, v)
  return v
end
local done = channel.new(20)
for t = 1, 20 do
  coroutine.spawn(function()
    local total = 0
    for round = 1, 10 do
      total = total + deep(30, t * 1000 + round)
    end
    done:send(total)
  end)
end
local sum = 0
for _ = 1, 20 do
  sum = sum + done:receive()
end
return sum
