-- A script that makes a new label combination per call meets the app's series cap (10000):
-- past it each new series is an Invalid error, and series that exist keep counting.
local metrics = require("metrics")

local function main()
  local made, err = 0, nil
  for i = 1, 20000 do
    local ok
    ok, err = metrics.counter_inc("flood_total", {id = tostring(i)})
    if not ok then break end
    made = made + 1
  end
  assert(err and errors.is(err, errors.INVALID), "no cap: " .. made .. " series")
  assert(tostring(err):find("cap"), tostring(err))
  assert(made < 10000, made) -- the other tests of this app hold some series already
  assert(metrics.counter_inc("flood_total", {id = "1"}) == true)
  local again = metrics.counter_inc("flood_total", {id = "new"})
  assert(again == nil)
  return true
end

return { main = main }
