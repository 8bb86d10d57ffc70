--! modules: time
return require("time") == require("time") and type(require("time").sleep)
