-- Closures: creation in loops, upvalue access and mutation, higher-order calls.
local function make_counter(step)
  local n = 0
  return function() n = n + step; return n end
end
local function map(list, f)
  local out = {}
  for i = 1, #list do out[i] = f(list[i]) end
  return out
end
local total = 0
for round = 1, 600 do
  local counters = {}
  for i = 1, 1000 do counters[i] = make_counter(i) end
  for _ = 1, 5 do
    for i = 1, #counters do total = total + counters[i]() end
  end
  local doubled = map(counters, function(c) return c() * 2 end)
  total = total + doubled[#doubled]
end
return total
