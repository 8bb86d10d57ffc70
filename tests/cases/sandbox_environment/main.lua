local os_keys = {}
for k in pairs(os) do os_keys[#os_keys + 1] = k end
table.sort(os_keys)
local debug_keys = {}
for k in pairs(debug) do debug_keys[#debug_keys + 1] = k end
local package_keys = {}
for k in pairs(package) do package_keys[#package_keys + 1] = k end
return {io = io == nil, dofile = dofile == nil, loadfile = loadfile == nil, os = os_keys,
  debug = debug_keys, package = package_keys, loadlib = package.loadlib == nil,
  string_dump_loads = select(2, load(string.dump(function() end))),
  text_load = load("return 1 + 1")(), env_load = load("return x", "chunk", "t", {x = 5})(),
  -- Lua's own io is gone; `io` is luabox's terminal module, granted like any other.
  require_io = select(2, pcall(require, "io")):match("module .io. is not allowed") ~= nil,
  require_string = require("string") == string, version = _VERSION}
