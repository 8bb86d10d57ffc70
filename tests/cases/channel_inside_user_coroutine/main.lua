-- A channel operation inside coroutine.wrap parks the whole task and resumes inside the wrap.
local ch = channel.new()
coroutine.spawn(function() ch:send("through the wrap") end)
local inner = coroutine.wrap(function() return (ch:receive()) end)
return inner()
