local ch = channel.new()
local t = { 2, 1 }
table.sort(t, function(x, y) ch:receive() return x < y end)
