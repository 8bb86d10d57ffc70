-- Every pattern of the stress suite inside a durable workflow: each wait is a recorded command,
-- and a replay of the history must take the same path to the same result.
local time = require("time")
local funcs = require("funcs")

local function main(tasks, signals)
  local inbox = process.inbox()
  -- Hundreds of coroutines, each on its own durable timer, reporting on one channel.
  local done = channel.new(tasks)
  for i = 1, tasks do
    coroutine.spawn(function()
      time.sleep(string.format("%dms", 1 + i % 5))
      done:send(i)
    end)
  end
  -- An activity signals this workflow while those timers wait; each signal is taken by a
  -- select against a timeout (a durable timer of its own).
  local sender = funcs.async("stress:signal_me", signals)
  local got, signal_sum, timeouts = 0, 0, 0
  while got < signals do
    local r = channel.select({ inbox:case_receive(), time.after("30s"):case_receive() })
    if r.channel == inbox then
      got = got + 1
      signal_sum = signal_sum + r.value:payload():data()
    else
      timeouts = timeouts + 1
    end
  end
  local sent = sender:result()
  -- As deep as values may be: a signal and an activity's result, both recorded in the history.
  local function depth(t)
    local n = 0
    while t.next do
      n = n + 1
      t = t.next
    end
    return n
  end
  local deep_signal = depth(inbox:receive():payload():data())
  local deep_result = depth(funcs.call("stress:deep"))
  local task_sum = 0
  for _ = 1, tasks do
    task_sum = task_sum + done:receive()
  end
  -- A wait and an activity inside pcall inside nested user coroutines.
  local nested = coroutine.wrap(function()
    local inner = coroutine.wrap(function()
      local ok, v = pcall(function()
        time.sleep("1ms")
        return funcs.call("stress:double", 21)
      end)
      return ok and v
    end)
    return inner()
  end)()
  -- An error raised right after a durable timer, caught.
  local ok, err = pcall(function()
    time.sleep("1ms")
    error("raised after a durable timer", 0)
  end)
  return {
    task_sum = task_sum,
    signals = got,
    signal_sum = signal_sum,
    sent = sent,
    timeouts = timeouts,
    nested = nested,
    caught = not ok and err,
    deep_signal = deep_signal,
    deep_result = deep_result,
  }
end

local function too_many_timers()
  local done = channel.new(11)
  for i = 1, 11 do
    coroutine.spawn(function()
      time.sleep("1s")
      done:send(i)
    end)
  end
  return done:receive()
end

return { main = main, too_many_timers = too_many_timers }
