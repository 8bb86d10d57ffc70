-- Two tasks trade 1,000 messages over unbuffered channels, in order.
local ping, pong = channel.new(), channel.new()
coroutine.spawn(function()
  while true do
    local n, ok = ping:receive()
    if not ok then return end
    pong:send(n + 1)
  end
end)
local last = 0
for i = 1, 1000 do
  ping:send(i)
  last = pong:receive()
  assert(last == i + 1)
end
ping:close()
return last
