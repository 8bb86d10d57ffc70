local funcs = require("funcs")

-- Each activity reports its effect keyed by its activity id: the same id on a retry or after a
-- restart, so whoever applies the effect can do it once.
local function effect(name)
  local info = funcs.activity_info()
  print(string.format("effect %s %s attempt %d", name, info.id, info.attempt))
  return info.id
end

local function charge(order_id, amount)
  local id = effect("charge")
  return { charged = amount, order = order_id, key = id }
end

local function ship(order_id, approved_by)
  local id = effect("ship")
  return { shipped = order_id, by = approved_by, key = id }
end

-- Fails with a retryable error until attempt `succeed_at`.
local function flaky(succeed_at)
  local info = funcs.activity_info()
  if info.attempt < succeed_at then
    return nil, errors.new({ kind = errors.UNAVAILABLE, message = "try again (attempt " .. info.attempt .. ")" })
  end
  return { attempt = info.attempt, key = info.id }
end

return { charge = charge, ship = ship, flaky = flaky }
