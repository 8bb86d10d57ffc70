local function echo(...)
  return ...
end

local function double(n)
  return n * 2
end

-- Sends `n` signals numbered 1..n to the workflow that called this activity.
local function signal_me(n)
  local funcs = require("funcs")
  local info = funcs.activity_info()
  local pid = "{workflow|" .. info.workflow_id .. "}"
  for i = 1, n do
    assert(process.send(pid, "item", i))
  end
  return n
end

return { echo = echo, double = double, signal_me = signal_me }
