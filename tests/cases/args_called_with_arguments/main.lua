--! args: [{"x": 1, "y": [1, 2, 3]}, "two", 3.5, null, true]
return function(a, b, c, d, e)
  return {x = a.x, n = #a.y, b = b, c = c, d = d == nil, e = e, count = select("#", a, b, c, d, e)}
end
