-- queue.lua: the Lua face of the `queue` module (Wippy: wippyai/docs en/lua/storage/queue.md);
-- mod_queue.c holds the raw calls, host/src/queue/ the queues and consumers.
--
--   local queue = require("queue")
--   local ok, err = queue.publish("app:tasks", {action = "send_email"}, {priority = "high"})
--   local stats = queue.info("app:tasks")        -- {message_count, in_flight, consumer_count}
--   -- in a queue.consumer's handler:
--   local msg = queue.message()                  -- msg:id(), msg:header(k), msg:headers()
--   msg:ack()                                    -- or msg:nack(): settle early (first one wins)
local raw = ...
local errors = errors
local type, setmetatable, pairs, utf8_len = type, setmetatable, pairs, utf8.len

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = message, retryable = false })
end

local queue = {}

local function bad_id(id, what)
  if type(id) ~= "string" or id == "" then
    return what .. ": the queue id must be a non-empty string"
  elseif utf8_len(id) == nil then
    return what .. ": the queue id must be UTF-8 text"
  end
end

function queue.publish(id, data, headers)
  local bad = bad_id(id, "queue.publish")
  if bad then return invalid(bad) end
  if data == nil then return invalid("queue.publish: the message data is empty") end
  if headers ~= nil and type(headers) ~= "table" then
    return invalid("queue.publish: the headers must be a table")
  end
  return raw.publish(id, data, headers)
end

function queue.info(id)
  local bad = bad_id(id, "queue.info")
  if bad then return invalid(bad) end
  return raw.info(id)
end

local Message = {}
Message.__index = Message
Message.__name = "queue.message"

function Message:id()
  return self._id
end

function Message:header(key)
  return self._headers[key]
end

function Message:headers()
  local copy = {}
  for k, v in pairs(self._headers) do
    copy[k] = v
  end
  return copy
end

function Message:ack()
  return raw.settle(true)
end

function Message:nack()
  return raw.settle(false)
end

function queue.message()
  local id, headers = raw.message()
  if not id then return nil, headers end
  return setmetatable({ _id = id, _headers = headers or {} }, Message)
end

return queue
