-- Each code block of Wippy's en/lua/system/metrics.md, in order: every call returns true.
local metrics = require("metrics")

local function main()
  local ok, err = metrics.counter_inc("requests_total", {method = "POST"})
  assert(ok == true and err == nil, tostring(err))
  assert(metrics.counter_add("bytes_total", 1024, {direction = "out"}) == true)
  assert(metrics.gauge_set("queue_depth", 42, {queue = "emails"}) == true)
  assert(metrics.gauge_inc("connections", {pool = "db"}) == true)
  assert(metrics.gauge_dec("connections", {pool = "db"}) == true)
  assert(metrics.histogram("duration_seconds", 0.123, {method = "GET"}) == true)

  -- labels are optional; an empty table is no labels; numbers and booleans are label text
  assert(metrics.counter_inc("plain_total") == true)
  assert(metrics.counter_inc("plain_total", {}) == true)
  assert(metrics.counter_add("coded_total", 2.5, {code = 200, cached = true}) == true)
  assert(metrics.gauge_set("temperature", -3.5) == true)
  assert(metrics.histogram("size_bytes", 0) == true)
  -- namespaced names (':') are allowed, as Prometheus allows them
  assert(metrics.counter_inc("app:jobs_total") == true)
  return true
end

return { main = main }
