local events = require("events")

-- Subscribes to `system`, says "ready" to `to`, then forwards each event until "stop" comes.
local function main(to, system, kind)
  local sub = assert(events.subscribe(system, kind))
  local ch = sub:channel()
  local inbox = process.inbox()
  process.send(to, "ready", system)
  while true do
    local r = channel.select({ ch:case_receive(), inbox:case_receive() })
    if r.channel == inbox then
      sub:close()
      local _, ok = ch:receive()
      process.send(to, "stopped", ok)
      return
    end
    process.send(to, "event", r.value)
  end
end

local function publish(system, kind, path, data)
  return events.send(system, kind, path, data)
end

return { main = main, publish = publish }
