-- errors.lua: the `errors` global (Wippy: wippyai/docs en/lua/core/errors.md, §5). Runs once per Lua state, before any entry
-- code; returns the module table and the metatable of error objects. The C glue stores the
-- metatable in the registry under "luabox.error" (the codec recognises error objects by it) and
-- sets the global.
--
--   local err = errors.new({ kind = errors.NOT_FOUND, message = "no user 42" })
--   err:kind() == errors.NOT_FOUND; tostring(err) == "no user 42"
--   local werr = errors.wrap(err, "load profile")  -- "load profile: no user 42", still NotFound
--   if errors.is(werr, errors.NOT_FOUND) then ... end
--
-- An error object is a plain table with this metatable. Its data lives in raw fields whose names
-- carry a leading underscore, because `err:message()` looks `message` up on the table itself and a
-- raw field of that name would hide the method:
--
--   _message   string                   :message()   tostring(err), `..`
--   _kind      string ("" = UNKNOWN)    :kind()
--   _retryable true | false | nil       :retryable()
--   _details   table | nil              :details()
--   _stack     string | nil             :stack()     (a debug.traceback at creation)
--
-- C code that builds or reads error objects must use these raw names (or errors.from_host).
--
-- Decisions where the reference is silent or cannot be followed:
--   * errors.wrap(err, ctx) stores "ctx: inner message" as the message, so :message() and
--     tostring() both return the combined text (the reference keeps :message() as the inner
--     message; only the five fields above cross the sandbox boundary, so there is nowhere to keep
--     the context apart). Kind, retryable, details and the inner error's stack are kept.
--   * errors.wrap(nil, ctx) returns nil, so `return errors.wrap(err, "ctx")` is safe after a
--     successful call; other non-error values are wrapped through tostring().
--   * errors.new(kind, message) (the two-argument form in some reference docs) is refused with a
--     message pointing at the table form.
--   * errors.call_stack(err) returns {stack = <traceback text>, frames = {{source, line, name}}}
--     parsed from the recorded traceback; there is no `thread` field.
--   * errors.from_host(kind, message, retryable?, details?) fills in `retryable` from the
--     reference's guideline when it is not given: Timeout, Unavailable and RateLimited are
--     retryable; Invalid, NotFound, PermissionDenied and AlreadyExists are not.
local type, tostring, tonumber, select, error = type, tostring, tonumber, select, error
local tointeger = math.tointeger
local getmetatable, setmetatable, rawget, rawequal = getmetatable, setmetatable, rawget, rawequal
local traceback = debug and debug.traceback

local errors = {
  NOT_FOUND = "NotFound",
  ALREADY_EXISTS = "AlreadyExists",
  INVALID = "Invalid",
  PERMISSION_DENIED = "PermissionDenied",
  UNAVAILABLE = "Unavailable",
  INTERNAL = "Internal",
  CANCELED = "Canceled",
  CONFLICT = "Conflict",
  TIMEOUT = "Timeout",
  RATE_LIMITED = "RateLimited",
  UNKNOWN = "",
}

local RETRYABLE_BY_KIND = {
  Timeout = true, Unavailable = true, RateLimited = true,
  Invalid = false, NotFound = false, PermissionDenied = false, AlreadyExists = false,
}

local methods = {}
local mt = { __index = methods, __name = "error" }

local function is_error(v)
  return type(v) == "table" and rawequal(getmetatable(v), mt)
end

-- The stack of the caller `level` levels above the function calling this one.
local function stack_at(level)
  if traceback then
    return traceback(nil, level + 1)
  end
end

local function make(message, kind, retryable, details, stack)
  return setmetatable({
    _message = message, _kind = kind, _retryable = retryable, _details = details, _stack = stack,
  }, mt)
end

-- Raises "errors.<fname>: <what>" at the caller of the public function.
local function fail(fname, what)
  error("errors." .. fname .. ": " .. what, 3)
end

local function check_self(self, method)
  if not is_error(self) then
    error("errors: call err:" .. method .. "() with a colon on an error object", 3)
  end
end

---------------------------------------------------------------------------------------------------
-- Constructors

-- errors.new("message") or errors.new{message=, kind=, retryable=, details=}
function errors.new(spec, ...)
  if select("#", ...) > 0 then
    fail("new", "takes one argument; for a kind use errors.new({ kind = errors.NOT_FOUND, "
      .. "message = \"...\" })")
  end
  local stack = stack_at(2)
  local t = type(spec)
  if t == "string" or t == "number" then
    return make(tostring(spec), "", nil, nil, stack)
  end
  if is_error(spec) then
    return make(spec._message, spec._kind, spec._retryable, spec._details, stack)
  end
  if t ~= "table" then
    fail("new", "expected a message string or a table { message = ..., kind = ... }, got " .. t)
  end
  local message, kind, retryable, details = spec.message, spec.kind, spec.retryable, spec.details
  if type(message) == "number" then
    message = tostring(message)
  elseif type(message) ~= "string" then
    fail("new", "the table needs a string `message` field, got " .. type(message))
  end
  if kind == nil then
    kind = ""
  elseif type(kind) ~= "string" then
    fail("new", "`kind` must be a string such as errors.NOT_FOUND, got " .. type(kind))
  end
  if retryable ~= nil and type(retryable) ~= "boolean" then
    fail("new", "`retryable` must be a boolean or nil, got " .. type(retryable))
  end
  if details ~= nil and type(details) ~= "table" then
    fail("new", "`details` must be a table or nil, got " .. type(details))
  end
  return make(message, kind, retryable, details, stack)
end

-- errors.wrap(err_or_value, "context") -> error | nil
function errors.wrap(err, context)
  if err == nil then
    return nil
  end
  if context ~= nil and type(context) ~= "string" and type(context) ~= "number" then
    fail("wrap", "the context must be a string, got " .. type(context))
  end
  local prefix = (context ~= nil and context ~= "") and (tostring(context) .. ": ") or ""
  if is_error(err) then
    return make(prefix .. (err._message or ""), err._kind or "", err._retryable, err._details,
      err._stack or stack_at(2))
  end
  return make(prefix .. tostring(err), "", nil, nil, stack_at(2))
end

-- An error for a failed host operation; used by the C glue and other module faces.
function errors.from_host(kind, message, retryable, details)
  kind = kind == nil and "" or tostring(kind)
  message = message == nil and "host operation failed" or tostring(message)
  if type(retryable) ~= "boolean" then
    retryable = RETRYABLE_BY_KIND[kind]
  end
  if type(details) ~= "table" then
    details = nil
  end
  return make(message, kind, retryable, details, stack_at(2))
end

---------------------------------------------------------------------------------------------------
-- Inspection

errors.is_error = is_error

-- errors.is(err, kind) -> boolean; false for nil, strings and other non-errors.
function errors.is(err, kind)
  return is_error(err) and (err._kind or "") == kind
end

-- One traceback line -> {source, line, name}, or nil for headers and "(...tail calls...)".
local function parse_frame(text)
  local source, line, what = text:match("^%s*(.-):(%d+): in (.*)$")
  if not source then
    source, what = text:match("^%s*(.-): in (.*)$")
    if not source then
      return nil
    end
  end
  local name = what:match("'(.-)'$")
  if not name and what == "main chunk" then
    name = "main chunk"
  end
  return { source = source, line = line and tointeger(tonumber(line)), name = name }
end

-- errors.call_stack(err) -> {stack = text, frames = {{source, line, name}, ...}} | nil
function errors.call_stack(err)
  local stack = is_error(err) and err._stack
  if type(stack) ~= "string" then
    return nil
  end
  local frames = {}
  for text in stack:gmatch("[^\n]+") do
    local frame = parse_frame(text)
    if frame then
      frames[#frames + 1] = frame
    end
  end
  return { stack = stack, frames = frames }
end

---------------------------------------------------------------------------------------------------
-- Methods and metamethods

function methods.message(self)
  check_self(self, "message")
  return self._message or ""
end

function methods.kind(self)
  check_self(self, "kind")
  return self._kind or ""
end

function methods.retryable(self)
  check_self(self, "retryable")
  return self._retryable
end

function methods.details(self)
  check_self(self, "details")
  return self._details
end

function methods.stack(self)
  check_self(self, "stack")
  return self._stack
end

function mt.__tostring(self)
  local message = rawget(self, "_message")
  return type(message) == "string" and message or ""
end

local function concat_part(v)
  if is_error(v) then
    return mt.__tostring(v)
  end
  local t = type(v)
  if t ~= "string" and t ~= "number" then
    error("attempt to concatenate an error with a " .. t .. " value", 3)
  end
  return v
end

function mt.__concat(a, b)
  return concat_part(a) .. concat_part(b)
end

return errors, mt
