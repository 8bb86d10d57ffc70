--! timeout: 200ms
setmetatable({}, {__gc = function() while true do end end})
collectgarbage()
collectgarbage()
return "unreachable"
