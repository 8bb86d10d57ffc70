local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local a, b = counter(), counter()
a(); a()
local adders = {}
for i = 1, 3 do adders[i] = function(x) return x + i end end
local function compose(f, g) return function(...) return f(g(...)) end end
local inc_then_double = compose(function(x) return x * 2 end, function(x) return x + 1 end)
local function varargs(...) return select("#", ...), {...} end
local n, list = varargs(1, nil, 3)
return {a = a(), b = b(), adders = {adders[1](10), adders[3](10)}, composed = inc_then_double(4), n = n, last = list[3]}
