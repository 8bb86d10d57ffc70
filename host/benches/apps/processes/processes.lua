-- Entry points of the process benchmarks; see _index.yaml.

-- Answers each message with an empty "pong" until the inbox closes with the process.
local function echo()
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    process.send(msg:from(), "pong")
  end
end

-- `n` round trips to an echo process spawned on the host `host`.
local function pingpong(host, n)
  local inbox = process.inbox()
  local peer = assert(process.spawn_linked("bench:echo", host))
  for _ = 1, n do
    process.send(peer, "ping")
    inbox:receive()
  end
  process.terminate(peer)
  return n
end

local function nothing() end

-- Spawns `n` processes that return at once, `wave` at a time, and waits for each one's EXIT.
local function spawn_exit(host, n, wave)
  local events = process.events()
  local started, ended = 0, 0
  while ended < n do
    while started < n and started - ended < wave do
      assert(process.spawn_monitored("bench:nothing", host))
      started = started + 1
    end
    local event = events:receive()
    if event.kind == process.event.EXIT then
      ended = ended + 1
    end
  end
  return ended
end

-- Blocks in its inbox for ever, after telling its parent it got there.
local function idle(parent)
  local inbox = process.inbox()
  process.send(parent, "ready")
  inbox:receive()
end

-- Spawns `n` idle processes and returns once each is blocked in its inbox; they outlive it.
-- One that fails to start fails the benchmark.
local function idle_spawner(host, n)
  local inbox, events = process.inbox(), process.events()
  for _ = 1, n do
    assert(process.spawn_monitored("bench:idle", host, process.pid()))
  end
  for _ = 1, n do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events then
      error("an idle process ended: " .. tostring(r.value.result and r.value.result.error))
    end
  end
  return n
end

return {
  echo = echo,
  pingpong = pingpong,
  nothing = nothing,
  spawn_exit = spawn_exit,
  idle = idle,
  idle_spawner = idle_spawner,
}
