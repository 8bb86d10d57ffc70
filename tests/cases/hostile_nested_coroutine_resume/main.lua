local function nest(n)
  local co = coroutine.wrap(function() return nest(n + 1) end)
  return co()
end
return nest(1)
