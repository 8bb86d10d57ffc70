local a = {}
for i = 1, 4 do a[i] = math.random(1, 1000000) end
math.randomseed(42)
local x = math.random(1, 1000)
math.randomseed(42)
return {distinct = a[1] ~= a[2] or a[2] ~= a[3], repeatable = math.random(1, 1000) == x,
  float = math.random() < 1}
