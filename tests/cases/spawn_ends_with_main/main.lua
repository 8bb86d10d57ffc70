-- Spawned coroutines that never finish do not keep the entry alive.
local spins = 0
coroutine.spawn(function()
  while true do
    spins = spins + 1
    coroutine.yield()
  end
end)
coroutine.spawn(function() channel.new():receive() end) -- parked forever
for _ = 1, 3 do coroutine.yield() end
return spins > 0 and type(coroutine.spawn(function() end)) == "thread"
