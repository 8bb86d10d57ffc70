local funcs = require("funcs")

local M = {}

-- `count` activities in sequence, each adding one to `n`.
local function add_in_turn(n, count)
  for _ = 1, count do
    local err
    n, err = funcs.call("bench:add_one", n)
    if err then
      return nil, err
    end
  end
  return n
end

-- Three activities in sequence: 3 x (activity.scheduled + activity.completed) between
-- workflow.started and workflow.completed, 8 events.
function M.three_steps(n)
  return add_in_turn(n, 3)
end

-- `count` activities in sequence: 2 x count + 2 events.
function M.long_history(count)
  return add_in_turn(0, count)
end

return M
