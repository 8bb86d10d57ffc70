--! modules: json, base64, logger, registry, funcs, process, time
-- Issue 19: Lua strings are bytes, WIT strings UTF-8. A string that is not UTF-8 handed to a
-- module used to trap the whole sandbox (uncatchably): now text that is only shown (print,
-- logger, error messages) carries the bytes as \xNN, and every other boundary refuses it the way
-- it refuses a wrong type: nil, err where the function answers so, an argument error otherwise.
local json, base64, logger = require("json"), require("base64"), require("logger")
local registry, funcs, process, time = require("registry"), require("funcs"), require("process"),
  require("time")
local bad = "\xff\xfe"
local out = {}

local value, err = json.decode('"' .. bad .. '"')
out.json = value == nil and err:kind() == "Invalid" and tostring(err)
value, err = base64.decode(bad)
out.base64 = value == nil and err:kind() == "Invalid" and tostring(err)

print("printed", bad)
logger:info("logged " .. bad, { field = bad })
logger:named(bad):warn(bad)
out.error = select(2, pcall(error, "boom " .. bad)) == "boom " .. bad

local function answered(f, ...)
  local v, e = f(...)
  return v == nil and e:kind() == "Invalid" and tostring(e)
end
out.registry = answered(registry.get, bad)
out.funcs = answered(funcs.call, bad)
out.send = answered(process.send, bad, "topic")
out.topic = answered(process.send, "{app:x|1}", bad)
out.lookup = answered(process.registry.lookup, bad)
out.sleep = time.sleep(bad) == nil
out.still_running = true
return out
