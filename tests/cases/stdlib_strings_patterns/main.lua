local s = "Hello, World from Lua 5.4"
local words = {}
for w in s:gmatch("%a+") do words[#words + 1] = w end
local replaced, n = s:gsub("(%w+)", "<%1>", 2)
return {
  upper = s:upper(), len = #s, find = {s:find("World")},
  match = s:match("(%d+)%.(%d+)"), words = words, replaced = replaced, n = n,
  byte = s:byte(1), char = string.char(72, 105), rep = ("ab"):rep(3, "-"),
  rev = ("abc"):reverse(), sub = s:sub(-3), balanced = ("x(a(b)c)y"):match("%b()"),
  frontier = ("THE (quick) fox"):gsub("%f[%a]%a+", "W"),
  pack = string.unpack("<i4", string.pack("<i4", -5)),
}
