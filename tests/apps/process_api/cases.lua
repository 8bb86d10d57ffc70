-- One scenario per exec'd entry; each returns what it observed, for the test to compare.
local time = require("time")

local HOST = "api:workers"

-- The next event of `kind` from `pid` (from anyone without `pid`), dropping others.
local function next_event(events, kind, pid)
  while true do
    local event = events:receive()
    if event.kind == kind and (pid == nil or event.from == pid) then
      return event
    end
  end
end

-- The inbox's next message, or nil after `timeout`.
local function receive_within(inbox, timeout)
  local r = channel.select({ inbox:case_receive(), time.after(timeout):case_receive() })
  if r.channel == inbox then
    return r.value
  end
end

local function request_reply()
  local inbox = process.inbox()
  local responder = assert(process.spawn_linked("api:responder", HOST))
  process.send(responder, "ask", 21)
  local reply = receive_within(inbox, "2s")
  process.send(responder, "ignore", 1)
  local silence = receive_within(inbox, "50ms")
  return {
    topic = reply:topic(),
    answer = reply:payload():data(),
    from_responder = reply:from() == responder,
    timed_out = silence == nil,
  }
end

-- A spawner's messages reach the new process before anything else, in order; start options
-- are for workflows on a temporal.worker and are refused for a process.
local function spawner()
  local inbox = process.inbox()
  local base = process.with_options({}):with_message("first", 1)
  local echo = assert(base:with_message("second", "two"):spawn("api:echo", HOST))
  local replies = {}
  for _ = 1, 2 do
    local reply = receive_within(inbox, "2s")
    replies[#replies + 1] = { reply:topic(), reply:payload():data() }
  end
  process.terminate(echo)
  local refused, err = process.with_options({ ["temporal.workflow.id"] = "x" }):exec("api:returns", HOST, {})
  local ok, bad = pcall(process.with_options, "nope")
  return { replies = replies, refused = refused == nil and err:kind(), bad = not ok and bad:kind() }
end

local function monitors()
  local events = process.events()
  local ok = assert(process.spawn_monitored("api:returns", HOST, { n = 42 }))
  local ok_exit = next_event(events, process.event.EXIT, ok)
  local bad = assert(process.spawn_monitored("api:fails", HOST, "boom"))
  local bad_exit = next_event(events, process.event.EXIT, bad)
  -- monitor() on a running process; unmonitor() stops the EXIT.
  local watched = assert(process.spawn("api:idle", HOST))
  assert(process.monitor(watched))
  local unwatched = assert(process.spawn("api:idle", HOST))
  assert(process.monitor(unwatched))
  assert(process.unmonitor(unwatched))
  process.send(unwatched, "stop")
  process.send(watched, "stop")
  local watched_exit = next_event(events, process.event.EXIT, watched)
  local extra = channel.select({ events:case_receive(), time.after("50ms"):case_receive() })
  return {
    returned = ok_exit.result.value.n,
    failed = tostring(bad_exit.result.error),
    failed_has_value = bad_exit.result.value ~= nil,
    monitored_later = watched_exit.from == watched,
    unmonitored_silent = extra.channel ~= events,
  }
end

local function links()
  local events = process.events()
  local untrapped = assert(process.spawn_monitored("api:links_to_failure", HOST, false))
  local trapped = assert(process.spawn_monitored("api:links_to_failure", HOST, true))
  -- The two end in either order.
  local exits = {}
  while not (exits[untrapped] and exits[trapped]) do
    local event = next_event(events, process.event.EXIT)
    exits[event.from] = event
  end
  local untrapped_exit, trapped_exit = exits[untrapped], exits[trapped]
  return {
    untrapped = tostring(untrapped_exit.result.error),
    trapped = trapped_exit.result.value,
    options = process.get_options(),
  }
end

local function cancel_terminate()
  local events = process.events()
  local polite = assert(process.spawn_monitored("api:waits_for_cancel", HOST))
  assert(process.cancel(polite, "5s"))
  local polite_exit = next_event(events, process.event.EXIT, polite)
  local spinner = assert(process.spawn_monitored("api:spins", HOST))
  assert(process.terminate(spinner))
  local spinner_exit = next_event(events, process.event.EXIT, spinner)
  return {
    cancelled = polite_exit.result.value.kind,
    cancelled_by_me = polite_exit.result.value.from == process.pid(),
    terminated = tostring(spinner_exit.result.error),
  }
end

local function names()
  local inbox, events = process.inbox(), process.events()
  local first = assert(process.spawn_monitored("api:names_itself", HOST, process.pid(), "keeper"))
  local first_said = inbox:receive():payload():data()
  local looked_up = process.registry.lookup("keeper") == first
  local second = assert(process.spawn_monitored("api:names_itself", HOST, process.pid(), "keeper"))
  local second_said = inbox:receive():payload():data()
  process.send("keeper", "stop")
  next_event(events, process.event.EXIT, first)
  local after_exit = process.registry.lookup("keeper")
  process.send(second, "stop")
  assert(process.registry.register("mine"))
  local unregistered = process.registry.unregister("mine")
  local again = process.registry.unregister("mine")
  return {
    first = first_said.ok,
    looked_up = looked_up,
    second = second_said.ok,
    second_err = second_said.err,
    after_exit = after_exit or "nil",
    unregistered = unregistered,
    unregistered_again = again,
  }
end

local function listen()
  local me = process.pid()
  local jobs = process.listen("job.*")
  local exact = process.listen("exact")
  local inbox = process.inbox()
  process.send(me, "job.one", 1)
  process.send(me, "other", 2)
  process.send(me, "exact", 3)
  process.send(me, "job.two", 4)
  local first_job = jobs:receive()
  local second_job = jobs:receive()
  local got = { jobs = { first_job, second_job }, exact = exact:receive() }
  local other = inbox:receive()
  got.inbox = { other:topic(), other:payload():data() }
  process.unlisten(jobs)
  process.send(me, "job.three", 5)
  local after = inbox:receive()
  got.after_unlisten = { after:topic(), after:payload():data() }
  return got
end

local function held()
  assert(process.spawn("api:sends_early", HOST, process.pid()))
  time.sleep("100ms")
  local inbox = process.inbox()
  local got = {}
  for i = 1, 3 do
    got[i] = inbox:receive():payload():data()
  end
  return got
end

local function dead_pid()
  local events = process.events()
  local pid = assert(process.spawn_monitored("api:returns", HOST, 1))
  next_event(events, process.event.EXIT, pid)
  local ok, err = process.send(pid, "hello")
  local ok2, err2 = process.send("nobody-by-this-name", "hello")
  return {
    ok = ok or false,
    err = tostring(err),
    kind = err and err:kind(),
    name_err = tostring(err2),
    name_ok = ok2 or false,
  }
end

-- Three busy loops (more than the worker threads) on the host while a ping-pong pair runs.
local function busy_neighbours(rounds)
  local spinners = {}
  for i = 1, 3 do
    spinners[i] = assert(process.spawn("api:spins", HOST))
  end
  local inbox = process.inbox()
  local echo = assert(process.spawn_linked("api:echo", HOST))
  for i = 1, rounds do
    process.send(echo, "ping", i)
    local reply = inbox:receive()
    assert(reply:payload():data() == i)
  end
  for _, pid in ipairs(spinners) do
    assert(process.terminate(pid))
  end
  return rounds
end

-- Coroutine workers inside this process take jobs from a channel while main feeds them from its
-- inbox.
local function worker_pool(workers, jobs)
  local queue, results = channel.new(0), channel.new(jobs)
  for w = 1, workers do
    coroutine.spawn(function()
      while true do
        local job, ok = queue:receive()
        if not ok then
          return
        end
        results:send({ job = job, square = job * job, worker = w })
      end
    end)
  end
  local me = process.pid()
  for i = 1, jobs do
    process.send(me, "job", i)
  end
  local inbox = process.inbox()
  for _ = 1, jobs do
    queue:send(inbox:receive():payload():data())
  end
  queue:close()
  local sum, used = 0, {}
  for _ = 1, jobs do
    local r = results:receive()
    sum = sum + r.square
    used[r.worker] = true
  end
  local busy = 0
  for _ in pairs(used) do
    busy = busy + 1
  end
  return { sum = sum, workers_used = busy }
end

-- The mailbox of a process that takes nothing from it holds 100,000 messages; then sending
-- fails.
local function mailbox_flood()
  local sink = assert(process.spawn("api:deaf", HOST))
  local sent = 0
  while true do
    local ok, err = process.send(sink, "flood", sent)
    if not ok then
      process.terminate(sink)
      return { sent = sent, err = tostring(err) }
    end
    sent = sent + 1
  end
end

local function memory_limit()
  local events = process.events()
  local pid = assert(process.spawn_monitored("api:hoards", HOST))
  local exit = next_event(events, process.event.EXIT, pid)
  local echo = assert(process.spawn_linked("api:echo", HOST))
  process.send(echo, "still", "serving")
  return { hoarder = tostring(exit.result.error), after = process.inbox():receive():payload():data() }
end

local function fails()
  error("the exec'd process failed")
end

return {
  request_reply = request_reply,
  spawner = spawner,
  monitors = monitors,
  links = links,
  cancel_terminate = cancel_terminate,
  names = names,
  listen = listen,
  held = held,
  dead_pid = dead_pid,
  busy_neighbours = busy_neighbours,
  worker_pool = worker_pool,
  mailbox_flood = mailbox_flood,
  memory_limit = memory_limit,
  fails = fails,
}
