local registry = require("registry")

local function ids(entries)
  local list = {}
  for _, entry in ipairs(entries) do
    list[#list + 1] = entry.id
  end
  table.sort(list)
  return table.concat(list, ",")
end

local function main()
  local entry = assert(registry.get("suite:settings"))
  assert(entry.id == "suite:settings" and entry.kind == "registry.entry")
  assert(entry.data.color == "blue" and entry.data.size == 3)
  assert(entry.meta.type == "config" and entry.meta.owner == "tests", "file meta is merged")
  assert(registry.get("settings").id == "suite:settings", "relative ids resolve in my namespace")

  local missing, err = registry.get("suite:nope")
  assert(missing == nil and errors.is(err, errors.NOT_FOUND))

  -- the filter forms
  assert(ids(registry.find({ type = "config" })) == "suite:settings")
  assert(ids(registry.find({ ["meta.type"] = "config" })) == "suite:settings")
  assert(ids(registry.find({ meta = { type = "config" } })) == "suite:settings")
  assert(ids(registry.find({ kind = "env.storage.os" })) == "suite:os_env")
  assert(ids(registry.find({ [".kind"] = "library.lua" })) == "suite.lib:broken,suite.lib:check,suite.lib:text,suite.lib:util")
  assert(ids(registry.find({ [".ns"] = "suite.*" })) == "suite.lib:broken,suite.lib:check,suite.lib:lib_kv,suite.lib:text,suite.lib:util")
  assert(ids(registry.find({ [".name"] = "fail_*" }))
    == "suite:fail_raised,suite:fail_returned,suite:fail_string")
  assert(ids(registry.find({ ["meta.tags"] = "lookup" })) == "suite:registry_test")
  assert(ids(registry.find({ ["~meta.type"] = "^conf" })) == "suite:settings")
  assert(ids(registry.find({ ["^meta.type"] = "con" })) == "suite:settings")
  assert(ids(registry.find({ ["$meta.type"] = "fig" })) == "suite:settings")
  assert(ids(registry.find({ ["*meta.tags"] = "b" })) == "suite:settings")
  local tests = registry.find({ type = "test", [".kind"] = "function.lua" })
  assert(#tests >= 10, "every test is found")
  assert(#registry.find({}) == #registry.find(), "an empty filter matches everything")

  local none, bad = registry.find({ ["~meta.type"] = "(" })
  assert(none == nil and errors.is(bad, errors.INVALID), tostring(bad))

  local parsed = registry.parse_id("app.api:get_user")
  assert(parsed.ns == "app.api" and parsed.name == "get_user")
  assert(registry.parse_id("nocolon") == nil)
  return true
end

return { main = main }
