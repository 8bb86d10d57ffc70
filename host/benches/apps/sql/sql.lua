local sql = require("sql")

local M = {}

-- One single-row INSERT into `items` of database `db_id`; returns the rows it affected (1).
function M.insert(db_id, i)
  local db, err = sql.get(db_id)
  if not db then return nil, err end
  local done
  done, err = db:execute("INSERT INTO items (name, n) VALUES ($1, $2)", { "item-" .. i, i })
  if not done then return nil, err end
  return done.rows_affected
end

-- One point SELECT by primary key; returns the row's `n` (the bench seeds n = id).
function M.select(db_id, id)
  local db, err = sql.get(db_id)
  if not db then return nil, err end
  local rows
  rows, err = db:query("SELECT name, n FROM items WHERE id = $1", { id })
  if not rows then return nil, err end
  local row = rows[1]
  if not row then error("no item " .. id) end
  return row.n
end

-- The same call without a statement: the sandbox and `sql.get` alone; returns `i`.
function M.open_only(db_id, i)
  local db, err = sql.get(db_id)
  if not db then return nil, err end
  return i
end

return M
