-- Table churn: array appends and removals, hash inserts and lookups, sorting.
local total = 0
for round = 1, 30 do
  local list = {}
  for i = 1, 20000 do list[#list + 1] = (i * 7919) % 10007 end
  table.sort(list)
  local map = {}
  for i = 1, 20000 do map["k" .. (i % 5000)] = i end
  for i = 1, 5000 do total = total + (map["k" .. i] or 0) end
  while #list > 10000 do total = total + table.remove(list) end
end
return total
