-- process.lua: the `process` global (Wippy: wippyai/docs en/lua/core/process.md, §3) over the raw calls of mod_process.c.
--
--   local inbox = process.inbox()                     -- before sending a request
--   process.send("pinger", "ping", {n = 1})           -- a pid or a registered name
--   local msg = inbox:receive()                       -- msg:topic(), msg:from(), msg:payload():data()
--   local pid = process.spawn_monitored("app:worker", "app:processes", arg)
--   local ev = process.events():receive()             -- {kind = process.event.EXIT, from, result}
--
-- Deliveries reach the sandbox only once it subscribes: the first call of inbox(), events() or
-- listen() starts a pump coroutine that takes batches from the host and routes each message to
-- the listen() channel of its topic (raw values, or Message objects with {message = true}), else
-- to the inbox; events go to the events() channel. Whatever has no subscriber yet is held, in
-- order, until one appears. The routing channels never block the pump: they buffer without
-- bound, and the process's memory limit bounds them.
local raw = ...
local errors, channel, spawn = errors, channel, coroutine.spawn
local type, error, setmetatable, pairs, tostring = type, error, setmetatable, pairs, tostring
local format, gsub, find = string.format, string.gsub, string.find
local maxinteger = math.maxinteger
local utf8_len = utf8.len

local process = {}

process.event = { CANCEL = "pid.cancel", EXIT = "pid.exit", LINK_DOWN = "pid.link.down" }

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = message })
end

local function check_dest(dest)
  if type(dest) ~= "string" or dest == "" then
    return "process: the destination must be a pid or a registered name, got " .. type(dest)
  end
  if utf8_len(dest) == nil then
    return "process: the destination must be UTF-8 text"
  end
end

-- What is wrong with a message topic given to `what`, if anything.
local function check_topic(topic, what)
  if type(topic) ~= "string" or topic == "" then
    return what .. ": the topic must be a non-empty string, got " .. type(topic)
  end
  if utf8_len(topic) == nil then
    return what .. ": the topic must be UTF-8 text"
  end
  if topic:sub(1, 1) == "@" then
    return format("%s: topic '%s' is reserved (topics starting with '@')", what, topic)
  end
end

-- Messages ------------------------------------------------------------------------------------

local Payload = { __name = "Payload" }
Payload.__index = Payload

-- One value arrives as itself, several as an array of them (Wippy: wippyai/docs en/lua/core/process.md).
local function data_of(values)
  if values.n == nil then
    values.n = #values
  end
  if values.n <= 1 then
    return values[1]
  end
  return values
end

function Payload:data()
  return data_of(self.values)
end

local Message = { __name = "Message" }
Message.__index = Message

local function message(delivery)
  return setmetatable({ _topic = delivery[2], _from = delivery[3], _values = delivery[4] }, Message)
end

function Message:topic()
  return self._topic
end

function Message:from()
  return self._from
end

function Message:payload()
  return setmetatable({ values = self._values }, Payload)
end

-- Routing -------------------------------------------------------------------------------------

local inbox_ch, events_ch
local listeners = {} -- in the order listen() was called: {topic, pattern or nil, ch, message}
local held_messages, held_events = {}, {}
local pumping = false

local function unbounded()
  return channel.new(maxinteger)
end

local function listener_for(topic)
  for i = 1, #listeners do
    local l = listeners[i]
    if l.topic == topic or (l.pattern and find(topic, l.pattern)) then
      return l
    end
  end
end

-- Hand a message to its listener or the inbox; false when neither exists yet.
local function route_message(delivery)
  local l = listener_for(delivery[2])
  if l then
    l.ch:send(l.message and message(delivery) or data_of(delivery[4]))
    return true
  end
  if inbox_ch then
    inbox_ch:send(message(delivery))
    return true
  end
  return false
end

local function route(delivery)
  if delivery[1] == 1 then
    if not route_message(delivery) then
      held_messages[#held_messages + 1] = delivery
    end
  elseif events_ch then
    events_ch:send(delivery[2])
  else
    held_events[#held_events + 1] = delivery[2]
  end
end

-- Route held messages that now have a subscriber, keeping the others in order.
local function release_held()
  local still = {}
  for i = 1, #held_messages do
    if not route_message(held_messages[i]) then
      still[#still + 1] = held_messages[i]
    end
  end
  held_messages = still
end

local function pump()
  while true do
    local batch, err = raw.receive()
    if batch == nil then
      error("process: cannot take the messages the host delivered: " .. tostring(err), 0)
    end
    for i = 1, #batch do
      route(batch[i])
    end
  end
end

local function subscribe()
  if not pumping then
    pumping = true
    spawn(pump)
  end
end

function process.inbox()
  if not inbox_ch then
    inbox_ch = unbounded()
    release_held()
    subscribe()
  end
  return inbox_ch
end

function process.events()
  if not events_ch then
    raw.watch_events()
    events_ch = unbounded()
    for i = 1, #held_events do
      events_ch:send(held_events[i])
    end
    held_events = {}
    subscribe()
  end
  return events_ch
end

-- "update.*" matches "update.a" and "update.a.b"; every other character stands for itself.
local function glob_pattern(topic)
  if not find(topic, "*", 1, true) then
    return nil
  end
  return "^" .. gsub(gsub(topic, "[%^%$%(%)%%%.%[%]%+%-%?]", "%%%0"), "%*", ".*") .. "$"
end

function process.listen(topic, options)
  if type(topic) ~= "string" or topic == "" or topic:sub(1, 1) == "@" then
    error("bad argument #1 to 'listen' (a topic not starting with '@' expected)", 2)
  end
  if options ~= nil and type(options) ~= "table" then
    error("bad argument #2 to 'listen' (table expected, got " .. type(options) .. ")", 2)
  end
  for i = 1, #listeners do
    if listeners[i].topic == topic then
      error(format("process.listen: topic '%s' already has a listener (unlisten it first)", topic), 2)
    end
  end
  local ch = unbounded()
  listeners[#listeners + 1] = { topic = topic, pattern = glob_pattern(topic), ch = ch,
    message = options ~= nil and options.message == true }
  release_held()
  subscribe()
  return ch
end

function process.unlisten(ch)
  for i = 1, #listeners do
    if listeners[i].ch == ch then
      table.remove(listeners, i)
      ch:close()
      return true
    end
  end
  return false
end

-- Calls ---------------------------------------------------------------------------------------

process.pid = raw.pid
process.id = raw.pid

function process.send(dest, topic, ...)
  local bad = check_dest(dest) or check_topic(topic, "process.send")
  if bad then
    return invalid(bad)
  end
  return raw.send(dest, topic, ...)
end

-- `with` is nil or a spawner's {options, messages}.
local function spawning(name, flags)
  return function(with, id, host, ...)
    if type(id) ~= "string" or type(host) ~= "string" then
      return invalid("process." .. name .. ": expected an entry id and a process.host or "
        .. "temporal.worker id, got " .. type(id) .. " and " .. type(host))
    end
    if flags then
      return raw.spawn(id, host, flags, with, ...)
    end
    return raw.exec(id, host, with, ...)
  end
end

local starts = {
  spawn = spawning("spawn", 0),
  spawn_monitored = spawning("spawn_monitored", 1),
  spawn_linked = spawning("spawn_linked", 2),
  spawn_linked_monitored = spawning("spawn_linked_monitored", 3),
  exec = spawning("exec", nil),
}

for name, start in pairs(starts) do
  process[name] = function(...)
    return start(nil, ...)
  end
end

-- A spawner (Wippy: wippyai/docs en/lua/core/process.md): start options (`temporal.workflow.*` keys, for a workflow on a
-- temporal.worker) and messages sent right after the start, in order, before anything else
-- reaches the new pid. Each with_* returns a new spawner; raising on a bad argument.
local Spawner = {}
Spawner.__index = Spawner

local function new_spawner(options, messages, context)
  return setmetatable({ options = options, messages = messages, context = context }, Spawner)
end

function Spawner:with_options(options)
  if type(options) ~= "table" then
    error(errors.new({ kind = errors.INVALID,
      message = "process.with_options: expected a table, got " .. type(options) }), 2)
  end
  local merged = {}
  for key, value in pairs(self.options) do
    merged[key] = value
  end
  for key, value in pairs(options) do
    merged[key] = value
  end
  return new_spawner(merged, self.messages, self.context)
end

-- Context values for the new process (ctx.get there), over this sandbox's own.
function Spawner:with_context(values)
  if type(values) ~= "table" then
    error(errors.new({ kind = errors.INVALID,
      message = "process.with_context: expected a table, got " .. type(values) }), 2)
  end
  local merged = {}
  for key, value in pairs(self.context) do
    merged[key] = value
  end
  for key, value in pairs(values) do
    if type(key) ~= "string" then
      error(errors.new({ kind = errors.INVALID,
        message = "process.with_context: keys must be strings, got " .. type(key) }), 2)
    end
    merged[key] = value
  end
  return new_spawner(self.options, self.messages, merged)
end

function Spawner:with_message(topic, ...)
  local bad = check_topic(topic, "with_message")
  if bad then
    error(errors.new({ kind = errors.INVALID, message = bad }), 2)
  end
  local messages = { table.unpack(self.messages) }
  messages[#messages + 1] = { topic, table.pack(...) }
  return new_spawner(self.options, messages, self.context)
end

for name, start in pairs(starts) do
  Spawner[name] = function(self, ...)
    return start({ self.options, self.messages, self.context }, ...)
  end
end

function process.with_options(options)
  return new_spawner({}, {}, {}):with_options(options)
end

function process.with_context(values)
  return new_spawner({}, {}, {}):with_context(values)
end

local function on_dest(name, call)
  process[name] = function(dest, ...)
    local bad = check_dest(dest)
    if bad then
      return invalid(bad)
    end
    return call(dest, ...)
  end
end

on_dest("terminate", raw.terminate)
on_dest("monitor", raw.monitor)
on_dest("unmonitor", raw.unmonitor)
on_dest("link", raw.link)
on_dest("unlink", raw.unlink)
on_dest("cancel", function(dest, reason)
  if reason ~= nil and type(reason) ~= "string" then
    reason = tostring(reason)
  end
  return raw.cancel(dest, reason or "")
end)

local options = { trap_links = false }

function process.get_options()
  return { trap_links = options.trap_links }
end

function process.set_options(new)
  if type(new) ~= "table" then
    return false, errors.new({ kind = errors.INVALID,
      message = "process.set_options: table expected, got " .. type(new) })
  end
  for key, value in pairs(new) do
    if key ~= "trap_links" then
      return false, errors.new({ kind = errors.INVALID,
        message = format("option %s is not supported", tostring(key)) })
    end
    if type(value) ~= "boolean" then
      return false, errors.new({ kind = errors.INVALID,
        message = "option trap_links must be a boolean, got " .. type(value) })
    end
  end
  if new.trap_links ~= nil then
    options.trap_links = new.trap_links
    raw.set_trap_links(new.trap_links)
  end
  return true
end

-- Names ---------------------------------------------------------------------------------------

local registry = { LOCAL = "local", EVENTUAL = "eventual", CONSISTENT = "consistent",
  STRONG = "strong" }
process.registry = registry

local function check_name(name)
  if type(name) ~= "string" or name == "" then
    return "process.registry: the name must be a non-empty string, got " .. type(name)
  end
  if utf8_len(name) == nil then
    return "process.registry: the name must be UTF-8 text"
  end
end

function registry.register(name, pid)
  local bad = check_name(name) or (pid ~= nil and check_dest(pid))
  if bad then
    return invalid(bad)
  end
  return raw.register(name, pid)
end

function registry.lookup(name)
  local bad = check_name(name)
  if bad then
    return invalid(bad)
  end
  return raw.lookup(name)
end

function registry.unregister(name)
  if check_name(name) then
    return false
  end
  return raw.unregister(name)
end

return process
