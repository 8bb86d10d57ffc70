--! modules: json
-- Large and deep values through json and out across the boundary: a 121-level nesting (the limit
-- is 128), a 200,000-element array, a 4 MB string, and a map of 50,000 keys.
local json = require("json")
local deep = {}
local cur = deep
for _ = 1, 120 do
  cur[1] = {}
  cur = cur[1]
end
local back = json.decode(json.encode(deep))
local depth, node = 0, back
while type(node) == "table" and node[1] do
  depth = depth + 1
  node = node[1]
end
local array = {}
for i = 1, 200000 do
  array[i] = i * 3
end
local decoded = json.decode(json.encode(array))
local sum = 0
for i = 1, #decoded do
  sum = sum + decoded[i]
end
local big = string.rep("abcd", 1 << 20)
local text = json.decode(json.encode({ s = big })).s
local map = {}
for i = 1, 50000 do
  map["k" .. i] = i
end
local keys, total = 0, 0
for _, v in pairs(json.decode(json.encode(map))) do
  keys = keys + 1
  total = total + v
end
return {
  depth = depth,
  count = #decoded,
  sum = sum,
  text = #text == #big and text == big,
  keys = keys,
  total = total,
  deep = deep,
}
