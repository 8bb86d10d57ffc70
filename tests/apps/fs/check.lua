-- Helpers the fs tests share (imported as `check`).
local fs = require("fs")

local function fails(kind, needle, v, err)
  assert(v == nil, "expected a failure, got " .. tostring(v))
  assert(errors.is(err, kind), "expected " .. kind .. ", got " .. tostring(err))
  if needle then
    assert(tostring(err):find(needle, 1, true), "error should mention \"" .. needle .. "\": "
      .. tostring(err))
  end
end

-- A fresh folder of its own under the scratch volume (tests may run side by side).
local function scratch(name)
  local vol = assert(fs.get("scratch"))
  if vol:exists("/" .. name) then
    for e in vol:readdir("/" .. name) do vol:remove("/" .. name .. "/" .. e.name) end
    vol:remove("/" .. name)
  end
  assert(vol:mkdir("/" .. name))
  return vol, "/" .. name
end

return { fails = fails, scratch = scratch }
