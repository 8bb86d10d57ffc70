--! modules: time
-- 400 channels, a producer task on each (some sleeping between sends), one consumer selecting over
-- all of them until every channel is closed and drained.
local time = require("time")
local channels, producers, per = {}, 400, 10
for j = 1, producers do
  local ch = channel.new(j % 3) -- unbuffered, 1 and 2 slots
  channels[j] = ch
  coroutine.spawn(function()
    for k = 1, per do
      if (j + k) % 7 == 0 then
        time.sleep("1ms")
      end
      ch:send(j * 100 + k)
    end
    ch:close()
  end)
end
local open, sum, received = producers, 0, 0
local live = {}
for j = 1, producers do
  live[j] = true
end
while open > 0 do
  local cases = {}
  for j = 1, producers do
    if live[j] then
      cases[#cases + 1] = channels[j]:case_receive()
    end
  end
  local r = channel.select(cases)
  if r.ok then
    sum = sum + r.value
    received = received + 1
  else
    for j = 1, producers do
      if channels[j] == r.channel then
        live[j] = false
      end
    end
    open = open - 1
  end
end
return received, sum
