--! modules: time
local time = require("time")
local ticker = time.ticker("5ms")
local ticks = {}
for i = 1, 3 do
  ticks[i] = getmetatable(ticker:channel():receive()).__name
end
ticker:stop()
-- no tick arrives after stop (one may already sit in the slot)
local drained = channel.select({ ticker:channel():case_receive(), default = true })
local later = channel.select({ ticker:channel():case_receive(), time.after("30ms"):case_receive() })
return { ticks = ticks, stopped = later.channel ~= ticker:channel() }
