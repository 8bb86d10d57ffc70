local time = require("time")

-- Collects the services' start reports until none has come for `quiet`; returns, per service,
-- how many starts it saw and the milliseconds between consecutive ones.
local function main(quiet)
  assert(process.registry.register("observer"))
  local inbox = process.inbox()
  local seen = {}
  while true do
    local r = channel.select({ inbox:case_receive(), time.after(quiet):case_receive() })
    if r.channel ~= inbox then
      break
    end
    local report = r.value:payload():data()
    local service = seen[report.service] or { starts = 0, gaps = {}, last = nil }
    seen[report.service] = service
    service.starts = service.starts + 1
    if service.last then
      service.gaps[#service.gaps + 1] = report.at - service.last
    end
    service.last = report.at
  end
  for _, service in pairs(seen) do
    service.last = nil
  end
  return seen
end

return { main = main }
