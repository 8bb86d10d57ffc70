--! memory: 32MiB
--! timeout: 5s
-- Spawned coroutines pile up faster than they run: the memory limit ends it.
while true do
  coroutine.spawn(function() end)
end
