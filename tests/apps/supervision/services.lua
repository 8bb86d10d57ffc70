local time = require("time")

-- Tells the process registered as "observer" (once it exists) that `name` started, and when;
-- then fails or returns as `ending` says.
local function main(name, ending)
  local started = time.now():unix_milli()
  while not process.registry.lookup("observer") do
    time.sleep("5ms")
  end
  assert(process.send("observer", "started", { service = name, at = started }))
  if ending == "fail" then
    error(name .. " crashed")
  end
  return name
end

return { main = main }
