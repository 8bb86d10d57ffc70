-- A tiny luabox script: `luabox eval` calls the function this chunk returns with the --arg
-- values, and prints what it returns as JSON.
--
--   luabox eval examples/eval/greet.lua --modules time --arg '{"name": "world", "times": 3}'
local time = require("time") -- allowed only because of `--modules time`

return function(request)
  local greetings = {}
  for i = 1, request.times or 1 do
    time.sleep("10ms") -- waits on the host without holding a thread
    greetings[i] = ("hello, %s (#%d)"):format(request.name, i)
  end
  print("greeted " .. request.name) -- goes to the host log, tagged with the entry id
  return {greetings = greetings, at = os.date("!%Y-%m-%dT%H:%M:%SZ")}
end
