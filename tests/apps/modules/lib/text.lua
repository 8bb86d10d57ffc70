-- A library with its own modules (base64) and its own import (util).
local base64 = require("base64")
local util = require("util")

leaked_from_library = true -- stays in the library's own globals

local text = {}

function text.shout(s)
  return util.upper(s) .. "!"
end

function text.encode(s)
  return base64.encode(s)
end

function text.loads()
  util.loads = (util.loads or 0) + 1
  return util.loads
end

return text
