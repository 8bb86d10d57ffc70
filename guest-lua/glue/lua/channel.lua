-- channel.lua: the `channel` global and `coroutine.spawn` (Wippy: wippyai/docs en/lua/core/channel.md), built on the
-- scheduler's raw task functions (tasks.c): park, wake, current, spawn.
--
--   local ch = channel.new(0)                -- unbuffered (rendezvous); channel.new(n) buffers n
--   coroutine.spawn(function() ch:send("hi") end)
--   local v, ok = ch:receive()               -- "hi", true; nil, false once closed and drained
--   local r = channel.select({ch:case_receive(), other:case_send(1), default = true})
--   if r.channel == ch then ... end          -- {channel, value, ok} or {default = true, ok = true}
--
-- Channels live inside one sandbox: a blocked operation parks its task and the task that
-- completes the operation wakes it, with no host involvement. Waiters are served in arrival
-- order; select takes the first ready case in the order given (deterministic, so replay-safe).
-- Sending on a closed channel raises; closing wakes every receiver with nil, false and every
-- blocked sender with that error. Spawned coroutines end when the entry's main function returns.
local raw = ...
local type, error, setmetatable, getmetatable, tostring = type, error, setmetatable, getmetatable, tostring
local park, wake, current = raw.park, raw.wake, raw.current
local math_type = math.type

-- A FIFO queue with O(1) push and pop.
local function queue()
  return { first = 1, last = 0 }
end

local function push(q, item)
  q.last = q.last + 1
  q[q.last] = item
end

local function pop(q)
  if q.first > q.last then
    return nil
  end
  local item = q[q.first]
  q[q.first] = nil
  q.first = q.first + 1
  return item
end

local function count(q)
  return q.last - q.first + 1
end

-- Queue a waiter, first dropping the waiters at either end that another case of their select
-- already served: a select that keeps timing out on a quiet channel would otherwise leave one
-- behind on it every time.
local function push_waiter(q, waiter)
  while q.last >= q.first and q[q.last].done do
    q[q.last] = nil
    q.last = q.last - 1
  end
  while q.first <= q.last and q[q.first].done do
    q[q.first] = nil
    q.first = q.first + 1
  end
  push(q, waiter)
end

-- The first waiter still waiting (select waiters that another case already served are skipped).
local function pop_waiter(q)
  local waiter = pop(q)
  while waiter and waiter.done do
    waiter = pop(q)
  end
  return waiter
end

local Channel = { __name = "channel" }
Channel.__index = Channel

local CLOSED = "send on a closed channel"

-- Hand `value` to a waiting receiver; false if there is none.
local function deliver(ch, value)
  local receiver = pop_waiter(ch.receivers)
  if not receiver then
    return false
  end
  receiver.done = true
  if receiver.select then
    wake(receiver.task, { channel = ch, value = value, ok = true })
  else
    wake(receiver.task, value, true)
  end
  return true
end

-- Take a value from a waiting sender (waking it); nil, false if there is none.
local function take_from_sender(ch)
  local sender = pop_waiter(ch.senders)
  if not sender then
    return nil, false
  end
  sender.done = true
  if sender.select then
    wake(sender.task, { channel = ch, ok = true })
  else
    wake(sender.task, true)
  end
  return sender.value, true
end

-- Try a send without blocking: true when done.
local function try_send(ch, value)
  if ch.closed then
    error(CLOSED, 3)
  end
  if deliver(ch, value) then
    return true
  end
  if count(ch.buffer) < ch.size then
    push(ch.buffer, { value })
    return true
  end
  return false
end

-- Try a receive without blocking: value, ok, done.
local function try_receive(ch)
  local item = pop(ch.buffer)
  if item then
    -- room in the buffer: the first blocked sender moves in
    local value, ok = take_from_sender(ch)
    if ok then
      push(ch.buffer, { value })
    end
    return item[1], true, true
  end
  local value, ok = take_from_sender(ch)
  if ok then
    return value, true, true
  end
  if ch.closed then
    return nil, false, true
  end
  return nil, false, false
end

local function check_channel(ch, method)
  if getmetatable(ch) ~= Channel then
    error("bad self for '" .. method .. "' (channel expected, got " .. type(ch) .. ")", 3)
  end
end

function Channel:send(value)
  check_channel(self, "send")
  if try_send(self, value) then
    return true
  end
  push_waiter(self.senders, { task = current(), value = value })
  local ok = park("channel send")
  if not ok then
    error(CLOSED, 2)
  end
  return true
end

function Channel:receive()
  check_channel(self, "receive")
  local value, ok, done = try_receive(self)
  if done then
    return value, ok
  end
  push_waiter(self.receivers, { task = current() })
  return park("channel receive")
end

function Channel:close()
  check_channel(self, "close")
  if self.closed then
    return true
  end
  self.closed = true
  local receiver = pop_waiter(self.receivers)
  while receiver do
    receiver.done = true
    if receiver.select then
      wake(receiver.task, { channel = self, value = nil, ok = false })
    else
      wake(receiver.task, nil, false)
    end
    receiver = pop_waiter(self.receivers)
  end
  local sender = pop_waiter(self.senders)
  while sender do
    sender.done = true
    wake(sender.task, sender.select and { channel = self, closed = true } or false)
    sender = pop_waiter(self.senders)
  end
  return true
end

function Channel:case_send(value)
  check_channel(self, "case_send")
  return { channel = self, send = true, value = value }
end

function Channel:case_receive()
  check_channel(self, "case_receive")
  return { channel = self, send = false }
end

local channel = {}

function channel.new(size)
  size = size or 0
  if math_type(size) ~= "integer" or size < 0 then
    error("bad argument #1 to 'new' (a non-negative integer expected, got " .. tostring(size)
      .. ")", 2)
  end
  return setmetatable({ size = size, buffer = queue(), receivers = queue(), senders = queue(),
    closed = false }, Channel)
end

function channel.select(cases)
  if type(cases) ~= "table" then
    error("bad argument #1 to 'select' (table of cases expected)", 2)
  end
  local n = #cases
  for i = 1, n do
    local case = cases[i]
    if type(case) ~= "table" or getmetatable(case.channel) ~= Channel then
      error("bad argument #1 to 'select' (case " .. i .. " is not a case_send/case_receive)", 2)
    end
    local ch = case.channel
    if case.send then
      if try_send(ch, case.value) then
        return { channel = ch, ok = true }
      end
    else
      local value, ok, done = try_receive(ch)
      if done then
        return { channel = ch, value = value, ok = ok }
      end
    end
  end
  if cases.default then
    return { default = true, ok = true }
  end
  if n == 0 then
    error("select with no cases and no default would block forever", 2)
  end
  local waiter = { task = current(), select = true }
  for i = 1, n do
    local case = cases[i]
    if case.send then
      push_waiter(case.channel.senders, setmetatable({ value = case.value }, { __index = waiter,
        __newindex = waiter }))
    else
      push_waiter(case.channel.receivers, setmetatable({}, { __index = waiter, __newindex = waiter }))
    end
  end
  local result = park("channel.select")
  if result.closed then
    error(CLOSED, 2)
  end
  return result
end

return channel, raw.spawn
