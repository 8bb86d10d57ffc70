local a, b = channel.new(1), channel.new(1)
local r = {}
-- nothing ready: default
r.default = channel.select({ a:case_receive(), b:case_receive(), default = true }).default
-- send cases complete when there is room; the first ready case wins
local sent = channel.select({ a:case_send("A"), b:case_send("B") })
r.first_send = sent.channel == a
b:send("B")
local got = channel.select({ a:case_receive(), b:case_receive() })
r.first_ready = got.value
-- blocking select woken by another task's send
local c = channel.new()
coroutine.spawn(function() c:send("late") end)
local late = channel.select({ c:case_receive() })
r.late = { late.value, late.ok, late.channel == c }
-- a closed channel is a ready receive with ok = false
local closed = channel.new()
closed:close()
local z = channel.select({ closed:case_receive() })
r.closed = { z.value == nil, z.ok }
-- a blocking select that sends, taken by a receiver
local d = channel.new()
coroutine.spawn(function() r.received = d:receive() end)
local sd = channel.select({ d:case_send("handed over") })
r.send_ok = sd.ok
coroutine.yield()
r.no_cases = select(2, pcall(channel.select, {}))
return r
