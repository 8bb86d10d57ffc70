local ctx = require("ctx")

-- What the bottom of a chain sees.
local function bottom()
  return ctx.all()
end

-- Reads its context, then calls `bottom` plainly (it inherits) and with one value changed.
local function middle()
  local funcs = require("funcs")
  local request_id = assert(ctx.get("request_id"))
  local inherited = assert(funcs.call("ctx_tests:bottom"))
  local overridden = assert(funcs.new():with_context({ request_id = "r2", extra = 1 })
    :call("ctx_tests:bottom"))
  return { request_id = request_id, inherited = inherited, overridden = overridden }
end

-- A spawned process: reports its context and what a function it calls sees.
local function child(to)
  local funcs = require("funcs")
  process.send(to, "context", { own = ctx.all(), called = funcs.call("ctx_tests:bottom") })
end

return { bottom = bottom, middle = middle, child = child }
