local out = {}
for i = 1, 3 do
  for j = 1, 3 do
    if j == 2 then goto continue end
    out[#out + 1] = i * 10 + j
    ::continue::
  end
end
local k = 0
::again::
k = k + 1
if k < 5 then goto again end
return {out = out, k = k}
