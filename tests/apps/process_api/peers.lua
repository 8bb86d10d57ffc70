-- The processes the cases spawn.

-- Replies to "ask" with the question doubled; ignores "ignore".
local function responder()
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    if msg:topic() == "ask" then
      process.send(msg:from(), "answer", msg:payload():data() * 2)
    end
  end
end

local function returns(value)
  return value
end

local function fails(message)
  error(message)
end

-- Returns the CANCEL event's fields once cancelled.
local function waits_for_cancel()
  local event = process.events():receive()
  return { kind = event.kind, from = event.from }
end

local function idle()
  process.inbox():receive()
end

-- Never looks at its mailbox.
local function deaf()
  require("time").sleep("1h")
end

-- A busy loop that never blocks.
local function spins()
  local n = 0
  while true do
    n = n + 1
  end
end

local function echo()
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    process.send(msg:from(), msg:topic(), msg:payload():data())
  end
end

-- Links to a process that fails, trapping link failures or not; when trapping, returns the
-- LINK_DOWN event it got.
local function links_to_failure(trap)
  if trap then
    process.set_options({ trap_links = true })
  end
  local events = process.events()
  assert(process.spawn_linked("api:fails", "api:workers", "linked failure"))
  local event = events:receive()
  return { kind = event.kind, error = tostring(event.result and event.result.error) }
end

-- Registers `name`, tells `parent`, and waits for any message to end.
local function names_itself(parent, name)
  local inbox = process.inbox()
  local ok, err = process.registry.register(name)
  process.send(parent, "registered", { ok = ok or false, err = err and tostring(err) })
  inbox:receive()
end

-- Sends three messages to `parent` at once and returns.
local function sends_early(parent)
  for i = 1, 3 do
    process.send(parent, "early", i)
  end
end

-- Grows a table until the memory limit stops it.
local function hoards()
  local t = {}
  for i = 1, math.maxinteger do
    t[i] = string.rep("x", 1024) .. i
  end
end

return {
  responder = responder,
  returns = returns,
  fails = fails,
  waits_for_cancel = waits_for_cancel,
  idle = idle,
  deaf = deaf,
  spins = spins,
  echo = echo,
  links_to_failure = links_to_failure,
  names_itself = names_itself,
  sends_early = sends_early,
  hoards = hoards,
}
