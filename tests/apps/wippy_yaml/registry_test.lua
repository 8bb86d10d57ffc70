local base_registry = require("base_registry")

local function main()
    local own = assert(base_registry.get("app:registry_test"))
    assert(own.data.security.actor.id == "tester")
    assert(base_registry.get("app:db").kind == "db.sql.sqlite")
end

return { main = main }
