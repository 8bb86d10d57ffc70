local sql = require("sql")

local function main(): string
    local db = assert(sql.get("app:db"))
    assert(db:execute("CREATE TABLE IF NOT EXISTS started (who TEXT)"))
    assert(db:execute("INSERT INTO started (who) VALUES (?)", { process.pid() }))
    db:release()
    return "recorded"
end

return { main = main }
