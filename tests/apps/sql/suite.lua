-- The shared SQL suite: the same cases on every backend. SQL is written once with `$N`
-- placeholders, which both backends take; where the dialects differ (DDL types, how an insert
-- reports its id) the case branches on db:type().
local sql = require("sql")
local funcs = require("funcs")
local store = require("store")
local time = require("time")

local function expect_error(kind, pattern, value, err)
  assert(value == nil, "expected a failure, got " .. tostring(value))
  assert(errors.is(err, kind), "expected a " .. kind .. " error, got " .. tostring(err and err:kind())
    .. ": " .. tostring(err))
  if pattern then
    assert(tostring(err):find(pattern), "error '" .. tostring(err) .. "' lacks '" .. pattern .. "'")
  end
  return err
end

local function count(db, body)
  local rows = assert(db:query("SELECT count(*) AS n FROM notes WHERE body = $1", { body }))
  return rows[1].n
end

local cases = {}

function cases.schema(db)
  for _, t in ipairs({ "notes", "typed", "accounts", "steps" }) do
    assert(db:execute("DROP TABLE IF EXISTS " .. t))
  end
  local pg = db:type() == sql.type.POSTGRES
  local serial = pg and "SERIAL PRIMARY KEY" or "INTEGER PRIMARY KEY"
  local blob = pg and "BYTEA" or "BLOB"
  local float = pg and "DOUBLE PRECISION" or "REAL"
  -- several statements in one execute without parameters: a migration
  assert(db:execute(
    "CREATE TABLE notes (id " .. serial .. ", body TEXT NOT NULL);" ..
    "CREATE TABLE typed (id INTEGER PRIMARY KEY, i BIGINT, f " .. float .. ", s TEXT, b " .. blob ..
    ", flag BOOLEAN, at TIMESTAMP, d DATE);" ..
    "CREATE TABLE accounts (name TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))"))
  -- statement by statement: a later one may use what an earlier one created (issue 19)
  assert(db:execute("CREATE TABLE IF NOT EXISTS steps (x INTEGER); INSERT INTO steps VALUES (1);" ..
    " INSERT INTO steps (x) SELECT x + 1 FROM steps"))
  assert(db:query("SELECT sum(x) AS total FROM steps")[1].total == 3)
end

function cases.values_keep_their_types(db)
  local bytes = "\0\1\2\255"
  assert(db:execute(
    "INSERT INTO typed (id, i, f, s, b, flag, at, d) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    { 1, 9007199254740993, 2.5, "héllo", bytes, true, "2024-02-29 13:45:07", "2024-02-29" }))
  assert(db:execute("INSERT INTO typed (id, i, flag) VALUES ($1, $2, $3)", { 2, -7, false }))
  local rows = assert(db:query("SELECT id, i, f, s, b, flag, at, d FROM typed ORDER BY id"))
  assert(#rows == 2)
  local r = rows[1]
  assert(math.type(r.id) == "integer" and r.id == 1)
  assert(math.type(r.i) == "integer" and r.i == 9007199254740993, "64-bit integers are exact")
  assert(math.type(r.f) == "float" and r.f == 2.5)
  assert(r.s == "héllo")
  assert(r.b == bytes, "bytes round-trip")
  assert(r.flag == true, "booleans come back as booleans")
  assert(r.at == "2024-02-29 13:45:07", "timestamps come back as text: " .. tostring(r.at))
  assert(r.d == "2024-02-29", "dates come back as text: " .. tostring(r.d))
  local second = rows[2]
  assert(second.flag == false and second.i == -7)
  assert(second.f == nil and second.s == nil and second.b == nil, "NULL columns are nil")
end

function cases.null_parameters(db)
  assert(db:execute("INSERT INTO typed (id, i, s) VALUES ($1, $2, $3)", { 3, sql.NULL, "x" }))
  assert(db:execute("INSERT INTO typed (id, s, i) VALUES ($1, $2, $3)", { 4, "y", sql.NULL }),
    "a trailing sql.NULL still counts as a parameter")
  local rows = assert(db:query("SELECT id FROM typed WHERE i IS NULL AND s IS NOT NULL ORDER BY id"))
  assert(#rows == 2 and rows[1].id == 3 and rows[2].id == 4)
  assert(tostring(sql.NULL) == "sql.NULL")
end

function cases.parameters_are_bound_not_spliced(db)
  local hostile = "'); DROP TABLE notes; --"
  assert(db:execute("INSERT INTO notes (body) VALUES ($1)", { hostile }))
  assert(count(db, hostile) == 1, "the text was stored as it is")
  local rows = assert(db:query("SELECT body FROM notes WHERE body = $1", { "nobody' OR '1'='1" }))
  assert(#rows == 0)
end

function cases.execute_reports_what_it_did(db)
  local pg = db:type() == sql.type.POSTGRES
  local done = assert(db:execute("INSERT INTO notes (body) VALUES ($1)", { "first" }))
  assert(done.rows_affected == 1)
  if pg then
    assert(done.last_insert_id == nil, "PostgreSQL has no last insert id: use RETURNING")
    local rows = assert(db:query("INSERT INTO notes (body) VALUES ($1) RETURNING id", { "second" }))
    assert(math.type(rows[1].id) == "integer")
  else
    assert(math.type(done.last_insert_id) == "integer" and done.last_insert_id > 0)
    assert(db:execute("INSERT INTO notes (body) VALUES (?)", { "second" }))
  end
  local updated = assert(db:execute("UPDATE notes SET body = $1 WHERE body IN ($2, $3)",
    { "both", "first", "second" }))
  assert(updated.rows_affected == 2)
  assert(assert(db:execute("DELETE FROM notes WHERE body = $1", { "nothing" })).rows_affected == 0)
end

function cases.prepared_statements(db)
  local insert = assert(db:prepare("INSERT INTO notes (body) VALUES ($1)"))
  for i = 1, 5 do assert(insert:execute({ "p" .. i })) end
  local find = assert(db:prepare("SELECT body FROM notes WHERE body = $1"))
  assert(find:query({ "p3" })[1].body == "p3")
  assert(#find:query({ "p9" }) == 0)
  assert(find:close())
  expect_error(errors.INVALID, "closed", find:query({ "p3" }))
  expect_error(errors.INVALID, nil, db:prepare("SELEC body FROM notes"))
end

function cases.transactions_commit_and_roll_back(db)
  local tx = assert(db:begin())
  assert(tx:db_type() == db:type())
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { "committed" }))
  assert(tx:commit())
  assert(count(db, "committed") == 1)
  expect_error(errors.INVALID, "committed", tx:commit())
  expect_error(errors.INVALID, "committed", tx:query("SELECT 1"))

  tx = assert(db:begin({ isolation = sql.isolation.SERIALIZABLE }))
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { "rolled back" }))
  assert(tx:query("SELECT count(*) AS n FROM notes WHERE body = $1", { "rolled back" })[1].n == 1)
  assert(tx:rollback())
  assert(count(db, "rolled back") == 0)

  expect_error(errors.INVALID, "isolation", db:begin({ isolation = "chaos" }))
  expect_error(errors.INVALID, "unknown begin option", db:begin({ readonly = true }))
end

function cases.savepoints(db)
  local tx = assert(db:begin())
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { "kept" }))
  assert(tx:savepoint("before_bad"))
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { "undone" }))
  assert(tx:rollback_to("before_bad"))
  assert(tx:savepoint("second"))
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { "also kept" }))
  assert(tx:release("second"))
  expect_error(errors.INVALID, "plain name", tx:savepoint("x; DROP TABLE notes"))
  assert(tx:commit())
  assert(count(db, "kept") == 1 and count(db, "undone") == 0 and count(db, "also kept") == 1)
end

function cases.read_only_transactions_refuse_writes(db)
  local tx = assert(db:begin({ read_only = true }))
  assert(tx:query("SELECT count(*) AS n FROM notes"))
  expect_error(errors.INVALID, nil, tx:execute("INSERT INTO notes (body) VALUES ($1)", { "no" }))
  assert(tx:rollback())
  assert(db:execute("INSERT INTO notes (body) VALUES ($1)", { "writable again" }),
    "the connection is writable after a read-only transaction")
end

function cases.database_errors_carry_the_database_message(db)
  local pg = db:type() == sql.type.POSTGRES
  local err = expect_error(errors.INVALID, "syntax error", db:query("SELEC * FROM notes"))
  assert(type(err:details().code) == "string", "the database's error code is in details.code")
  assert(db:execute("INSERT INTO accounts (name, balance) VALUES ($1, $2)", { "ada", 10 }))
  err = expect_error(errors.INVALID, pg and "duplicate key" or "UNIQUE constraint failed",
    db:execute("INSERT INTO accounts (name, balance) VALUES ($1, $2)", { "ada", 5 }))
  if pg then assert(err:details().code == "23505") end
  expect_error(errors.INVALID, pg and "check constraint" or "CHECK constraint failed",
    db:execute("UPDATE accounts SET balance = $1 WHERE name = $2", { -1, "ada" }))
  expect_error(errors.INVALID, pg and "does not exist" or "no such table",
    db:query("SELECT * FROM missing_table"))
  expect_error(errors.INVALID, "takes 2 parameter", db:query("SELECT $1, $2", { 1 }))
  expect_error(errors.INVALID, "parameters must be an array",
    db:query("SELECT $1", { id = 1 }))
  expect_error(errors.INVALID, "is a table", db:query("SELECT $1", { { 1 } }))
  expect_error(errors.INVALID, "more than one statement", db:query("SELECT 1; SELECT 2"))
  -- a failed statement inside a transaction leaves the database usable
  local tx = assert(db:begin())
  assert(tx:savepoint("s"))
  expect_error(errors.INVALID, nil, tx:execute("INSERT INTO accounts (name, balance) VALUES ($1, $2)",
    { "ada", 1 }))
  assert(tx:rollback_to("s"))
  assert(tx:execute("INSERT INTO accounts (name, balance) VALUES ($1, $2)", { "grace", 3 }))
  assert(tx:commit())
  assert(db:query("SELECT balance FROM accounts WHERE name = $1", { "grace" })[1].balance == 3)
end

function cases.a_million_rows_stop_at_max_rows(db)
  local million = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) "
  expect_error(errors.INVALID, "more than 1000 rows, the max_rows of database",
    db:query(million .. "SELECT x FROM c"))
  local rows = assert(db:query(million .. "SELECT x FROM c LIMIT 1000"))
  assert(#rows == 1000 and rows[1000].x == 1000)
  local sum = assert(db:query(million .. "SELECT sum(x) AS s FROM c"))
  assert(tonumber(sum[1].s) == 500000500000, "aggregates over a million rows are fine")
  assert(db:query("SELECT 1 AS one")[1].one == 1, "the connection is usable after the refusal")
end

function cases.an_open_transaction_is_rolled_back_when_its_sandbox_ends(db)
  assert(funcs.call("sql:leave_open", db._id, "left open"))
  assert(count(db, "left open") == 0, "the uncommitted write is gone")
  -- and its connection is free: a new write transaction goes through at once
  local tx = assert(db:begin())
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { "after" }))
  assert(tx:commit())
  assert(count(db, "after") == 1)
end

function cases.a_sandbox_killed_mid_transaction_rolls_it_back(db)
  expect_error(errors.TIMEOUT, nil, funcs.call("sql:stuck", db._id, "killed"))
  assert(count(db, "killed") == 0)
  local tx = assert(db:begin())   -- SQLite: the killed sandbox's write lock is gone
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { "after kill" }))
  assert(tx:commit())
end

function cases.grants(db)
  local none, err = funcs.call("sql.other:ungranted", db._id)
  expect_error(errors.PERMISSION_DENIED, "of another namespace: add it to the entry's resources",
    none, err)
  none, err = funcs.call("sql:no_module")
  assert(none == nil and tostring(err):find("module 'sql' is not allowed"), tostring(err))
  expect_error(errors.NOT_FOUND, "no database 'sql:nothing'", sql.get("nothing"))
  expect_error(errors.NOT_FOUND, "no database 'sql:suite'", sql.get("sql:suite"))
end

-- store.sql on this database: values keep their types, TTLs expire exactly, and the table
-- holds what was stored.
function cases.store_sql(db, kv_id)
  local kv = assert(store.get(kv_id))
  assert(kv:delete("user") ~= nil)
  local value = { name = "ada", n = 9007199254740993, score = 2.5, tags = { "a", "b" } }
  assert(kv:set("user", value))
  local back = assert(kv:get("user"))
  assert(back.name == "ada" and back.n == 9007199254740993 and back.score == 2.5 and back.tags[2] == "b")
  assert(kv:set("user", "replaced") and kv:get("user") == "replaced")
  assert(kv:has("user") and not kv:has("nobody"))
  expect_error(errors.NOT_FOUND, "no key 'nobody'", kv:get("nobody"))
  assert(kv:set("short", true, 0.05) and kv:get("short") == true)
  time.sleep("120ms")
  assert(not kv:has("short") and not kv:delete("short"), "an expired key is gone")
  local rows = assert(db:query("SELECT count(*) AS n FROM suite_kv WHERE id = $1", { "user" }))
  assert(rows[1].n == 1, "the value lives in the database's table")
  assert(kv:delete("user") and not kv:delete("user"))
end

-- PostgreSQL only (see POSTGRES_ONLY): SQLite has no server connection to drop.
function cases.a_connection_dropped_mid_transaction(db)
  local tx = assert(db:begin())
  assert(tx:execute("INSERT INTO notes (body) VALUES ($1)", { "lost" }))
  local pid = assert(tx:query("SELECT pg_backend_pid() AS pid"))[1].pid
  assert(db:query("SELECT pg_terminate_backend($1) AS done", { pid })[1].done == true)
  expect_error(errors.UNAVAILABLE, nil, tx:query("SELECT 1"))
  assert(tx:rollback(), "rolling back a transaction whose connection is gone succeeds")
  assert(count(db, "lost") == 0)
  assert(db:query("SELECT 1 AS one")[1].one == 1, "the pool replaces the dropped connection")
end

-- The query builder's statements, run on this backend (with $N placeholders on PostgreSQL, as
-- a query meant for several engines sets them).
function cases.query_builder(db)
  local b = sql.builder
  local pg = db:type() == sql.type.POSTGRES
  local function on(q)
    return q:placeholder_format(pg and b.dollar or b.question):run_with(db)
  end
  assert(db:execute("DROP TABLE IF EXISTS tasks"))
  assert(db:execute("CREATE TABLE tasks (id TEXT PRIMARY KEY, status TEXT, score INTEGER, note TEXT)"))
  local insert = b.insert("tasks"):columns("id", "status", "score", "note")
    :values("a", "open", 10, sql.NULL)
    :values("b", "done", 90, "fine")
  local result, err = on(insert):exec()
  assert(result and result.rows_affected == 2, tostring(err))
  assert(on(b.insert("tasks"):set_map({ id = "c", status = "open", score = 85 })):exec())

  local rows = assert(on(b.select("id", "score"):from("tasks"):where({ status = "open" })
    :order_by("id ASC")):query())
  assert(#rows == 2 and rows[1].id == "a" and rows[2].score == 85)
  rows = assert(on(b.select("id"):from("tasks")
    :where(b.or_({ b.gt({ score = 80 }), b.eq({ note = sql.NULL }) })):order_by("id")):query())
  assert(#rows == 3)
  rows = assert(on(b.select("id"):from("tasks"):where(b.eq({ id = { "a", "c" } })):order_by("id"))
    :query())
  assert(#rows == 2 and rows[2].id == "c")
  rows = assert(on(b.select("status", "COUNT(*) AS n"):from("tasks"):group_by("status")
    :having("COUNT(*) > ?", 1)):query())
  assert(#rows == 1 and rows[1].status == "open" and rows[1].n == 2)

  result = assert(on(b.update("tasks"):set("status", "done"):set("score", b.expr("score + ?", 1))
    :where("id = ?", "a")):exec())
  assert(result.rows_affected == 1)
  assert(db:query("SELECT score FROM tasks WHERE id = 'a'")[1].score == 11)
  result = assert(on(b.delete("tasks"):where(b.like({ id = "%c%" }))):exec())
  assert(result.rows_affected == 1)
  -- A builder error comes back as nil, err, before the database sees anything.
  local none, failure = on(b.insert("tasks"):columns("id", "status"):values("x")):exec()
  assert(none == nil and failure:kind() == errors.INVALID and tostring(failure):find("1 values for 2"))
  -- Values stay values: a hostile string is bound, not spliced.
  assert(on(b.insert("tasks"):set_map({ id = "'); DROP TABLE tasks; --", status = "x" })):exec())
  assert(#db:query("SELECT id FROM tasks") == 3)
end

-- The order matters: schema first, the rest build on its tables.
local ORDER = {
  "schema", "values_keep_their_types", "null_parameters", "parameters_are_bound_not_spliced",
  "execute_reports_what_it_did", "prepared_statements", "transactions_commit_and_roll_back",
  "savepoints", "read_only_transactions_refuse_writes",
  "database_errors_carry_the_database_message", "a_million_rows_stop_at_max_rows",
  "an_open_transaction_is_rolled_back_when_its_sandbox_ends",
  "a_sandbox_killed_mid_transaction_rolls_it_back", "grants", "store_sql", "query_builder",
}
local POSTGRES_ONLY = { "a_connection_dropped_mid_transaction" }

local function run(db_id, kv_id)
  local db, err = sql.get(db_id)
  if not db then error("cannot open " .. db_id .. ": " .. tostring(err)) end
  db._id = db_id
  local names = table.move(ORDER, 1, #ORDER, 1, {})
  if db:type() == sql.type.POSTGRES then
    table.move(POSTGRES_ONLY, 1, #POSTGRES_ONLY, #names + 1, names)
  end
  local passed = 0
  for _, name in ipairs(names) do
    local ok, problem = pcall(cases[name], db, kv_id)
    if not ok then error(db_id .. ": case " .. name .. " failed: " .. tostring(problem), 0) end
    passed = passed + 1
  end
  print(string.format("%s (%s): %d cases passed", db_id, db:type(), passed))
  return true
end

return { run = run }
