local ctx = require("ctx")

local function calls()
  local funcs = require("funcs")
  -- The doc's example: request-scoped values for downstream calls.
  local exec = funcs.new():with_context({ request_id = "r1", feature_flags = { dark_mode = true } })
  local seen, err = exec:call("ctx_tests:middle")
  assert(seen, tostring(err))
  assert(seen.request_id == "r1")
  assert(seen.inherited.request_id == "r1" and seen.inherited.feature_flags.dark_mode == true)
  assert(seen.overridden.request_id == "r2" and seen.overridden.extra == 1)
  assert(seen.overridden.feature_flags.dark_mode == true, "values not overridden stay")
  -- Executors are values: the base one keeps its context.
  local more = exec:with_context({ extra = "x" })
  assert(more:call("ctx_tests:bottom").extra == "x" and exec:call("ctx_tests:bottom").extra == nil)
  -- with_options keeps the context, and the context keeps its value types.
  local typed = funcs.new():with_context({ n = 3, f = 1.5, list = { 1, 2 } }):with_options({ timeout = 1000 })
  local got = typed:call("ctx_tests:bottom")
  assert(math.type(got.n) == "integer" and got.f == 1.5 and got.list[2] == 2)
  -- A plain call from a sandbox with no context hands none.
  assert(next(funcs.call("ctx_tests:bottom")) == nil)
  return true
end

local function errors_()
  -- This test was called with no context.
  assert(next(ctx.all()) == nil)
  local v, err = ctx.get("request_id")
  assert(v == nil and err:kind() == errors.NOT_FOUND, tostring(err))
  v, err = ctx.get("")
  assert(v == nil and err:kind() == errors.INVALID)
  v, err = ctx.get(42)
  assert(v == nil and err:kind() == errors.INVALID)
  local funcs = require("funcs")
  assert(not pcall(funcs.new().with_context, funcs.new(), "x"))
  assert(not pcall(function() funcs.new():with_context({ [1] = "x" }) end))
  return true
end

local function spawns()
  local time = require("time")
  local inbox = process.inbox()
  process.with_context({ tenant = "acme", user = 7 })
    :spawn("ctx_tests:child", "ctx_tests:workers", process.pid())
  local r = channel.select({ inbox:case_receive(), time.after("3s"):case_receive() })
  assert(r.channel == inbox, "the child did not report")
  local got = r.value:payload():data()
  -- A plain spawn hands this (empty) context.
  process.spawn("ctx_tests:child", "ctx_tests:workers", process.pid())
  r = channel.select({ inbox:case_receive(), time.after("3s"):case_receive() })
  local plain = r.value:payload():data()
  return { own = got.own, called = got.called, plain = plain.own }
end

return { calls = calls, errors = errors_, spawns = spawns }
