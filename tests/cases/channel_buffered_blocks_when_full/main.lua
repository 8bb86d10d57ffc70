-- A buffer of 2 takes two sends without a receiver; the third blocks until one is taken (its
-- value moves into the buffer and the sender becomes runnable, but runs only after main yields).
local ch = channel.new(2)
local log = {}
coroutine.spawn(function()
  for i = 1, 3 do
    ch:send(i)
    log[#log + 1] = "sent " .. i
  end
end)
coroutine.yield() -- let the sender run until it blocks
log[#log + 1] = "receiving"
for _ = 1, 3 do
  log[#log + 1] = "got " .. ch:receive()
end
coroutine.yield()
return log
