--! modules: time
-- Errors raised right after waits, inside pcall, in tasks and in user coroutines: each is caught
-- where it was raised, with its value intact, and the other tasks go on.
local time = require("time")
local results = channel.new(100)
for i = 1, 100 do
  coroutine.spawn(function()
    local ok, err = pcall(function()
      time.sleep(0)
      if i % 3 == 0 then
        error(errors.new({ kind = errors.INVALID, message = "bad " .. i }))
      elseif i % 3 == 1 then
        local co = coroutine.wrap(function()
          time.sleep(0)
          error({ code = i })
        end)
        co()
      end
      return i
    end)
    if ok then
      results:send("ok")
    elseif type(err) == "table" and err.code then
      results:send("table " .. err.code)
    else
      results:send(err:kind() .. " " .. err:message())
    end
  end)
end
local counts = { ok = 0, table = 0, Invalid = 0 }
for _ = 1, 100 do
  local r = results:receive()
  local key = r:match("^(%a+)")
  counts[key] = counts[key] + 1
end
return counts
