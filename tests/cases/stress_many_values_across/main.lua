-- Thousands of values at once: 5,000 arguments to a spawned task and 5,000 results from the entry
-- (each more than the 20 stack slots a C function is promised).
local t = {}
for i = 1, 5000 do
  t[i] = i
end
local got = channel.new(1)
coroutine.spawn(function(...)
  got:send(select("#", ...) + select(5000, ...))
end, table.unpack(t))
t[1] = got:receive()
return table.unpack(t)
