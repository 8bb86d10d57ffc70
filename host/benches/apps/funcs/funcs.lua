local M = {}

function M.callee(x)
  return x + 1
end

-- Per-call times (seconds, from os.clock) of `n` calls made one way, sorted.
local function timed(n, call)
  local clock, samples = os.clock, {}
  local started = clock()
  for i = 1, n do
    local t0 = clock()
    assert(call(i) == i + 1)
    samples[i] = clock() - t0
  end
  local total = clock() - started
  table.sort(samples)
  return { p50 = samples[n // 2], p99 = samples[n * 99 // 100], per_second = n / total }
end

-- `n` calls through funcs.call one after the other, then in waves of `wave` concurrent
-- funcs.async calls, and `n` direct calls of the same function.
function M.caller(n, wave)
  local funcs = require("funcs")
  local callee = M.callee
  local sequential = timed(n, function(i) return funcs.call("callee", i) end)
  local direct = timed(n, function(i) return callee(i) end)
  local started = os.clock()
  for first = 1, n, wave do
    local futures = {}
    for i = first, math.min(first + wave - 1, n) do
      futures[#futures + 1] = funcs.async("callee", i)
    end
    for _, future in ipairs(futures) do
      assert(future:result())
    end
  end
  return { sequential = sequential, direct = direct, concurrent = n / (os.clock() - started) }
end

return M
