local t = {}
local cur = t
for i = 1, 200 do cur.next = {}; cur = cur.next end
return t
