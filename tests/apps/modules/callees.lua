-- Functions that funcs_test calls: results, each way of failing, waiting, and recursion.
local M = {}

function M.add(a, b)
  return a + b
end

-- A global counter: every call gets a fresh sandbox, so it always returns 1.
function M.counter()
  calls = (calls or 0) + 1
  return calls
end

function M.fail_returned()
  return nil, errors.new({ kind = errors.NOT_FOUND, message = "no such thing", retryable = false,
    details = { id = 7 } })
end

function M.fail_string()
  return nil, "plain failure"
end

function M.fail_raised()
  error("boom")
end

function M.encode(value)
  return require("json").encode(value)
end

function M.sleepy(ms)
  require("time").sleep(ms * 1000000)
  return ms
end

function M.slow()
  require("time").sleep("10s")
  return "never"
end

function M.recurse(n)
  local value, err = require("funcs").call("recurse", (n or 0) + 1)
  if err then
    return nil, err
  end
  return value
end

-- The value of `key` in store suite:kv, as this (other) sandbox reads it.
function M.store_read(key)
  local kv = assert(require("store").get("kv"))
  return kv:get(key)
end

return M
