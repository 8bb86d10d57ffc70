-- errors_test.lua: a luabox test function for the `errors` global (guest-lua/glue/lua/errors.lua).
-- Returns true when every assertion holds; raises on the first failure.
local check = require("check")
local eq, raises = check.eq, check.raises

local function make_it(message)
  local err = errors.new(message) -- not a tail call, so this frame is in the traceback
  return err
end

return function()
  -- constants
  eq(errors.NOT_FOUND, "NotFound", "NOT_FOUND")
  eq(errors.ALREADY_EXISTS, "AlreadyExists", "ALREADY_EXISTS")
  eq(errors.INVALID, "Invalid", "INVALID")
  eq(errors.PERMISSION_DENIED, "PermissionDenied", "PERMISSION_DENIED")
  eq(errors.UNAVAILABLE, "Unavailable", "UNAVAILABLE")
  eq(errors.INTERNAL, "Internal", "INTERNAL")
  eq(errors.CANCELED, "Canceled", "CANCELED")
  eq(errors.CONFLICT, "Conflict", "CONFLICT")
  eq(errors.TIMEOUT, "Timeout", "TIMEOUT")
  eq(errors.RATE_LIMITED, "RateLimited", "RATE_LIMITED")
  eq(errors.UNKNOWN, "", "UNKNOWN")

  -- errors.new("message")
  local e = errors.new("boom")
  assert(errors.is_error(e), "new returns an error object")
  eq(type(e), "table", "error objects are tables")
  eq(e:message(), "boom", "message")
  eq(e:kind(), "", "default kind is UNKNOWN")
  eq(e:kind(), errors.UNKNOWN, "default kind constant")
  eq(e:retryable(), nil, "default retryable")
  eq(e:details(), nil, "default details")
  eq(type(e:stack()), "string", "stack is recorded")
  assert(e:stack():find("stack traceback", 1, true), "stack is a traceback")
  eq(tostring(e), "boom", "tostring is the message")
  eq(getmetatable(e).__name, "error", "__name")
  eq(type(e.message), "function", "e.message is the method (data lives in raw fields)")
  eq(rawget(e, "_message"), "boom", "raw field _message")
  eq(rawget(e, "_kind"), "", "raw field _kind")
  eq(errors.new(42):message(), "42", "a number message becomes a string")
  eq(errors.new(""):message(), "", "empty message")

  -- errors.new{...}
  local details = { id = 7 }
  local full = errors.new({ message = "no user", kind = errors.NOT_FOUND, retryable = false,
    details = details })
  eq(full:message(), "no user", "table message")
  eq(full:kind(), "NotFound", "table kind")
  eq(full:retryable(), false, "retryable false is kept (not nil)")
  eq(full:details(), details, "details table is kept")
  eq(full:details().id, 7, "details content")
  eq(errors.new({ message = "m", retryable = true }):retryable(), true, "retryable true")
  eq(errors.new({ message = "m", kind = "Custom" }):kind(), "Custom", "unknown kinds allowed")
  eq(errors.new({ message = "m" }):kind(), "", "table without kind")
  local copy = errors.new(full)
  eq(copy:kind(), "NotFound", "new(err) copies the kind")
  eq(copy:message(), "no user", "new(err) copies the message")
  assert(copy ~= full, "new(err) is a new object")

  -- errors.new refusals
  raises("message", errors.new, {})
  raises("message", errors.new, { kind = errors.INVALID })
  raises("message", errors.new, { message = true })
  raises("kind", errors.new, { message = "m", kind = 5 })
  raises("retryable", errors.new, { message = "m", retryable = "yes" })
  raises("details", errors.new, { message = "m", details = "x" })
  raises("one argument", errors.new, "TIMEOUT", "msg")
  raises("got nil", errors.new)
  raises("got boolean", errors.new, true)

  -- the stack starts at the caller of errors.new
  local made = make_it("deep")
  local cs = errors.call_stack(made)
  eq(type(cs), "table", "call_stack returns a table")
  eq(cs.stack, made:stack(), "call_stack.stack is the traceback")
  assert(#cs.frames >= 2, "call_stack has frames")
  eq(cs.frames[1].name, "make_it", "first frame is the function that called errors.new")
  eq(math.type(cs.frames[1].line), "integer", "frame line is an integer")
  eq(type(cs.frames[1].source), "string", "frame source")
  assert(cs.frames[1].source:find("errors_test", 1, true), "frame source names the test file")
  eq(errors.call_stack("a string"), nil, "call_stack of a string")
  eq(errors.call_stack(nil), nil, "call_stack of nil")
  eq(errors.call_stack({}), nil, "call_stack of a plain table")

  -- errors.wrap
  eq(errors.wrap(nil, "ctx"), nil, "wrap(nil) is nil")
  local ws = errors.wrap("disk full", "save")
  assert(errors.is_error(ws), "wrap of a string is an error")
  eq(ws:message(), "save: disk full", "wrap of a string")
  eq(ws:kind(), "", "wrap of a string has kind UNKNOWN")
  local w = errors.wrap(full, "load profile")
  eq(w:message(), "load profile: no user", "wrapped message is combined")
  eq(tostring(w), "load profile: no user", "tostring of a wrapped error")
  eq(w:kind(), errors.NOT_FOUND, "wrap keeps kind")
  eq(w:retryable(), false, "wrap keeps retryable")
  eq(w:details(), details, "wrap keeps details")
  eq(w:stack(), full:stack(), "wrap keeps the inner stack")
  eq(full:message(), "no user", "wrap does not change the inner error")
  local ww = errors.wrap(w, "handler")
  eq(ww:message(), "handler: load profile: no user", "double wrap")
  assert(errors.is(ww, errors.NOT_FOUND), "double wrap keeps the kind")
  eq(errors.wrap(12, "n"):message(), "n: 12", "wrap of a number uses tostring")
  eq(errors.wrap(false, "b"):message(), "b: false", "wrap of false uses tostring")
  eq(errors.wrap("x"):message(), "x", "wrap without context")
  eq(errors.wrap("x", ""):message(), "x", "wrap with an empty context")
  eq(errors.wrap(full, 3):message(), "3: no user", "numeric context")
  raises("context", errors.wrap, "x", {})
  eq(errors.wrap(errors.new({ message = "t", kind = errors.TIMEOUT, retryable = true }), "c")
    :retryable(), true, "wrap keeps retryable true")

  -- errors.is / errors.is_error
  assert(errors.is(full, errors.NOT_FOUND), "is matches the kind")
  assert(not errors.is(full, errors.INVALID), "is rejects another kind")
  assert(errors.is(e, errors.UNKNOWN), "is(UNKNOWN) for a kindless error")
  assert(not errors.is(nil, errors.NOT_FOUND), "is(nil)")
  assert(not errors.is("NotFound", errors.NOT_FOUND), "is(string)")
  assert(not errors.is({ _kind = "NotFound" }, errors.NOT_FOUND), "is(plain table)")
  assert(not errors.is(full, nil), "is with a nil kind")
  assert(not errors.is_error(nil), "is_error(nil)")
  assert(not errors.is_error("boom"), "is_error(string)")
  assert(not errors.is_error({ message = "x" }), "is_error(plain table)")
  assert(not errors.is_error(setmetatable({}, { __name = "error" })), "is_error(lookalike)")
  assert(errors.is_error(setmetatable({ _message = "m" }, getmetatable(e))), "same metatable")

  -- methods need the colon
  raises("colon", e.message)
  raises("colon", e.kind, {})

  -- concatenation
  eq("err: " .. e, "err: boom", "string .. error")
  eq(e .. "!", "boom!", "error .. string")
  eq(e .. ws, "boomsave: disk full", "error .. error")
  eq(1 .. e, "1boom", "number .. error")
  eq(e .. 2.5, "boom2.5", "error .. float")
  eq("a" .. e .. "b" .. w, "aboomb" .. "load profile: no user", "chained concatenation")
  raises("concatenate", function() return e .. nil end)
  raises("concatenate", function() return {} .. e end)

  -- errors.from_host
  local h = errors.from_host(errors.TIMEOUT, "deadline exceeded")
  assert(errors.is_error(h), "from_host builds an error")
  eq(h:message(), "deadline exceeded", "from_host message")
  eq(h:kind(), "Timeout", "from_host kind")
  eq(h:retryable(), true, "Timeout is retryable")
  eq(errors.from_host(errors.UNAVAILABLE, "x"):retryable(), true, "Unavailable is retryable")
  eq(errors.from_host(errors.RATE_LIMITED, "x"):retryable(), true, "RateLimited is retryable")
  eq(errors.from_host(errors.NOT_FOUND, "x"):retryable(), false, "NotFound is not retryable")
  eq(errors.from_host(errors.INVALID, "x"):retryable(), false, "Invalid is not retryable")
  eq(errors.from_host(errors.PERMISSION_DENIED, "x"):retryable(), false, "PermissionDenied")
  eq(errors.from_host(errors.ALREADY_EXISTS, "x"):retryable(), false, "AlreadyExists")
  eq(errors.from_host(errors.INTERNAL, "x"):retryable(), nil, "Internal: unspecified")
  eq(errors.from_host(errors.TIMEOUT, "x", false):retryable(), false, "explicit retryable wins")
  eq(errors.from_host(nil, "x"):kind(), "", "nil kind is UNKNOWN")
  eq(errors.from_host("Conflict", 404):message(), "404", "non-string message")
  eq(errors.from_host("Conflict", "x", nil, { a = 1 }):details().a, 1, "from_host details")
  eq(type(h:stack()), "string", "from_host records a stack")

  -- error objects travel through error()/pcall unchanged
  local ok, caught = pcall(error, full)
  assert(not ok, "error(err) raises")
  eq(caught, full, "pcall returns the same error object")
  assert(errors.is(caught, errors.NOT_FOUND), "kind survives error()")
  local ok2, caught2 = pcall(function() error(errors.new({ message = "inner", kind = "Invalid" })) end)
  assert(not ok2 and errors.is(caught2, errors.INVALID), "raised error object keeps its kind")

  -- the Go-style calling convention
  local function find(id)
    if id ~= 1 then
      return nil, errors.new({ kind = errors.NOT_FOUND, message = "no item " .. id })
    end
    return { id = 1 }
  end
  local item, err = find(2)
  eq(item, nil, "failure returns nil")
  eq(errors.wrap(err, "lookup"):message(), "lookup: no item 2", "wrap at the call site")
  local found, none = find(1)
  eq(found.id, 1, "success value")
  eq(errors.wrap(none, "lookup"), nil, "wrap of a nil error on success")
  return true
end
