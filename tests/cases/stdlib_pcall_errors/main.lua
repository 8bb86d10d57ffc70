local ok1, e1 = pcall(error, "plain")
local ok2, e2 = pcall(function() error("with position") end)
local ok3, e3 = pcall(function() error({code = 42, msg = "table"}) end)
local ok4, e4 = pcall(function() local x = nil; return x.field end)
local ok5, e5 = xpcall(function() error("traced") end, function(m) return "handled: " .. m end)
local ok6, e6 = pcall(error)
local ok7, e7 = pcall(function() error("level 2", 2) end)
local nested = {pcall(pcall, error, "inner")}
local ok8, e8 = pcall(function() error(setmetatable({}, {__tostring = function() return "custom" end})) end)
return {ok1, e1, ok2, e2, ok3, e3.code, ok4, e4, ok5, e5, ok6, e6 == nil, ok7, e7, nested, tostring(e8)}
