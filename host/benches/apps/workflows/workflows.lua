local funcs = require("funcs")

local M = {}

-- Three activities in sequence: 3 x (activity.scheduled + activity.completed) between
-- workflow.started and workflow.completed, 8 events.
function M.three_steps(n)
  for _ = 1, 3 do
    local err
    n, err = funcs.call("bench:add_one", n)
    if err then
      return nil, err
    end
  end
  return n
end

-- `count` activities in sequence: 2 x count + 2 events.
function M.long_history(count)
  local n = 0
  for _ = 1, count do
    local err
    n, err = funcs.call("bench:add_one", n)
    if err then
      return nil, err
    end
  end
  return n
end

return M
