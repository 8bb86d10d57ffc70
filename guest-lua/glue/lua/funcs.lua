-- funcs.lua: the Lua face of the `funcs` module (mod_funcs.c holds the raw calls).
--
--   local v, err = funcs.call("app:add", 1, 2)     -- waits; other coroutines run meanwhile
--   local f = funcs.async("app:slow", x)           -- starts the call and returns a Future
--   local v, err = f:result()                      -- waits for it (at most once)
--
-- The callee runs in a fresh sandbox with its own modules and limits; a failure comes back as
-- `nil, err` with an error object (kind preserved across the call, "Internal" for a raised Lua
-- error, "Timeout" for a deadline, "NotFound" for an unknown entry).
-- Deviations from the reference: Future:result() returns the plain values (no Payload wrapper);
-- Future:channel() arrives with channels, and funcs.new() executors are not provided.
local raw = ...
local errors = errors
local type, select, setmetatable = type, select, setmetatable
local pack, unpack = table.pack, table.unpack

local function check_target(target)
  if type(target) ~= "string" or target == "" then
    return errors.new({ kind = errors.INVALID,
      message = "funcs: the target must be an entry id such as \"app:name\", got " .. type(target) })
  end
end

local funcs = {}

function funcs.call(target, ...)
  local err = check_target(target)
  if err then
    return nil, err
  end
  return raw.call(target, ...)
end

local Future = {}
Future.__index = Future
Future.__name = "Future"

function funcs.async(target, ...)
  local err = check_target(target)
  if err then
    return nil, err
  end
  local handle, start_err = raw.start(target, ...)
  if not handle then
    return nil, start_err
  end
  return setmetatable({ handle = handle }, Future)
end

-- Wait for the call (once) and return its results: the callee's values, or nil, err.
function Future:result()
  if self.canceled then
    return nil, errors.new({ kind = errors.CANCELED, message = "the call was canceled" })
  end
  if not self.values then
    self.values = pack(raw.await(self.handle))
  end
  return unpack(self.values, 1, self.values.n)
end

function Future:is_complete()
  return self.values ~= nil or (not self.canceled and raw.is_ready(self.handle))
end

function Future:is_canceled()
  return self.canceled == true
end

-- Wait for the call; returns its error and true if it failed, nil and false otherwise.
function Future:error()
  local _, err = self:result()
  return err, err ~= nil
end

function Future:cancel()
  if self.values or self.canceled then
    return false
  end
  raw.cancel(self.handle)
  self.canceled = true
  return true
end

return funcs
