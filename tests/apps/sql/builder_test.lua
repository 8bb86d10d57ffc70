-- sql.builder without a database: the text and arguments each builder makes, following the
-- examples of Wippy's page (wippyai/docs en/lua/storage/sql.md).
local sql = require("sql")
local b = sql.builder

local function same(q, text, args)
  local got, got_args = q:to_sql()
  assert(got == text, "\n got: " .. tostring(got) .. "\nwant: " .. text .. "\n" .. tostring(got_args))
  args = args or {}
  assert(#got_args == #args, text .. ": " .. #got_args .. " args")
  for i = 1, #args do
    assert(got_args[i] == args[i], text .. ": arg " .. i .. " is " .. tostring(got_args[i]))
  end
end

local function main()
  same(b.select("id", "name"):from("users"):where({ active = 1 }),
    "SELECT id, name FROM users WHERE active = ?", { 1 })
  same(b.insert("users"):columns("name", "email"):values("alice", "alice@example.com"),
    "INSERT INTO users (name, email) VALUES (?,?)", { "alice", "alice@example.com" })
  same(b.insert("users"):columns("name", "email"):values("alice", sql.NULL),
    "INSERT INTO users (name, email) VALUES (?,?)", { "alice", sql.NULL })
  same(b.update("users"):set("status", "active"):where({ id = 123 }),
    "UPDATE users SET status = ? WHERE id = ?", { "active", 123 })
  same(b.delete("users"):where({ active = 0 }):limit(100),
    "DELETE FROM users WHERE active = ? LIMIT 100", { 0 })
  same(b.select("*"):from("users"):where(b.expr("score BETWEEN ? AND ?", 80, 90)),
    "SELECT * FROM users WHERE score BETWEEN ? AND ?", { 80, 90 })
  -- Map conditions list their columns sorted.
  same(b.select("*"):from("t"):where(b.eq({ status = "open", active = 1 })),
    "SELECT * FROM t WHERE active = ? AND status = ?", { 1, "open" })
  same(b.select("*"):from("t"):where(b.not_eq({ status = "closed" })),
    "SELECT * FROM t WHERE status <> ?", { "closed" })
  same(b.select("*"):from("t"):where(b.lt({ age = 18 })), "SELECT * FROM t WHERE age < ?", { 18 })
  same(b.select("*"):from("t"):where(b.lte({ price = 100 })), "SELECT * FROM t WHERE price <= ?", { 100 })
  same(b.select("*"):from("t"):where(b.gt({ score = 80 })), "SELECT * FROM t WHERE score > ?", { 80 })
  same(b.select("*"):from("t"):where(b.gte({ age = 21 })), "SELECT * FROM t WHERE age >= ?", { 21 })
  same(b.select("*"):from("t"):where(b.like({ name = "john%" })),
    "SELECT * FROM t WHERE name LIKE ?", { "john%" })
  same(b.select("*"):from("t"):where(b.not_like({ email = "%@spam.com" })),
    "SELECT * FROM t WHERE email NOT LIKE ?", { "%@spam.com" })
  same(b.select("*"):from("t"):where(b.and_({ b.eq({ active = 1 }), b.gt({ score = 80 }) })),
    "SELECT * FROM t WHERE (active = ? AND score > ?)", { 1, 80 })
  same(b.select("*"):from("t"):where(b.or_({ b.eq({ status = "pending" }), b.eq({ status = "active" }) })),
    "SELECT * FROM t WHERE (status = ? OR status = ?)", { "pending", "active" })
  same(b.select("*"):from("t"):where({ id = { 1, 2, 3 }, gone = sql.NULL }),
    "SELECT * FROM t WHERE gone IS NULL AND id IN (?,?,?)", { 1, 2, 3 })
  same(b.select("*"):from("t"):where({ id = {} }), "SELECT * FROM t WHERE (1=0)")
  -- Placeholder formats.
  local q = b.select("*"):from("users"):where("a = ? AND b = ?", 1, 2)
  same(q:placeholder_format(b.dollar), "SELECT * FROM users WHERE a = $1 AND b = $2", { 1, 2 })
  same(q:placeholder_format(b.at), "SELECT * FROM users WHERE a = @p1 AND b = @p2", { 1, 2 })
  same(q:placeholder_format(b.colon), "SELECT * FROM users WHERE a = :1 AND b = :2", { 1, 2 })
  same(q:placeholder_format(b.question), "SELECT * FROM users WHERE a = ? AND b = ?", { 1, 2 })
  assert(b.default_placeholder == b.question)
  same(b.select("*"):from("t"):where("data ?? 'k' AND x = ?", 1):placeholder_format(b.dollar),
    "SELECT * FROM t WHERE data ? 'k' AND x = $1", { 1 })
  -- SELECT methods.
  same(b.select("*"):from("users"):join("orders ON orders.user_id = users.id")
      :left_join("a ON a.id = ?", 5):right_join("r ON true"):inner_join("i ON true")
      :where({ active = 1 }):order_by("name ASC", "created_at DESC"):limit(10):offset(20)
      :suffix("FOR UPDATE"),
    "SELECT * FROM users JOIN orders ON orders.user_id = users.id LEFT JOIN a ON a.id = ? "
      .. "RIGHT JOIN r ON true INNER JOIN i ON true WHERE active = ? ORDER BY name ASC, "
      .. "created_at DESC LIMIT 10 OFFSET 20 FOR UPDATE", { 5, 1 })
  same(b.select("status", "COUNT(*) as cnt"):from("users"):group_by("status")
      :having(b.gt({ cnt = 10 })),
    "SELECT status, COUNT(*) as cnt FROM users GROUP BY status HAVING cnt > ?", { 10 })
  same(b.select():columns("id", "name", "email"):from("u"), "SELECT id, name, email FROM u")
  same(b.select("status"):from("users"):distinct(), "SELECT DISTINCT status FROM users")
  -- INSERT methods.
  same(b.insert():into("users"):set_map({ name = "alice", email = "alice@example.com" }),
    "INSERT INTO users (email, name) VALUES (?,?)", { "alice@example.com", "alice" })
  same(b.insert("users"):columns("name", "email"):select(b.select("name", "email"):from("temp_users")),
    "INSERT INTO users (name, email) SELECT name, email FROM temp_users")
  same(b.insert("users"):columns("name"):values("alice"):suffix("RETURNING id"),
    "INSERT INTO users (name) VALUES (?) RETURNING id", { "alice" })
  same(b.insert("users"):options("DELAYED", "IGNORE"):columns("a"):values(1),
    "INSERT DELAYED IGNORE INTO users (a) VALUES (?)", { 1 })
  same(b.insert("users"):prefix("WITH x AS (SELECT ?)", 7):columns("a"):values(1),
    "WITH x AS (SELECT ?) INSERT INTO users (a) VALUES (?)", { 7, 1 })
  same(b.insert("users"):columns("a", "b"):values(1, 2):values(3, 4),
    "INSERT INTO users (a, b) VALUES (?,?),(?,?)", { 1, 2, 3, 4 })
  -- UPDATE methods.
  same(b.update("users"):set("status", "active"):set("updated_at", b.expr("NOW()")),
    "UPDATE users SET status = ?, updated_at = NOW()", { "active" })
  same(b.update():table("users"):set_map({ status = "active", updated_at = b.expr("NOW()") }),
    "UPDATE users SET status = ?, updated_at = NOW()", { "active" })
  same(b.update("users"):set("rank", 1):order_by("score DESC"):limit(10):offset(5),
    "UPDATE users SET rank = ? ORDER BY score DESC LIMIT 10 OFFSET 5", { 1 })
  same(b.update("users"):set("status", "active"):suffix("RETURNING id"),
    "UPDATE users SET status = ? RETURNING id", { "active" })
  same(b.update("users"):set("status", "active"):from("other_table"),
    "UPDATE users SET status = ? FROM other_table", { "active" })
  same(b.update("users"):set("status", "active"):from_select(b.select("*"):from("temp_users"), "t"),
    "UPDATE users SET status = ? FROM (SELECT * FROM temp_users) AS t", { "active" })
  -- DELETE methods.
  same(b.delete():from("users"):where({ active = 0 }):order_by("created_at ASC"):offset(10),
    "DELETE FROM users WHERE active = ? ORDER BY created_at ASC OFFSET 10", { 0 })
  same(b.delete("users"):where({ active = 0 }):suffix("RETURNING id"),
    "DELETE FROM users WHERE active = ? RETURNING id", { 0 })
  -- Builders are values: refining one leaves it as it was.
  local base = b.select("id"):from("tasks")
  local open = base:where({ status = "open" })
  same(base, "SELECT id FROM tasks")
  same(open:limit(5), "SELECT id FROM tasks WHERE status = ? LIMIT 5", { "open" })
  same(open, "SELECT id FROM tasks WHERE status = ?", { "open" })
  -- Mistakes: nil, err from to_sql; wrong argument types raise at the call.
  local function fails(q, pattern)
    local text, err = q:to_sql()
    assert(text == nil and err:kind() == errors.INVALID, pattern)
    assert(tostring(err):find(pattern, 1, true), tostring(err))
  end
  fails(b.select():from("t"), "at least one column")
  fails(b.insert("t"), "needs values")
  fails(b.insert():values(1), "needs a table")
  fails(b.update("t"), "at least one :set")
  fails(b.delete(), "needs a table")
  fails(b.select("*"):from("t"):where(b.expr("a = ? AND b = ?", 1)), "more placeholders than arguments")
  fails(b.insert("t"):columns("a", "b"):values(1), "row 1 has 1 values for 2 columns")
  assert(not pcall(b.select("*").limit, b.select("*"), -1))
  assert(not pcall(b.eq, "x"))
  assert(not pcall(function() b.select("*"):placeholder_format("dollar") end))
  -- Type coercions.
  assert(math.type(sql.as.int(42.0)) == "integer" and math.type(sql.as.float(2)) == "float")
  assert(sql.as.text(5) == "5" and sql.as.binary("\0\1") == "\0\1" and sql.as.null() == sql.NULL)
  assert(not pcall(sql.as.int, 1.5))
  return true
end

return { main = main }
