local io = require("io")
local logger = require("logger")

local function main(): integer
    logger:warn("a warning from chatty")
    io.print("chatty wrote this")
    return 0
end

return { main = main }
