-- prelude.lua: runs once in every Lua state before any entry code (compiled into the guest).
--
-- It makes host waits pass through user coroutines. A blocking module call (time.sleep, ...)
-- yields the scheduler's WAIT marker and a handle; when it happens inside a coroutine that user
-- code resumed with coroutine.resume or coroutine.wrap, that resume relays the wait outward to
-- the scheduler and, once the host completes the operation, resumes the inner coroutine with the
-- result (the way OpenResty propagates yields). User code never sees the marker.
--
-- Returns the function that runs an entry's chunk: if the chunk returns a function, that
-- function is called with the invocation's arguments; otherwise the chunk's values are the result.
local WAIT = ...
local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
local co_close, co_status, co_isyieldable = coroutine.close, coroutine.status, coroutine.isyieldable
local select, type, error = select, type, error
local pack, unpack = table.pack, table.unpack

local function relay(co, ok, ...)
  if ok and select("#", ...) > 0 and (...) == WAIT then
    if not co_isyieldable() then
      error("cannot wait for a host operation here: the coroutine was resumed inside a C call "
        .. "(such as a table.sort comparator or a string.gsub callback), which cannot yield", 2)
    end
    return relay(co, co_resume(co, co_yield(...)))
  end
  return ok, ...
end

function coroutine.resume(co, ...)
  return relay(co, co_resume(co, ...))
end

-- Mirrors Lua 5.4's coroutine.wrap: an error closes the coroutine and is raised again in the
-- caller, with the caller's position prepended to string messages.
local function unwrap(co, ok, ...)
  if ok then
    return ...
  end
  if co_status(co) == "dead" then
    co_close(co)
  end
  error((...), 2)
end

function coroutine.wrap(f)
  local co = co_create(f)
  return function(...)
    return unwrap(co, relay(co, co_resume(co, ...)))
  end
end

local raw_load = load
function load(chunk, name, mode, ...)
  return raw_load(chunk, name, "t", ...)
end

return function(chunk, ...)
  local results = pack(chunk())
  if type(results[1]) == "function" then
    return results[1](...)
  end
  return unpack(results, 1, results.n)
end
