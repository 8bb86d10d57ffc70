--! modules: store
-- A script run outside an app (luabox eval) has no stores to open; bad ids and keys fail in the
-- sandbox before reaching the host.
local store = require("store")
local function outcome(v, err)
  return v and "ok" or (err:kind() .. ": " .. tostring(err))
end
return {
  outcome(store.get("app:cache")),
  outcome(store.get("\xff")),
  outcome(store.get({})),
}
