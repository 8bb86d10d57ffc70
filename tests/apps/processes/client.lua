local time = require("time")

-- The service may still be starting: wait for its name.
local function find(name)
  for _ = 1, 200 do
    local pid = process.registry.lookup(name)
    if pid then
      return pid
    end
    time.sleep("5ms")
  end
  error("no process registered as " .. name)
end

local function main(n)
  local inbox = process.inbox()
  find("ponger")
  for i = 1, n do
    assert(process.send("ponger", "ping", i))
    local reply = inbox:receive()
    assert(reply:topic() == "pong", reply:topic())
    local got = reply:payload():data()
    if got ~= i then
      error(string.format("reply %d arrived as reply %d", got, i))
    end
  end
  return { answered = n }
end
return { main = main }
