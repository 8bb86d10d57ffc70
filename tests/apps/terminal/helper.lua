local io = require("io")

local function main()
    local ok, err = io.print("from a function")
    return { what = tostring(ok), err = tostring(err) }
end

return { main = main }
