-- time_timers.lua: part of the `time` face (see time.lua) — time.after, time.timer and
-- time.ticker, built on channels and coroutine.spawn: each timer is a spawned task that sleeps on
-- a host timer and then sends the current Time on a channel of one slot.
--
--   local r = channel.select({reply:case_receive(), time.after("500ms"):case_receive()})
--   local t = time.timer("1s"); t:reset("2s"); t:stop()     -- t:channel() / t:response()
--   local tk = time.ticker("100ms"); tk:channel():receive(); tk:stop()
--
-- Chunk arguments: (time, sleep, to_ns) where `sleep(ns)` is the raw host sleep and `to_ns(d,
-- fname)` converts a duration argument. Adds time.after, time.timer and time.ticker; returns
-- nothing. Like Go, a ticker drops ticks a slow receiver has not taken; a stopped or reset timer
-- never delivers its old tick. Durations must be positive (time.after also accepts 0).
local time, sleep, to_ns = ...
local channel, spawn = channel, coroutine.spawn
local setmetatable, error = setmetatable, error

local function duration(d, fname, allow_zero)
  local ns, err = to_ns(d, fname)
  if not ns then
    error(err, 3)
  end
  if ns < 0 or (ns == 0 and not allow_zero) then
    error(fname .. ": the duration must be positive", 3)
  end
  return ns
end

-- Send `value` unless the one-slot channel is full (a tick nobody took yet).
local function offer(ch, value)
  channel.select({ ch:case_send(value), default = true })
end

function time.after(d)
  local ns = duration(d, "time.after", true)
  local ch = channel.new(1)
  spawn(function()
    sleep(ns)
    offer(ch, time.now())
  end)
  return ch
end

local Timer = { __name = "time.Timer" }
Timer.__index = Timer

-- Each arming has its own generation; a sleeper whose generation is stale delivers nothing.
local function arm(timer, ns)
  timer.generation = timer.generation + 1
  timer.active = true
  local generation = timer.generation
  spawn(function()
    sleep(ns)
    if timer.generation == generation and timer.active then
      timer.active = false
      offer(timer.ch, time.now())
    end
  end)
end

function time.timer(d)
  local timer = setmetatable({ ch = channel.new(1), generation = 0 }, Timer)
  arm(timer, duration(d, "time.timer"))
  return timer
end

function Timer:channel()
  return self.ch
end
Timer.response = Timer.channel

-- Stop the timer; true if it was still pending.
function Timer:stop()
  local pending = self.active
  self.active = false
  self.generation = self.generation + 1
  return pending
end

-- Re-arm the timer for `d` from now; true if it was still pending.
function Timer:reset(d)
  local ns = duration(d, "timer:reset")
  local pending = self.active
  arm(self, ns)
  return pending
end

local Ticker = { __name = "time.Ticker" }
Ticker.__index = Ticker

function time.ticker(d)
  local ns = duration(d, "time.ticker")
  local ticker = setmetatable({ ch = channel.new(1), running = true }, Ticker)
  spawn(function()
    while true do
      sleep(ns)
      if not ticker.running then
        return
      end
      offer(ticker.ch, time.now())
    end
  end)
  return ticker
end

function Ticker:channel()
  return self.ch
end
Ticker.response = Ticker.channel

function Ticker:stop()
  self.running = false
  return true
end
