-- funcs.lua: the Lua face of the `funcs` module (mod_funcs.c holds the raw calls).
--
--   local v, err = funcs.call("app:add", 1, 2)     -- waits; other coroutines run meanwhile
--   local f = funcs.async("app:slow", x)           -- starts the call and returns a Future
--   local v, err = f:result()                      -- waits for it (at most once)
--   funcs.new():with_options({timeout = 500}):call("app:slow")   -- milliseconds or "1.5s"
--   funcs.new():with_context({request_id = id}):call("app:next")  -- ctx.get in the callee
--   funcs.activity_info()                          -- {id, workflow_id, attempt} in an activity
--
-- In a workflow, a call is an activity: recorded, retried by its policy (`activity.*` options),
-- never run again when the workflow replays.
--
-- The callee runs in a fresh sandbox with its own modules and limits; a failure comes back as
-- `nil, err` with an error object (kind preserved across the call, "Internal" for a raised Lua
-- error, "Timeout" for a deadline, "NotFound" for an unknown entry).
-- Deviations from the reference: Future:result() returns the plain values (no Payload wrapper),
-- and Future:channel() delivers the callee's first result (on failure it is closed empty, and
-- Future:error() says why); executors take options (`timeout`) and context values
-- (`with_context`). An unknown option is an Invalid error.
local raw, load_part = ...
local errors = errors
local type, pairs, error, setmetatable = type, pairs, error, setmetatable

local function check_target(target)
  if type(target) ~= "string" or target == "" then
    return errors.new({ kind = errors.INVALID,
      message = "funcs: the target must be an entry id such as \"app:name\", got " .. type(target) })
  end
  if utf8.len(target) == nil then
    return errors.new({ kind = errors.INVALID, message = "funcs: the target must be UTF-8 text" })
  end
end

local funcs = {}

local new_future = load_part("call_future")(raw.await, raw.is_ready, raw.cancel)

local function call(options, target, ...)
  local err = check_target(target)
  if err then
    return nil, err
  end
  return raw.call(target, options, ...)
end

local function async(options, target, ...)
  local err = check_target(target)
  if err then
    return nil, err
  end
  local handle, start_err = raw.start(target, options, ...)
  if not handle then
    return nil, start_err
  end
  return new_future(handle)
end

-- Inside an activity (a function a workflow called): {id, workflow_id, attempt}; `id` stays the
-- same across retries and restarts, so it can serve as an idempotency key. nil elsewhere.
function funcs.activity_info()
  return raw.activity()
end

function funcs.call(target, ...)
  return call(nil, target, ...)
end

function funcs.async(target, ...)
  return async(nil, target, ...)
end

-- Executors: immutable call builders carrying options.
local Executor = {}
Executor.__index = Executor
Executor.__name = "Executor"

function funcs.new()
  return setmetatable({ options = {} }, Executor)
end

function Executor:with_options(options)
  if type(options) ~= "table" then
    error("bad argument #1 to 'with_options' (table expected, got " .. type(options) .. ")", 2)
  end
  local merged = {}
  for k, v in pairs(self.options) do
    merged[k] = v
  end
  for k, v in pairs(options) do
    merged[k] = v
  end
  return setmetatable({ options = merged }, Executor)
end

-- Context values for the calls (ctx.get in the callee, and in what it calls); they go over
-- those of this sandbox's own context, which every call hands on.
function Executor:with_context(values)
  if type(values) ~= "table" then
    error("bad argument #1 to 'with_context' (table expected, got " .. type(values) .. ")", 2)
  end
  local merged = {}
  for k, v in pairs(self.options) do
    merged[k] = v
  end
  local context = {}
  for k, v in pairs(self.options.context or {}) do
    context[k] = v
  end
  for k, v in pairs(values) do
    if type(k) ~= "string" then
      error("bad argument #1 to 'with_context' (keys must be strings, got " .. type(k) .. ")", 2)
    end
    context[k] = v
  end
  merged.context = context
  return setmetatable({ options = merged }, Executor)
end

function Executor:call(target, ...)
  return call(self.options, target, ...)
end

function Executor:async(target, ...)
  return async(self.options, target, ...)
end

return funcs
