local env = require("env")

local function main()
    assert(env.get("GREETING") == "hello wide world", env.get("GREETING"))
    local ok, err = env.set("GREETING", "changed")
    assert(ok == nil and err:kind() == "PermissionDenied", tostring(err))

    -- A private variable answers to its entry id (a relative one resolves in this namespace)
    -- and is kept under its entry's name, but it has no public name: get_all leaves it out.
    assert(env.get("app:secret") == "s3 cr3t")
    assert(env.get("secret") == "s3 cr3t")
    local all = env.get_all()
    assert(all.GREETING == "hello wide world" and all.secret == nil)
end

return { main = main }
