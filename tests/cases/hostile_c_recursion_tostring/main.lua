local mt = {}
mt.__tostring = function(v) return tostring(setmetatable({}, mt)) end
return tostring(setmetatable({}, mt))
