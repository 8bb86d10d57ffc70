--! modules: time
return require("socket")
