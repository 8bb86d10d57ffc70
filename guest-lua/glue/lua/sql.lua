-- sql.lua: the Lua face of the `sql` module (mod_sql.c holds the raw calls; the host side is
-- host/src/modules/sql.rs and host/src/sql/).
--
--   local sql = require("sql")
--   local db, err = sql.get("app:db")            -- granted by the entry's `resources:`
--   local rows, err = db:query("SELECT id, name FROM users WHERE id = $1", {42})
--   local res, err = db:execute("INSERT INTO users(name) VALUES (?)", {"ada"})
--   res.rows_affected, res.last_insert_id        -- last_insert_id: SQLite only
--   local stmt = db:prepare("SELECT * FROM users WHERE name = $1"); stmt:query({"ada"})
--   local tx = db:begin({isolation = sql.isolation.SERIALIZABLE, read_only = false})
--   tx:execute(...); tx:savepoint("a"); tx:rollback_to("a"); tx:release("a"); tx:commit()
--   db:execute("UPDATE t SET note = ? WHERE id = ?", {sql.NULL, 1})
--   db:release()
--   local q = sql.builder.select("id"):from("users"):where({active = 1})   -- sql_builder.lua
--   local rows, err = q:run_with(db):query()
--
-- Parameters are bound by the database, never spliced into the text: `?`, `$1`.. on both
-- backends (SQLite also `?NNN`). Rows are tables keyed by column; NULL columns are nil. Every
-- call waits as data (other coroutines run meanwhile) and fails with `nil, err`.
local raw, load_part = ...
local errors = errors
local type, pairs, setmetatable, getmetatable, tostring = type, pairs, setmetatable,
  getmetatable, tostring
local tointeger, format = math.tointeger, string.format
local utf8_len = utf8.len

local sql = {}

-- The NULL parameter: nil cannot sit in the middle of a Lua array.
sql.NULL = setmetatable({}, {
  __name = "sql.NULL",
  __tostring = function() return "sql.NULL" end,
  __newindex = function() error("sql.NULL cannot be changed", 2) end,
})
local NULL = sql.NULL

sql.type = { SQLITE = "sqlite", POSTGRES = "postgres" }
sql.isolation = {
  DEFAULT = "default",
  READ_UNCOMMITTED = "read_uncommitted",
  READ_COMMITTED = "read_committed",
  REPEATABLE_READ = "repeatable_read",
  SERIALIZABLE = "serializable",
}

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = "sql: " .. message, retryable = false })
end

local function check_text(what, text)
  if type(text) ~= "string" then
    return format("%s must be a string, got %s", what, type(text))
  end
  if utf8_len(text) == nil then
    return what .. " must be UTF-8 text"
  end
end

-- params -> (table or nil, count): sql.NULL and holes become missing positions, which the host
-- binds as NULL; `count` keeps trailing NULLs.
local function pack(params)
  if params == nil then return nil, 0 end
  if type(params) ~= "table" or getmetatable(params) ~= nil then
    return nil, nil, "parameters must be an array table, got " .. type(params)
  end
  local count, plain = 0, true
  for k, v in pairs(params) do
    local i = tointeger(k)
    if i == nil or i < 1 then
      return nil, nil, format("parameters must be an array (positions 1, 2, ...), found the key %s",
        tostring(k))
    end
    if i > count then count = i end
    if v == NULL then plain = false end
  end
  if plain then return params, count end
  local copy = {}
  for k, v in pairs(params) do
    if v ~= NULL then copy[k] = v end
  end
  return copy, count
end

local function statement(self, run, text, params)
  local problem = check_text("the statement", text)
  if problem then return invalid(problem) end
  local packed, count, bad = pack(params)
  if bad then return invalid(bad) end
  return run(self._on_tx, self._handle, text, packed, count)
end

-- What databases and transactions share: query, execute, prepare.
local function add_statements(class, what)
  function class:query(text, params)
    if self._closed then return invalid(self._closed) end
    return statement(self, raw.query, text, params)
  end

  function class:execute(text, params)
    if self._closed then return invalid(self._closed) end
    return statement(self, raw.execute, text, params)
  end

  function class:prepare(text)
    if self._closed then return invalid(self._closed) end
    local problem = check_text("the statement", text)
    if problem then return invalid(problem) end
    local ok, err = raw.prepare(self._on_tx, self._handle, text)
    if not ok then return nil, err end
    return sql._statement(self, text)
  end

  class.__index = class
  class.__name = what
end

-- Stmt: a statement checked by the database, run with different parameters.
local Stmt = {}
Stmt.__index = Stmt
Stmt.__name = "sql.Stmt"

function sql._statement(owner, text)
  return setmetatable({ _owner = owner, _text = text }, Stmt)
end

function Stmt:query(params)
  if self._closed then return invalid("the statement is closed") end
  return self._owner:query(self._text, params)
end

function Stmt:execute(params)
  if self._closed then return invalid("the statement is closed") end
  return self._owner:execute(self._text, params)
end

function Stmt:close()
  self._closed = true
  return true
end

-- Tx: a transaction on a connection of its own, rolled back if the sandbox ends before
-- commit or rollback.
local Tx = {}
add_statements(Tx, "sql.Tx")

function Tx:db_type() return self._type end

local function finish(self, commit)
  if self._closed then return invalid(self._closed) end
  self._closed = commit and "the transaction was committed" or "the transaction was rolled back"
  return raw.finish(self._handle, commit)
end

function Tx:commit() return finish(self, true) end
function Tx:rollback() return finish(self, false) end

local function savepoint(action)
  return function(self, name)
    if self._closed then return invalid(self._closed) end
    local problem = check_text("the savepoint name", name)
    if problem then return invalid(problem) end
    return raw.savepoint(self._handle, action, name)
  end
end

Tx.savepoint = savepoint(0)
Tx.rollback_to = savepoint(1)
Tx.release = savepoint(2)

-- DB: an opened database entry.
local DB = {}
add_statements(DB, "sql.DB")

function DB:type() return self._type end

local BEGIN_OPTIONS = { isolation = true, read_only = true }

function DB:begin(options)
  if self._closed then return invalid(self._closed) end
  options = options or {}
  if type(options) ~= "table" then
    return invalid("begin options must be a table, got " .. type(options))
  end
  for k in pairs(options) do
    if not BEGIN_OPTIONS[k] then
      return invalid(format("unknown begin option '%s' (isolation, read_only)", tostring(k)))
    end
  end
  local isolation = options.isolation or "default"
  local problem = check_text("isolation", isolation)
  if problem then return invalid(problem) end
  local number, err = raw.begin(self._handle, isolation, options.read_only == true)
  if not number then return nil, err end
  return setmetatable({ _handle = number, _on_tx = true, _type = self._type }, Tx)
end

function DB:stats()
  if self._closed then return invalid(self._closed) end
  return raw.stats(self._handle)
end

function DB:release()
  if not self._closed then
    self._closed = "the database was released"
    raw.release(self._handle)
  end
  return true
end

-- Type coercions (Wippy's sql.as): Lua values bind by their own type, so these convert the
-- value to the type asked for, and a value that cannot be is an error.
sql.as = {
  int = function(v)
    local i = tointeger(v)
    if i == nil then error("sql.as.int: " .. tostring(v) .. " is not an integer", 2) end
    return i
  end,
  float = function(v)
    if type(v) ~= "number" then error("sql.as.float: a number expected, got " .. type(v), 2) end
    return v + 0.0
  end,
  text = function(v) return tostring(v) end,
  binary = function(v)
    if type(v) ~= "string" then error("sql.as.binary: a string expected, got " .. type(v), 2) end
    return v
  end,
  null = function() return NULL end,
}

function sql.get(id)
  local problem = check_text("the database id", id)
  if problem then return invalid(problem) end
  local handle, kind = raw.open(id)
  if not handle then return nil, kind end
  return setmetatable({ _handle = handle, _on_tx = false, _type = kind, _id = id }, DB)
end

sql.builder = load_part("sql_builder")(sql)

return sql
