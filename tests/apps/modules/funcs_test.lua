local funcs = require("funcs")

local function main()
  -- values, relative and absolute ids
  assert(funcs.call("add", 2, 3) == 5)
  assert(funcs.call("suite:add", 1.5, 1) == 2.5)
  -- every call runs in a fresh sandbox: no state survives between calls
  assert(funcs.call("counter") == 1 and funcs.call("counter") == 1)
  -- the callee's own modules apply: this entry does not list json
  assert(funcs.call("encode", { 1, 2 }) == "[1,2]")
  local ok = pcall(require, "json")
  assert(not ok, "the caller still cannot require json")

  -- failures arrive as error objects
  local v, err = funcs.call("fail_returned")
  assert(v == nil and errors.is(err, errors.NOT_FOUND), tostring(err))
  assert(err:message() == "no such thing" and err:retryable() == false)
  assert(err:details().id == 7)
  v, err = funcs.call("fail_string")
  assert(v == nil and errors.is_error(err) and err:message() == "plain failure")
  v, err = funcs.call("fail_raised")
  assert(v == nil and errors.is(err, errors.INTERNAL) and err:message():find("boom"), tostring(err))
  v, err = funcs.call("no_such_function")
  assert(v == nil and errors.is(err, errors.NOT_FOUND), tostring(err))
  assert(tostring(err):find("suite:no_such_function", 1, true))
  v, err = funcs.call("settings")
  assert(v == nil and errors.is(err, errors.INVALID), tostring(err))
  v, err = funcs.call("")
  assert(v == nil and errors.is(err, errors.INVALID))
  v, err = funcs.call("encode", print)
  assert(v == nil and errors.is(err, errors.INVALID) and tostring(err):find("function"))
  v, err = funcs.call("slow")
  assert(v == nil and errors.is(err, errors.TIMEOUT), tostring(err))

  -- runaway recursion between entries is cut off
  v, err = funcs.call("recurse")
  assert(v == nil and tostring(err):find("nested more than"), tostring(err))

  -- futures
  local f1 = funcs.async("add", 20, 22)
  local f2 = funcs.async("sleepy", 5)
  assert(f1:result() == 42 and f2:result() == 5)
  assert(f1:is_complete() and f1:result() == 42, "a result can be read again")
  local e, failed = funcs.async("fail_returned"):error()
  assert(failed and errors.is(e, errors.NOT_FOUND))
  local slow = funcs.async("sleepy", 5000)
  assert(not slow:is_complete())
  assert(slow:cancel() and slow:is_canceled())
  v, err = slow:result()
  assert(v == nil and errors.is(err, errors.CANCELED))

  -- a future's channel receives its first result, or is closed empty on failure
  local f3 = funcs.async("sleepy", 5)
  local picked = channel.select({ f3:channel():case_receive() })
  assert(picked.value == 5 and picked.ok and f3:response() == f3:channel())
  local failing = funcs.async("fail_returned")
  local nothing, got = failing:channel():receive()
  assert(nothing == nil and got == false and errors.is((failing:error()), errors.NOT_FOUND))
  -- several coroutines may wait for one future
  local shared, seen = funcs.async("sleepy", 5), {}
  for i = 1, 3 do
    coroutine.spawn(function() seen[i] = shared:result() end)
  end
  assert(shared:result() == 5)
  coroutine.yield()
  assert(seen[1] == 5 and seen[2] == 5 and seen[3] == 5, "every waiter gets the result")

  -- executors carry options; each with_options returns a new executor
  local plain = funcs.new()
  local quick = plain:with_options({ timeout = 50 })
  v, err = quick:call("sleepy", 2000)
  assert(v == nil and errors.is(err, errors.TIMEOUT) and err:retryable() == true, tostring(err))
  assert(tostring(err):find("50ms timeout"), tostring(err))
  assert(plain:call("sleepy", 1) == 1, "the original executor has no timeout")
  assert(plain:with_options({ timeout = "5s" }):call("add", 1, 2) == 3)
  assert(quick:async("add", 2, 2):result() == 4)
  v, err = plain:with_options({ timeuot = 5 }):call("add", 1, 2)
  assert(v == nil and errors.is(err, errors.INVALID) and tostring(err):find("timeuot"), tostring(err))
  assert(not pcall(plain.with_options, plain, 5), "options must be a table")

  -- a call that waits inside a user coroutine
  local co = coroutine.wrap(function() return funcs.call("add", 1, 1) end)
  assert(co() == 2)
  return true
end

return { main = main }
