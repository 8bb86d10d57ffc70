--! timeout: 300ms
local s = ("a"):rep(40)
return s:find(("a*"):rep(20) .. "b")
