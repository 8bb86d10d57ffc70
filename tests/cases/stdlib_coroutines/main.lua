local gen = coroutine.wrap(function(n)
  for i = 1, n do coroutine.yield(i * i) end
  return "done"
end)
local out = {gen(4), gen(), gen(), gen(), gen()}
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  return d + e
end)
local _, r1 = coroutine.resume(co, 1, 2)
local _, r2 = coroutine.resume(co, 10)
local ok3, r3 = coroutine.resume(co, 3, 4)
local ok4, r4 = coroutine.resume(co)
return {out = out, r = {r1, r2, r3}, ok3 = ok3, ok4 = ok4, r4 = r4, status = coroutine.status(co),
  running = type(coroutine.running()), closed = coroutine.close(coroutine.create(print))}
