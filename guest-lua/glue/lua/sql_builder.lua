-- sql_builder.lua: part of the `sql` face (see sql.lua) — `sql.builder`, the fluent query
-- builder of Wippy's sql module (Wippy: wippyai/docs en/lua/storage/sql.md), which follows Go's
-- squirrel: SELECT / INSERT / UPDATE / DELETE builders, conditions (expr, eq, not_eq, lt, lte,
-- gt, gte, like, not_like, and_, or_) and placeholder formats (question, dollar, at, colon).
--
--   local q = sql.builder.select("id", "name"):from("users"):where({active = 1}):limit(10)
--   local text, args = q:to_sql()        -- "SELECT id, name FROM users WHERE active = ? LIMIT 10", {1}
--   local rows, err = q:run_with(db):query()
--
-- Builders are values: every method returns a new builder and leaves its receiver as it was,
-- so a base query can be refined in several ways. Map conditions list their columns in sorted
-- order, so the same table always gives the same text. Values are always bound, never spliced
-- into the text; only expr() text, column and table names, and prefix/suffix text are SQL.
-- Called with (sql): returns the builder table.
local sql = ...
local errors = errors
local type, pairs, ipairs, next, setmetatable, getmetatable, tostring = type, pairs, ipairs, next,
  setmetatable, getmetatable, tostring
local concat, sort, pack, tointeger = table.concat, table.sort, table.pack, math.tointeger
local format, gsub = string.format, string.gsub
local NULL = sql.NULL

local builder = {}

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = "sql.builder: " .. message,
    retryable = false })
end

-- A build failure, carried up to to_sql as an error value rather than raised.
local Failure = {}
local function fail(message)
  error(setmetatable({ message = message }, Failure), 0)
end

-- Placeholder formats -------------------------------------------------------------------------

local function format_of(name, numbered)
  return setmetatable({ name = name, numbered = numbered }, {
    __name = "sql.builder.placeholder", __tostring = function() return "placeholder " .. name end,
  })
end
builder.question = format_of("question")
builder.default_placeholder = builder.question
builder.dollar = format_of("dollar", "$")
builder.at = format_of("at", "@p")
builder.colon = format_of("colon", ":")

-- Rewrite `?` as the numbered placeholders of `placeholder` (`??` stays a literal `?`).
local function number_placeholders(text, placeholder)
  if not placeholder.numbered then
    return (gsub(text, "%?%?", "?"))
  end
  local n = 0
  local out = gsub(text, "%?%??", function(mark)
    if mark == "??" then return "?" end
    n = n + 1
    return placeholder.numbered .. n
  end)
  return out
end

-- Sqlizers: conditions and expressions ---------------------------------------------------------

local Sqlizer = {}
Sqlizer.__index = Sqlizer
Sqlizer.__name = "sql.builder.expr"

local function sqlizer(render)
  return setmetatable({ _render = render }, Sqlizer)
end

local function is_sqlizer(v)
  local mt = getmetatable(v)
  return mt == Sqlizer or (type(mt) == "table" and mt.__builder == true)
end

-- Append `value` as a bound argument (or an expression's text and args) to `args`; its SQL.
local function bind(value, args)
  if is_sqlizer(value) then
    local text, more = value:_sql()
    for i = 1, more.n do args.n = args.n + 1; args[args.n] = more[i] end
    return text
  end
  args.n = args.n + 1
  args[args.n] = value
  return "?"
end

local function new_args()
  return { n = 0 }
end

-- The bound arguments as an array; a nil value is sql.NULL, so the array has no holes.
local function args_list(args)
  local out = {}
  for i = 1, args.n do
    local v = args[i]
    if v == nil then v = NULL end
    out[i] = v
  end
  return out
end

function Sqlizer:_sql()
  local args = new_args()
  local text = self._render(args)
  return text, args
end

function Sqlizer:to_sql()
  local ok, text, args = pcall(self._sql, self)
  if not ok then
    if getmetatable(text) == Failure then return invalid(text.message) end
    error(text, 0)
  end
  return text, args_list(args)
end

function builder.expr(text, ...)
  if type(text) ~= "string" then
    error("bad argument #1 to 'expr' (string expected, got " .. type(text) .. ")", 2)
  end
  local bound = pack(...)
  return sqlizer(function(args)
    local i = 0
    return (gsub(text, "%?%??", function(mark)
      if mark == "??" then return "??" end
      i = i + 1
      if i > bound.n then fail(format("expr %q has more placeholders than arguments", text)) end
      return bind(bound[i], args)
    end))
  end)
end

local function sorted_keys(map, what)
  local keys = {}
  for k in pairs(map) do
    if type(k) ~= "string" then
      fail(format("%s: column names must be strings, got %s", what, type(k)))
    end
    keys[#keys + 1] = k
  end
  sort(keys)
  return keys
end

local function is_list(v)
  return type(v) == "table" and getmetatable(v) == nil and v ~= NULL and (v[1] ~= nil or next(v) == nil)
end

-- A map condition: each column compared with `op`; lists become IN / NOT IN for = and <>.
local function comparison(op, name)
  return function(map)
    if type(map) ~= "table" then
      error(format("bad argument #1 to '%s' (table expected, got %s)", name, type(map)), 2)
    end
    return sqlizer(function(args)
      local parts = {}
      for _, column in ipairs(sorted_keys(map, name)) do
        local value = map[column]
        if value == NULL and (op == "=" or op == "<>") then
          parts[#parts + 1] = column .. (op == "=" and " IS NULL" or " IS NOT NULL")
        elseif is_list(value) and (op == "=" or op == "<>") then
          if #value == 0 then
            parts[#parts + 1] = op == "=" and "(1=0)" or "(1=1)"
          else
            local marks = {}
            for i, v in ipairs(value) do marks[i] = bind(v, args) end
            parts[#parts + 1] = format("%s %s (%s)", column, op == "=" and "IN" or "NOT IN",
              concat(marks, ","))
          end
        else
          parts[#parts + 1] = format("%s %s %s", column, op, bind(value, args))
        end
      end
      if #parts == 0 then return op == "<>" and "(1=0)" or "(1=1)" end
      return concat(parts, " AND ")
    end)
  end
end

builder.eq = comparison("=", "eq")
builder.not_eq = comparison("<>", "not_eq")
builder.lt = comparison("<", "lt")
builder.lte = comparison("<=", "lte")
builder.gt = comparison(">", "gt")
builder.gte = comparison(">=", "gte")
builder.like = comparison("LIKE", "like")
builder.not_like = comparison("NOT LIKE", "not_like")

-- A condition given as a Sqlizer or a table (an eq map).
local function condition(c, what)
  if is_sqlizer(c) then return c end
  if type(c) == "table" then return builder.eq(c) end
  fail(format("%s: a condition must be a table or a builder expression, got %s", what, type(c)))
end

local function conjunction(word, name)
  return function(list)
    if type(list) ~= "table" then
      error(format("bad argument #1 to '%s' (table of conditions expected, got %s)", name,
        type(list)), 2)
    end
    return sqlizer(function(args)
      local parts = {}
      for _, c in ipairs(list) do
        parts[#parts + 1] = bind(condition(c, name), args)
      end
      if #parts == 0 then return word == "AND" and "(1=1)" or "(1=0)" end
      return "(" .. concat(parts, " " .. word .. " ") .. ")"
    end)
  end
end

builder.and_ = conjunction("AND", "and_")
builder.or_ = conjunction("OR", "or_")

-- Builders ------------------------------------------------------------------------------------

-- A WHERE / HAVING part from a method's arguments: (string, args...), (table) or (Sqlizer).
local function clause(what, c, ...)
  if type(c) == "string" then return builder.expr(c, ...) end
  if c == nil then fail(what .. ": a condition is needed") end
  return condition(c, what)
end

local function check_name(value, what)
  if type(value) ~= "string" or value == "" then
    error(format("%s expects a non-empty string, got %s", what, type(value)), 3)
  end
  return value
end

local function check_count(n, what)
  local i = tointeger(n)
  if i == nil or i < 0 then
    error(format("%s expects a non-negative integer, got %s", what, tostring(n)), 3)
  end
  return i
end

-- Render the parts joined by `sep`, each bound into `args`.
local function render_all(parts, args, sep)
  local out = {}
  for i, part in ipairs(parts) do out[i] = bind(part, args) end
  return concat(out, sep)
end

-- The class of a builder kind, with its constructor from a state table.
local function class(name, render)
  local methods = {}
  local mt = { __index = methods, __name = "sql.builder." .. name, __builder = true }
  local function make(state) return setmetatable({ _s = state }, mt) end
  -- A copy of `b` whose state `change` altered; the receiver stays as it was.
  local function with(b, change)
    local state = {}
    for k, v in pairs(b._s) do
      if type(v) == "table" and getmetatable(v) == nil then
        local copy = {}
        for i, x in pairs(v) do copy[i] = x end
        state[k] = copy
      else
        state[k] = v
      end
    end
    change(state)
    return make(state)
  end
  function methods:_sql()
    local args = new_args()
    local text = render(self._s, args)
    return text, args
  end
  function methods:to_sql()
    local ok, text, args = pcall(self._sql, self)
    if not ok then
      if getmetatable(text) == Failure then return invalid(text.message) end
      error(text, 0)
    end
    text = number_placeholders(text, self._s.placeholder or builder.question)
    return text, args_list(args)
  end
  function methods:placeholder_format(placeholder)
    if getmetatable(placeholder) == nil or placeholder.name == nil then
      error("placeholder_format expects sql.builder.question, dollar, at or colon", 2)
    end
    return with(self, function(s) s.placeholder = placeholder end)
  end
  function methods:suffix(text, ...)
    check_name(text, "suffix")
    local part = builder.expr(text, ...)
    return with(self, function(s) s.suffixes[#s.suffixes + 1] = part end)
  end
  function methods:run_with(db)
    if type(db) ~= "table" or type(db.query) ~= "function" then
      error("run_with expects a database or a transaction from sql.get / db:begin", 2)
    end
    return builder._executor(self, db)
  end
  return methods, make, with
end

local function where_methods(methods, with)
  function methods:where(c, ...)
    local part = clause("where", c, ...)
    return with(self, function(s) s.wheres[#s.wheres + 1] = part end)
  end
  function methods:order_by(...)
    local columns = pack(...)
    for i = 1, columns.n do check_name(columns[i], "order_by") end
    return with(self, function(s)
      for i = 1, columns.n do s.order[#s.order + 1] = columns[i] end
    end)
  end
  function methods:limit(n)
    local i = check_count(n, "limit")
    return with(self, function(s) s.limit = i end)
  end
  function methods:offset(n)
    local i = check_count(n, "offset")
    return with(self, function(s) s.offset = i end)
  end
end

-- The tail that SELECT, UPDATE and DELETE share: WHERE ... ORDER BY ... LIMIT ... OFFSET ...
local function tail(s, args, out)
  if #s.wheres > 0 then out[#out + 1] = "WHERE " .. render_all(s.wheres, args, " AND ") end
  if s.group and #s.group > 0 then out[#out + 1] = "GROUP BY " .. concat(s.group, ", ") end
  if s.havings and #s.havings > 0 then
    out[#out + 1] = "HAVING " .. render_all(s.havings, args, " AND ")
  end
  if #s.order > 0 then out[#out + 1] = "ORDER BY " .. concat(s.order, ", ") end
  if s.limit then out[#out + 1] = "LIMIT " .. s.limit end
  if s.offset then out[#out + 1] = "OFFSET " .. s.offset end
  if #s.suffixes > 0 then out[#out + 1] = render_all(s.suffixes, args, " ") end
  return concat(out, " ")
end

-- SELECT.
local Select, make_select, with_select = class("select", function(s, args)
  if #s.columns == 0 then fail("a SELECT needs at least one column") end
  local out = { s.distinct and "SELECT DISTINCT" or "SELECT", concat(s.columns, ", ") }
  if s.from then out[#out + 1] = "FROM " .. s.from end
  for _, join in ipairs(s.joins) do out[#out + 1] = bind(join, args) end
  return tail(s, args, out)
end)
where_methods(Select, with_select)

function builder.select(...)
  local columns = pack(...)
  for i = 1, columns.n do check_name(columns[i], "select") end
  columns.n = nil
  return make_select({ columns = columns, joins = {}, wheres = {}, group = {}, havings = {},
    order = {}, suffixes = {} })
end

function Select:from(name)
  check_name(name, "from")
  return with_select(self, function(s) s.from = name end)
end

function Select:columns(...)
  local columns = pack(...)
  for i = 1, columns.n do check_name(columns[i], "columns") end
  return with_select(self, function(s)
    for i = 1, columns.n do s.columns[#s.columns + 1] = columns[i] end
  end)
end

function Select:distinct()
  return with_select(self, function(s) s.distinct = true end)
end

for method, word in pairs({ join = "JOIN", left_join = "LEFT JOIN", right_join = "RIGHT JOIN",
  inner_join = "INNER JOIN" }) do
  Select[method] = function(self, text, ...)
    check_name(text, method)
    local part = builder.expr(word .. " " .. text, ...)
    return with_select(self, function(s) s.joins[#s.joins + 1] = part end)
  end
end

function Select:group_by(...)
  local columns = pack(...)
  for i = 1, columns.n do check_name(columns[i], "group_by") end
  return with_select(self, function(s)
    for i = 1, columns.n do s.group[#s.group + 1] = columns[i] end
  end)
end

function Select:having(c, ...)
  local part = clause("having", c, ...)
  return with_select(self, function(s) s.havings[#s.havings + 1] = part end)
end

-- INSERT.
local Insert, make_insert, with_insert = class("insert", function(s, args)
  if not s.into then fail("an INSERT needs a table (insert(name) or :into(name))") end
  local out = {}
  if #s.prefixes > 0 then out[#out + 1] = render_all(s.prefixes, args, " ") end
  out[#out + 1] = "INSERT"
  if #s.options > 0 then out[#out + 1] = concat(s.options, " ") end
  out[#out + 1] = "INTO " .. s.into
  if #s.columns > 0 then out[#out + 1] = "(" .. concat(s.columns, ", ") .. ")" end
  if s.select then
    if #s.rows > 0 then fail("an INSERT takes values or a select, not both") end
    out[#out + 1] = bind(s.select, args)
  else
    if #s.rows == 0 then fail("an INSERT needs values (:values(...) or :set_map{...})") end
    local rows = {}
    for i, row in ipairs(s.rows) do
      if #s.columns > 0 and row.n ~= #s.columns then
        fail(format("row %d has %d values for %d columns", i, row.n, #s.columns))
      end
      local marks = {}
      for j = 1, row.n do marks[j] = bind(row[j], args) end
      rows[i] = "(" .. concat(marks, ",") .. ")"
    end
    out[#out + 1] = "VALUES " .. concat(rows, ",")
  end
  if #s.suffixes > 0 then out[#out + 1] = render_all(s.suffixes, args, " ") end
  return concat(out, " ")
end)

function builder.insert(name)
  if name ~= nil then check_name(name, "insert") end
  return make_insert({ into = name, columns = {}, rows = {}, options = {}, prefixes = {},
    suffixes = {} })
end

function Insert:into(name)
  check_name(name, "into")
  return with_insert(self, function(s) s.into = name end)
end

function Insert:columns(...)
  local columns = pack(...)
  for i = 1, columns.n do check_name(columns[i], "columns") end
  return with_insert(self, function(s)
    for i = 1, columns.n do s.columns[#s.columns + 1] = columns[i] end
  end)
end

function Insert:values(...)
  local row = pack(...)
  return with_insert(self, function(s) s.rows[#s.rows + 1] = row end)
end

function Insert:set_map(map)
  if type(map) ~= "table" then error("set_map expects a table {column = value}", 2) end
  local ok, keys = pcall(sorted_keys, map, "set_map")
  if not ok then error(keys.message or keys, 2) end
  local row = { n = #keys }
  for i, k in ipairs(keys) do row[i] = map[k] end
  return with_insert(self, function(s)
    s.columns = keys
    s.rows = { row }
  end)
end

function Insert:select(query)
  if getmetatable(query) ~= getmetatable(builder.select("x")) then
    error("select expects a SELECT builder", 2)
  end
  return with_insert(self, function(s) s.select = query end)
end

function Insert:options(...)
  local options = pack(...)
  for i = 1, options.n do check_name(options[i], "options") end
  return with_insert(self, function(s)
    for i = 1, options.n do s.options[#s.options + 1] = options[i] end
  end)
end

function Insert:prefix(text, ...)
  check_name(text, "prefix")
  local part = builder.expr(text, ...)
  return with_insert(self, function(s) s.prefixes[#s.prefixes + 1] = part end)
end

-- UPDATE.
local Update, make_update, with_update = class("update", function(s, args)
  if not s.table then fail("an UPDATE needs a table (update(name) or :table(name))") end
  if #s.sets == 0 then fail("an UPDATE needs at least one :set(column, value)") end
  local sets = {}
  for i, set in ipairs(s.sets) do sets[i] = set[1] .. " = " .. bind(set[2], args) end
  local out = { "UPDATE " .. s.table, "SET " .. concat(sets, ", ") }
  if s.from_select then
    out[#out + 1] = "FROM (" .. bind(s.from_select, args) .. ") AS " .. s.from_alias
  elseif s.from then
    out[#out + 1] = "FROM " .. s.from
  end
  return tail(s, args, out)
end)
where_methods(Update, with_update)

function builder.update(name)
  if name ~= nil then check_name(name, "update") end
  return make_update({ table = name, sets = {}, wheres = {}, order = {}, suffixes = {} })
end

function Update:table(name)
  check_name(name, "table")
  return with_update(self, function(s) s.table = name end)
end

function Update:set(column, value)
  check_name(column, "set")
  return with_update(self, function(s) s.sets[#s.sets + 1] = { column, value } end)
end

function Update:set_map(map)
  if type(map) ~= "table" then error("set_map expects a table {column = value}", 2) end
  local ok, keys = pcall(sorted_keys, map, "set_map")
  if not ok then error(keys.message or keys, 2) end
  return with_update(self, function(s)
    for _, k in ipairs(keys) do s.sets[#s.sets + 1] = { k, map[k] } end
  end)
end

function Update:from(name)
  check_name(name, "from")
  return with_update(self, function(s) s.from = name end)
end

function Update:from_select(query, alias)
  if getmetatable(query) ~= getmetatable(builder.select("x")) then
    error("from_select expects a SELECT builder", 2)
  end
  check_name(alias, "from_select")
  return with_update(self, function(s)
    s.from_select, s.from_alias = query, alias
  end)
end

-- DELETE.
local Delete, make_delete, with_delete = class("delete", function(s, args)
  if not s.from then fail("a DELETE needs a table (delete(name) or :from(name))") end
  return tail(s, args, { "DELETE FROM " .. s.from })
end)
where_methods(Delete, with_delete)

function builder.delete(name)
  if name ~= nil then check_name(name, "delete") end
  return make_delete({ from = name, wheres = {}, order = {}, suffixes = {} })
end

function Delete:from(name)
  check_name(name, "from")
  return with_delete(self, function(s) s.from = name end)
end

-- Executors -----------------------------------------------------------------------------------

local Executor = {}
Executor.__index = Executor
Executor.__name = "sql.builder.executor"

function builder._executor(query, db)
  return setmetatable({ _query = query, _db = db }, Executor)
end

local function run(self, method)
  local text, args = self._query:to_sql()
  if not text then return nil, args end
  return self._db[method](self._db, text, args)
end

function Executor:query()
  return run(self, "query")
end

function Executor:exec()
  return run(self, "execute")
end

function Executor:to_sql()
  return self._query:to_sql()
end

return builder
