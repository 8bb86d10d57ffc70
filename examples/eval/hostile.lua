-- What a hostile script gets: try it with a limit, e.g.
--   luabox eval examples/eval/hostile.lua --timeout 200ms     (exit 2: deadline exceeded)
--   luabox eval examples/eval/hostile.lua --arg '"memory"' --memory 32MiB
return function(kind)
  if kind == "memory" then
    local hoard = {}
    while true do hoard[#hoard + 1] = ("x"):rep(4096) .. #hoard end
  end
  while true do end
end
