-- call_future.lua: the Future of a call started on the host (Wippy: wippyai/docs en/lua/core/future.md),
-- shared by the faces that start such calls (funcs.async, a contract instance's `_async`
-- methods) through load_part. Called with the face's raw (await, is_ready, cancel); returns
-- new(handle).
--
--   local v, err = f:result()        -- waits (at most once; other coroutines wait on it too)
--   local ch = f:response()          -- a channel of the first result; closed empty on failure
--   f:is_complete(), f:is_canceled(), f:error(), f:cancel()
local await, is_ready, cancel = ...
local errors, channel, spawn = errors, channel, coroutine.spawn
local setmetatable = setmetatable
local pack, unpack = table.pack, table.unpack

local Future = {}
Future.__index = Future
Future.__name = "Future"

-- Wait for the call and return its results: the callee's values, or nil, err. The first caller
-- waits on the host; others (other coroutines) wait on `settled`, closed once the values are in.
function Future:result()
  if self.canceled then
    return nil, errors.new({ kind = errors.CANCELED, message = "the call was canceled" })
  end
  if not self.values then
    if self.settled then
      self.settled:receive()
    else
      self.settled = channel.new()
      self.values = pack(await(self.handle))
      self.settled:close()
    end
  end
  return unpack(self.values, 1, self.values.n)
end

-- A channel that receives the callee's first result, or is closed empty if the call failed.
function Future:channel()
  if not self.results then
    local results = channel.new(1)
    self.results = results
    spawn(function()
      local value, err = self:result()
      if err == nil then
        results:send(value)
      end
      results:close()
    end)
  end
  return self.results
end
Future.response = Future.channel

function Future:is_complete()
  return self.values ~= nil or (not self.canceled and is_ready(self.handle))
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
  cancel(self.handle)
  self.canceled = true
  return true
end

return function(handle)
  return setmetatable({ handle = handle }, Future)
end
