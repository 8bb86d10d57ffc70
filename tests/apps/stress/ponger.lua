-- Answers every "ping" with a "pong" carrying the same payload, until asked to stop.
local function main()
  assert(process.registry.register("ponger"))
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events and r.value.kind == process.event.CANCEL then
      return "stopped"
    elseif r.channel == inbox then
      process.send(r.value:from(), "pong", r.value:payload():data())
    end
  end
end
return { main = main }
