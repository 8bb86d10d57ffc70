--! modules: time
--! timeout: 100ms
require("time").sleep("10s")
