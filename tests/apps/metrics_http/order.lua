local http = require("http")
local metrics = require("metrics")
local time = require("time")

-- POST /api/orders {sku, qty, price}: counts orders by outcome, revenue by sku, and time taken.
local function handler()
  local req, res = http.request(), http.response()
  local started = time.now()
  local order = req:body_json()
  local outcome = (order and order.sku) and "ok" or "rejected"
  metrics.counter_inc("shop_orders_total", {outcome = outcome})
  if outcome == "ok" then
    metrics.gauge_inc("shop_orders_in_flight")
    metrics.counter_add("shop_revenue_total", (order.price or 1) * (order.qty or 1),
      {sku = order.sku})
    metrics.gauge_dec("shop_orders_in_flight")
    res:set_status(201)
    res:write_json({sku = order.sku})
  else
    res:set_status(400)
    res:write_json({error = "sku is required"})
  end
  metrics.histogram("shop_order_seconds", started:sub(time.now()):seconds(), {outcome = outcome})
end

return { handler = handler }
