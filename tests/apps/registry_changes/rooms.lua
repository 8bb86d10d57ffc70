local registry = require("registry")

-- Registers itself as room `name`, tells `to`, and waits to be stopped.
local function room(to, name)
  local changes = registry.snapshot():changes()
  changes:create({ id = "test:room." .. name, kind = "registry.entry",
    meta = { type = "chat.room" }, data = { created_by = process.pid() } })
  local version, err = changes:apply()
  process.send(to, "registered", version and version:id() or tostring(err))
  process.inbox():receive()
end

local function across_processes()
  local time = require("time")
  local inbox = process.inbox()
  local names = { "general", "random", "music" }
  for _, name in ipairs(names) do
    process.spawn("test:room", "test:workers", process.pid(), name)
  end
  local versions = {}
  for i = 1, #names do
    local r = channel.select({ inbox:case_receive(), time.after("2s"):case_receive() })
    assert(r.channel == inbox, "a room did not register")
    versions[i] = r.value:payload():data()
  end
  table.sort(versions)
  local rooms = registry.find({ ["meta.type"] = "chat.room" })
  local ids = {}
  for i, entry in ipairs(rooms) do
    ids[i] = entry.id
  end
  table.sort(ids)
  return { versions = versions, rooms = ids }
end

return { room = room, across_processes = across_processes }
