local sql = require("sql")

-- Begin a transaction, insert `note`, and end without commit or rollback.
local function main(db_id, note)
  local db = assert(sql.get(db_id))
  local tx = assert(db:begin())
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { note }))
  local rows = assert(tx:query("SELECT count(*) AS n FROM notes WHERE body = $1", { note }))
  assert(rows[1].n == 1, "the transaction sees its own write")
  return true
end

-- The same, then spin until the sandbox's deadline ends it.
local function spin(db_id, note)
  main(db_id, note)
  while true do end
end

return { main = main, spin = spin }
