local results = {}
-- buffered values stay readable after close, then nil, false
local b = channel.new(3)
b:send("x"); b:send("y"); b:close()
local x, okx = b:receive()
local y, oky = b:receive()
results.drain = { x, okx, y, oky }
local v, ok = b:receive()
results.after = { v == nil, ok }
results.idempotent = b:close()
results.send_closed = select(2, pcall(b.send, b, 1))
-- close wakes blocked receivers with nil, false and blocked senders with an error
local u = channel.new()
local woken = {}
for i = 1, 2 do
  coroutine.spawn(function()
    local value, okr = u:receive()
    woken[#woken + 1] = ("receiver %d: %s %s"):format(i, tostring(value), tostring(okr))
  end)
end
local s = channel.new()
coroutine.spawn(function()
  local okp, err = pcall(s.send, s, "never")
  woken[#woken + 1] = "sender: " .. tostring(okp) .. " " .. err
end)
coroutine.yield()
u:close()
s:close()
coroutine.yield()
results.woken = woken
return results
