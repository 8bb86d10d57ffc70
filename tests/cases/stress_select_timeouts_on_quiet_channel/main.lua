--! modules: time
-- 2,000 selects that time out on a channel nobody sends on: each leaves its waiter on the quiet
-- channel, and the next select must drop it, or the channel grows by one waiter every time.
local time = require("time")
local quiet = channel.new()
local before
for i = 1, 2000 do
  local r = channel.select({ quiet:case_receive(), time.after(0):case_receive() })
  assert(r.channel ~= quiet)
  if i == 100 then
    collectgarbage()
    before = collectgarbage("count")
  end
end
collectgarbage()
local grown_kib = collectgarbage("count") - before
return grown_kib < 100, quiet.receivers.last - quiet.receivers.first + 1
