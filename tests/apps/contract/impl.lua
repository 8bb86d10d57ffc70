local ctx = require("ctx")

local function greet()
  local who = ctx.get("tenant")
  return "Hello" .. (who and (" from " .. who) or "") .. "!"
end

local function greet_with_name(name)
  local suffix = ctx.get("suffix") or ""
  return "Hello, " .. name .. suffix
end

-- Fails (retryably) until it has been called `n` times for `key`.
local function flaky(key, n, kind)
  local store = require("store")
  local s = store.get("app:attempts")
  local count = (s:get(key) or 0) + 1
  s:set(key, count)
  if count < n then
    return nil, errors.new({ kind = kind or errors.UNAVAILABLE, message = "try again " .. count })
  end
  return count
end

return { greet = greet, greet_with_name = greet_with_name, flaky = flaky }
