local M = {}

-- The activity: as trivial as it gets, so the figures are the cost of what surrounds it.
function M.add_one(n)
  return n + 1
end

-- The baseline: the three calls of `three_steps`, made by a function (nothing recorded).
function M.three_calls(n)
  local funcs = require("funcs")
  for _ = 1, 3 do
    local err
    n, err = funcs.call("bench:add_one", n)
    if err then
      return nil, err
    end
  end
  return n
end

return M
