local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x}, V) end
V.__eq = function(a, b) return a.x == b.x end
V.__lt = function(a, b) return a.x < b.x end
V.__le = function(a, b) return a.x <= b.x end
V.__tostring = function(v) return "V(" .. v.x .. ")" end
V.__len = function(v) return v.x end
V.__call = function(v, y) return v.x * y end
V.__concat = function(a, b) return tostring(a) .. "|" .. tostring(b) end
function V.new(x) return setmetatable({x = x}, V) end
function V:double() return V.new(self.x * 2) end
local a, b = V.new(1), V.new(2)
local log = {}
local proxy = setmetatable({}, {__index = function(_, k) return k .. "!" end,
  __newindex = function(t, k, v) log[#log + 1] = k; rawset(t, k, v) end})
proxy.z = 1
local closed = {}
do
  local res <close> = setmetatable({}, {__close = function() closed[#closed + 1] = "closed" end})
end
return {sum = tostring(a + b), eq = V.new(3) == V.new(3), lt = a < b, le = b <= a, len = #V.new(7),
  call = a(5), concat = a .. b, method = a:double().x, index = proxy.hello, log = log,
  raw = rawget(proxy, "hello") == nil, meta = getmetatable(a) == V, closed = closed,
  gc_mode = setmetatable({}, {__mode = "k"}) ~= nil}
