-- What metrics refuses: each is nil and an Invalid error, and nothing is recorded.
local metrics = require("metrics")

local function invalid(ok, err)
  assert(ok == nil, "expected a refusal")
  assert(errors.is(err, errors.INVALID), tostring(err))
  return tostring(err)
end

local function main()
  -- names
  invalid(metrics.counter_inc(nil))
  invalid(metrics.counter_inc(42))
  invalid(metrics.counter_inc(""))
  invalid(metrics.counter_inc("9lives"))
  invalid(metrics.counter_inc("has space"))
  invalid(metrics.counter_inc("dash-name"))
  invalid(metrics.counter_inc(string.rep("n", 129)))
  invalid(metrics.counter_inc(string.rep("n", 5000)))
  invalid(metrics.counter_inc("bad\xff"))

  -- values
  invalid(metrics.counter_add("c_total"))
  invalid(metrics.counter_add("c_total", "5"))
  assert(invalid(metrics.counter_add("c_total", -1)):find("only goes up"))
  invalid(metrics.gauge_set("g", 0/0))
  invalid(metrics.gauge_set("g", math.huge))
  invalid(metrics.histogram("h", nil))

  -- labels
  invalid(metrics.counter_inc("l_total", "method=GET"))
  invalid(metrics.counter_inc("l_total", {nested = {1}}))
  invalid(metrics.counter_inc("l_total", {["bad-name"] = "x"}))
  invalid(metrics.counter_inc("l_total", {__reserved = "x"}))
  invalid(metrics.counter_inc("l_total", {le = "1"}))
  invalid(metrics.counter_inc("l_total", {[1] = "x", [3] = "y"}))
  local many = {}
  for i = 1, 17 do many["l" .. i] = "v" end
  invalid(metrics.counter_inc("l_total", many))
  invalid(metrics.counter_inc("l_total", {big = string.rep("v", 2000)}))

  -- one name is one kind of metric
  assert(metrics.counter_inc("kind_total") == true)
  assert(invalid(metrics.gauge_set("kind_total", 1)):find("is a counter"))
  assert(invalid(metrics.histogram("kind_total", 1)):find("is a counter"))
  assert(metrics.gauge_inc("kind_gauge") == true)
  invalid(metrics.counter_inc("kind_gauge"))
  return true
end

return { main = main }
