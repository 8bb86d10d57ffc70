local funcs = require("funcs")

local function main(order)
  local approvals = process.listen("approve")
  local receipt = funcs.call("shop:charge", order.id, order.amount)
  approvals:receive()
  return { receipt = receipt.key }
end

return { main = main }
