local function main(order)
  return { id = order and order.id, status = "done" }
end

return { main = main }
