--! modules: time
local n = 0
for i = 1, 3 do coroutine.yield(); n = n + i end
return n
