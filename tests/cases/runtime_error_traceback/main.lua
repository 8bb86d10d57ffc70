local function inner() error("deep failure") end
local function outer() inner() end
outer()
