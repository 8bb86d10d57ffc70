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

  local all = env.get_all()
  assert(all.GREETING == "hello" and all.PATH == path and all.LUABOX_TEST_SURELY_UNSET == nil)
  return true
end

return { main = main }
