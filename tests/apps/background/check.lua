local funcs = require("funcs")
local store = require("store")
local time = require("time")

local function main()
    local failed = funcs.call("app:starter", "doomed", true)
    local started = funcs.call("app:starter", "t1")
    local kv = assert(store.get("app:kv"))
    local at_return = kv:get("done")
    local later
    for _ = 1, 200 do
        later = kv:get("done")
        if later then break end
        time.sleep("10ms")
    end
    return { failed, started, at_return or "unset", later }
end

return { main = main }
