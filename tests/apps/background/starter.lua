local store = require("store")
local time = require("time")

-- Returns at once; the coroutine records `tag` later, or fails on purpose.
local function main(tag: string, fail: boolean?): string
    coroutine.spawn(function()
        time.sleep("50ms")
        if fail then
            error("background work failed for " .. tag)
        end
        local kv = assert(store.get("app:kv"))
        assert(kv:set("done", tag))
    end)
    return "started " .. tag
end

return { main = main }
