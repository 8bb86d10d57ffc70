--! memory: 32MiB
local ch = channel.new(math.maxinteger)
while true do ch:send(("x"):rep(100)) end
