--! modules: time
local time = require("time")
local r1, e1 = time.sleep("soon")
local r2, e2 = time.sleep(-5)
return {r1 == nil, e1, r2 == nil, e2}
