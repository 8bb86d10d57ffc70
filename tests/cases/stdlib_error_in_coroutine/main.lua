local co = coroutine.create(function() local x = 1; coroutine.yield(x); error("boom in coroutine") end)
local r1 = {coroutine.resume(co)}
local r2 = {coroutine.resume(co)}
local wrapped = coroutine.wrap(function() error({reason = "table error"}) end)
local ok, e = pcall(wrapped)
local w2 = coroutine.wrap(function() error("string error") end)
local ok2, e2 = pcall(w2)
return {r1 = r1, r2 = r2, status = coroutine.status(co), ok = ok, reason = e.reason, ok2 = ok2, e2 = e2}
