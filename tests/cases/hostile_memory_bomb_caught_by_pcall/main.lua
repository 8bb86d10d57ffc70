--! memory: 32MiB
local ok, err = pcall(function()
  local t = {}
  while true do t[#t + 1] = ("x"):rep(4096) .. #t end
end)
collectgarbage()
return {ok, err}
