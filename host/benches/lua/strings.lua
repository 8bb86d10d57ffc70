-- String building and patterns: concat buffers, format, gsub, find, gmatch.
local count = 0
for round = 1, 150 do
  local parts = {}
  for i = 1, 3000 do
    parts[#parts + 1] = string.format("item-%05d:%s;", i, ("x"):rep(i % 7))
  end
  local text = table.concat(parts)
  local replaced, n = text:gsub("item%-(%d+)", "I%1")
  count = count + n
  for number in replaced:gmatch("I(%d+):") do
    if tonumber(number) % 100 == 0 then count = count + 1 end
  end
  count = count + (text:find("item-02999", 1, true) or 0) % 3
  count = count + #text:upper():lower()
end
return count
