local sql = require("sql")
local time = require("time")

-- What the recorder service wrote: the pid it ran under, which names its host.
local function main(): string?
    local db = assert(sql.get("app:db"))
    for _ = 1, 200 do
        local rows = db:query("SELECT who FROM started")
        if rows and #rows > 0 then
            return rows[1].who
        end
        time.sleep("25ms")
    end
    return nil
end

return { main = main }
