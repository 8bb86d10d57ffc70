local funcs = require("funcs")
local time = require("time")

local function main(order)
  local approvals = process.listen("approve")
  local receipt, err = funcs.call("shop:charge", order.id, order.amount)
  if err then
    return nil, err
  end
  local approval = approvals:receive()
  time.sleep(order.pause or "200ms")
  local shipment, ship_err = funcs.call("shop:ship", order.id, approval.by)
  if ship_err then
    return nil, ship_err
  end
  return { order = order.id, receipt = receipt, shipment = shipment, approved_by = approval.by }
end

return { main = main }
