-- GC pressure: many short-lived tables and strings, a slowly growing survivor set.
local survivors = {}
local checksum = 0
for i = 1, 1500000 do
  local node = {id = i, name = "n" .. (i % 1000), children = {i, i + 1}}
  checksum = checksum + #node.children + #node.name
  if i % 1000 == 0 then survivors[#survivors + 1] = node end
end
return checksum + #survivors
