--! modules: time
local t0, c0 = os.time(), os.clock()
require("time").sleep("30ms")
local elapsed = os.clock() - c0
return {recent = t0 > 1700000000, elapsed = elapsed >= 0.03, date = os.date("!%Y-%m-%d", 0),
  table = os.date("!*t", 86400).day, difftime = os.difftime(10, 4),
  roundtrip = os.time({year = 2020, month = 1, day = 1, hour = 0}) ~= nil}
