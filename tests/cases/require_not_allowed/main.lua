local time = require("time")
return time
