local http = require("http")
local system = require("system")

-- GET /api/stats: the sandbox's memory and the host's live tasks.
local function handler()
  local res = http.response()
  res:set_status(200)
  res:write_json({tasks = system.runtime.goroutines(), memory = system.memory.stats()})
end

return { handler = handler }
