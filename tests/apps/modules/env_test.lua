local env = require("env")

local function main()
  assert(env.get("GREETING") == "hello", "the default of a variable without a storage")
  assert(env.get("suite:greeting") == "hello", "by entry id")
  assert(env.get("greeting") == "hello", "by relative entry id")
  local path = env.get("PATH")
  assert(type(path) == "string" and #path > 0, "an OS-backed variable reads the host environment")

  local v, err = env.get("HOME_OF_NOBODY")
  assert(v == nil and errors.is(err, errors.NOT_FOUND), "undeclared names are not readable")
  v, err = env.get("HOME")
  assert(v == nil and errors.is(err, errors.NOT_FOUND), "the OS environment is not open by default")
  v, err = env.get("LUABOX_TEST_SURELY_UNSET")
  assert(v == nil and errors.is(err, errors.NOT_FOUND) and tostring(err):find("not set"))
  v, err = env.get(7)
  assert(v == nil and errors.is(err, errors.INVALID))
  v, err = env.get("\255\254")
  assert(v == nil and errors.is(err, errors.INVALID), "a name that is not UTF-8")

  -- os storage: writes go to luabox's overlay, never to the host's environment
  assert(env.get("LUABOX_TEST_OVERLAID") == "from-default")
  assert(env.set("LUABOX_TEST_OVERLAID", "overlay") == true)
  assert(env.get("suite:overlaid") == "overlay")

  -- memory storage: initial values, set, default until set
  assert(env.get("MEM_PRESET") == "preset")
  assert(env.get("MEM_COUNTER") == "0")
  assert(env.set("MEM_COUNTER", "1") == true)
  assert(env.set("mem_counter", "2") == true, "set by entry id")
  assert(env.get("MEM_COUNTER") == "2")

  -- refusals
  local ok
  ok, err = env.set("LOCKED", "x")
  assert(ok == nil and errors.is(err, errors.PERMISSION_DENIED), tostring(err))
  assert(tostring(err):find("LOCKED") and tostring(err):find("suite:locked"), tostring(err))
  assert(env.get("LOCKED") == "fixed")
  ok, err = env.set("GREETING", "hi")
  assert(ok == nil and errors.is(err, errors.PERMISSION_DENIED) and tostring(err):find("no storage"))
  ok, err = env.set("NOPE", "x")
  assert(ok == nil and errors.is(err, errors.NOT_FOUND))
  ok, err = env.set("MEM_COUNTER", 3)
  assert(ok == nil and errors.is(err, errors.INVALID), "values are strings")
  ok, err = env.set("MEM_COUNTER", "a\0b")
  assert(ok == nil and errors.is(err, errors.INVALID))
  ok, err = env.set("MEM_COUNTER", "\255")
  assert(ok == nil and errors.is(err, errors.INVALID), "a value that is not UTF-8")
  ok, err = env.set("SCRATCH", "a\rb")
  assert(ok == nil and errors.is(err, errors.INVALID) and tostring(err):find("carriage return"))
  assert(env.get("MEM_COUNTER") == "2")

  -- file storage: a dotenv fixture (quotes, export, comments) and a durable scratch file
  assert(env.get("FILE_GREETING") == "bonjour")
  assert(env.get("FILE_QUOTED") == 'two words, "quoted"')
  ok, err = env.set("FILE_GREETING", "salut")
  assert(ok == nil and errors.is(err, errors.PERMISSION_DENIED))
  local value = "run " .. tostring(math.random(1, 1 << 30)) .. " with 'quotes' $and \\ more"
  assert(env.set("SCRATCH", value) == true)
  assert(env.get("SCRATCH") == value)
  -- a set that waits on the disk also works from a spawned task
  local done = channel.new(1)
  coroutine.spawn(function() done:send(env.set("SCRATCH", value .. "!")) end)
  assert(done:receive() == true)
  assert(env.get("SCRATCH") == value .. "!")

  local all = env.get_all()
  assert(all.GREETING == "hello" and all.PATH == path and all.LUABOX_TEST_SURELY_UNSET == nil)
  assert(all.MEM_COUNTER == "2" and all.LOCKED == "fixed" and all.FILE_GREETING == "bonjour")
  assert(all.SCRATCH == value .. "!" and all.LUABOX_TEST_OVERLAID == "overlay")
  return true
end

return { main = main }
