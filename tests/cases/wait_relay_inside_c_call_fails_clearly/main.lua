--! modules: time
local time = require("time")
local co = coroutine.wrap(function() time.sleep("1ms") end)
local s = ("x"):gsub("x", function() co(); return "y" end)
