--! modules: time
local time = require("time")
local t = {3, 1, 2}
table.sort(t, function(a, b) time.sleep("1ms"); return a < b end)
