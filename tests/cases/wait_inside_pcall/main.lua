--! modules: time
local time = require("time")
local ok, v = pcall(function() time.sleep("1ms"); return "slept" end)
local ok2, e2 = pcall(function() time.sleep("1ms"); error("after sleep") end)
return {ok, v, ok2, e2}
