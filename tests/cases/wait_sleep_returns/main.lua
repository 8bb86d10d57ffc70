--! modules: time
local time = require("time")
local a = {time.sleep("5ms")}
local b = {time.sleep(1000000)}
local c = {time.sleep(2.5e6)}
return {#a, #b, #c}
