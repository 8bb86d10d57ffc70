local json = require("json")
local helpers = require("helpers")
local sql = require("sql")
local string_lib = require("string")

local function main()
    local extra = require "nosuch"
    return json.encode({ helpers.main(), sql, string_lib, extra })
end

return { main = main }
