local time = require("time")

-- The service may still be starting: wait for its name.
local function find(name)
  for _ = 1, 200 do
    local pid = process.registry.lookup(name)
    if pid then
      return pid
    end
    time.sleep("5ms")
  end
  error("no process registered as " .. name)
end

local function main(n)
  local inbox = process.inbox()
  find("ponger")
  for i = 1, n do
    assert(process.send("ponger", "ping", i))
    local reply = inbox:receive()
    assert(reply:topic() == "pong", reply:topic())
    local got = reply:payload():data()
    if got ~= i then
      error(string.format("reply %d arrived as reply %d", got, i))
    end
  end
  return { answered = n }
end
-- Issue 18: every round trip leaves a 2 s timer pending, so thousands pile up while the pongs
-- keep arriving; the client once broke after 70-100 of them.
local function timeout_client(n)
  local inbox = process.inbox()
  find("ponger")
  local answered, timed_out = 0, 0
  for i = 1, n do
    assert(process.send("ponger", "ping", i))
    local r = channel.select({ inbox:case_receive(), time.after("2s"):case_receive() })
    if r.channel == inbox then
      local got = r.value:payload():data()
      if got ~= i then
        error(string.format("reply %s arrived as reply %d", tostring(got), i))
      end
      answered = answered + 1
    else
      timed_out = timed_out + 1
    end
  end
  return { answered = answered, timed_out = timed_out }
end

-- Sends `count` messages numbered from `first` to `to`, then stops.
local function sender(to, first, count)
  for i = first, first + count - 1 do
    assert(process.send(to, "item", i))
  end
  return count
end

-- Keeps `timers` timers pending (all firing after the messages are in) and `senders` senders
-- sending `per` messages each; takes every message while the timers wait, then every timer.
local function busy(timers, senders, per)
  local inbox = process.inbox()
  local pending = {}
  for i = 1, timers do
    pending[i] = time.after(string.format("%dms", 500 + i % 100))
  end
  for s = 1, senders do
    process.spawn("app:sender", "app:processes", process.pid(), (s - 1) * per + 1, per)
  end
  local sum, received = 0, 0
  while received < senders * per do
    local msg = inbox:receive()
    sum = sum + msg:payload():data()
    received = received + 1
  end
  local waiting = 0
  for i = 1, timers do
    local _, ok = pending[i]:receive()
    if ok then
      waiting = waiting + 1
    end
  end
  return { received = received, sum = sum, timers_fired = waiting }
end

local function nested(levels)
  local root = {}
  local cur = root
  for _ = 1, levels do
    cur.next = {}
    cur = cur.next
  end
  return root
end

-- Sends `parent` a value `levels` tables below its top, then a plain one.
local function deep_sender(parent, levels)
  assert(process.send(parent, "deep", nested(levels)))
  assert(process.send(parent, "after", "still here"))
end

-- A message as deep as a sandbox may send (128 tables: 127 below its top) arrives whole, and so do the
-- messages after it: the host's batch of deliveries wraps it three levels deeper still.
local function deep_receiver(levels)
  local inbox = process.inbox()
  process.spawn("app:deep_sender", "app:processes", process.pid(), levels)
  local deep, after = inbox:receive(), inbox:receive()
  local value, depth = deep:payload():data(), 0
  while value.next do
    depth = depth + 1
    value = value.next
  end
  return { deep = depth, after = after:payload():data() }
end

return {
  main = main,
  timeout_client = timeout_client,
  busy = busy,
  sender = sender,
  deep_sender = deep_sender,
  deep_receiver = deep_receiver,
}
