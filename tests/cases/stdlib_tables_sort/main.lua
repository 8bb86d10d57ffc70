local t = {5, 3, 8, 1, 9, 2}
table.sort(t)
local desc = {5, 3, 8, 1}
table.sort(desc, function(a, b) return a > b end)
local people = {{name = "b", age = 30}, {name = "a", age = 25}}
table.sort(people, function(x, y) return x.age < y.age end)
local q = {}
table.insert(q, "a"); table.insert(q, 1, "b"); table.insert(q, "c")
local removed = table.remove(q, 1)
local moved = table.move({1, 2, 3}, 1, 3, 2, {9})
return {sorted = t, desc = desc, first = people[1].name, q = q, removed = removed,
  concat = table.concat({1, 2, 3}, ","), unpacked = select("#", table.unpack({1, 2, 3})),
  moved = moved, packed = table.pack(1, nil, 3).n}
