--! modules: time
-- Request/reply with a timeout: select on the reply channel and time.after.
local time = require("time")
local function ask(delay_ms)
  local reply = channel.new()
  coroutine.spawn(function()
    time.sleep(delay_ms * 1000000)
    reply:send("pong")
  end)
  local timeout = time.after("50ms")
  local r = channel.select({ reply:case_receive(), timeout:case_receive() })
  if r.channel == timeout then
    return "timed out", getmetatable(r.value).__name
  end
  return r.value
end
local fast = { ask(1) }
local slow = { ask(200) }
return { fast = fast, slow = slow }
