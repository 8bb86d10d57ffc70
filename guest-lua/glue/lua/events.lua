-- events.lua: the Lua face of the `events` module (Wippy: wippyai/docs en/lua/core/events.md);
-- mod_events.c holds the raw calls, host/src/modules/events/ the app's bus.
--
--   local events = require("events")
--   local sub, err = events.subscribe("orders.*")          -- or ("users", "user.created")
--   local ch = sub:channel()
--   local evt, ok = ch:receive()                           -- {system, kind, path, data}
--   events.send("orders", "order.created", "/orders/1", {id = 1})   -- true | nil, err
--   sub:close()                                            -- the channel closes
--
-- The bus is best effort: an event reaches the subscriptions open when it is sent, and a reader
-- that falls far behind loses events (README: the events module). A subscription's channel is
-- fed by a task of this sandbox that waits on the host; closing the subscription (or dropping
-- it unread) ends that task and closes the channel.
local raw = ...
local errors, channel, spawn = errors, channel, coroutine.spawn
local type, error, setmetatable, getmetatable = type, error, setmetatable, getmetatable
local rawget, rawset, select = rawget, rawset, select
local maxinteger = math.maxinteger
local utf8_len = utf8.len
local raw_subscribe, raw_next, raw_close, raw_send = raw.subscribe, raw.next, raw.close, raw.send

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = message, retryable = false })
end

-- Nil when `value` is a usable name for `what`, else the error message.
local function bad_text(value, what)
  if type(value) ~= "string" then
    return what .. " must be a string, got " .. type(value)
  elseif value == "" then
    return what .. " must not be empty"
  elseif utf8_len(value) == nil then
    return what .. " must be UTF-8 text"
  end
end

-- Private fields of a Subscription, under keys user code cannot name.
local NUMBER, CHANNEL = {}, {}

local Subscription = {}
local mt = {
  __index = Subscription,
  __name = "events.subscription",
  -- One collected unread is closed then; one with a channel lives while its task reads.
  __gc = function(s)
    local n = rawget(s, NUMBER)
    if n then raw_close(n) end
  end,
}

local function check(s, name)
  if type(s) ~= "table" or getmetatable(s) ~= mt then
    error("events: call " .. name .. " with a colon on a subscription: sub:" .. name .. "()", 3)
  end
end

function Subscription.channel(s)
  check(s, "channel")
  local ch = rawget(s, CHANNEL)
  if ch then return ch end
  ch = channel.new(maxinteger)
  rawset(s, CHANNEL, ch)
  local n = rawget(s, NUMBER)
  if not n then
    ch:close()
    return ch
  end
  spawn(function()
    while true do
      local batch = raw_next(n)
      if batch == nil or rawget(s, NUMBER) == nil then break end
      for i = 1, #batch do
        ch:send(batch[i])
      end
    end
    ch:close()
  end)
  return ch
end

function Subscription.close(s)
  check(s, "close")
  local n = rawget(s, NUMBER)
  if n then
    rawset(s, NUMBER, nil)
    raw_close(n)
  end
  local ch = rawget(s, CHANNEL)
  if ch then ch:close() end
  return true
end

local events = {}

function events.subscribe(system, kind)
  local problem = bad_text(system, "events.subscribe: the system")
    or (kind ~= nil and bad_text(kind, "events.subscribe: the kind"))
  if problem then return invalid(problem) end
  local n, err = raw_subscribe(system, kind)
  if not n then return nil, err end
  return setmetatable({ [NUMBER] = n }, mt)
end

function events.send(system, kind, path, ...)
  local problem = bad_text(system, "events.send: the system")
    or bad_text(kind, "events.send: the kind")
    or bad_text(path, "events.send: the path")
  if problem then return invalid(problem) end
  if select("#", ...) == 0 then
    return raw_send(system, kind, path)
  end
  return raw_send(system, kind, path, (...))
end

return events
