local io = require("io")

local function main(parent: string)
    local ok, err = io.write("from a process on a process.host")
    process.send(parent, "report", { what = tostring(ok), err = err and err:kind() })
end

return { main = main }
