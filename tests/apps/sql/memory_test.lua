local sql = require("sql")

-- A :memory: database lives as long as the app: what one sandbox writes the next one reads.
local function main()
  local db = assert(sql.get("memory"))
  assert(db:type() == sql.type.SQLITE)
  assert(db:execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)"))
  assert(db:execute("INSERT OR REPLACE INTO kv VALUES ($1, $2)", { "a", "1" }))
  local again = assert(sql.get("sql:memory"))
  local rows = assert(again:query("SELECT v FROM kv WHERE k = ?", { "a" }))
  assert(#rows == 1 and rows[1].v == "1")
  local stats = assert(db:stats())
  assert(stats.max_open == 1, "a memory database has one connection")
  assert(db:release() and db:release(), "release is idempotent")
  local none, err = db:query("SELECT 1")
  assert(none == nil and errors.is(err, errors.INVALID) and tostring(err):find("released"))
  assert(again:query("SELECT 1 AS one")[1].one == 1, "another handle is not affected")
  return true
end

return { main = main }
