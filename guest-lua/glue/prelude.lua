-- prelude.lua: runs once in every Lua state before any entry code (compiled into the guest).
--
-- 1. It makes host waits pass through user coroutines. A blocking module call (time.sleep, ...)
--    yields the scheduler's WAIT marker and a handle (a blocked channel operation yields PARK);
--    when it happens inside a coroutine that user code resumed with coroutine.resume or
--    coroutine.wrap, that resume relays the wait outward to the scheduler and, once the host
--    completes the operation (or another task wakes this one), resumes the inner coroutine with
--    the result (the way OpenResty propagates yields). User code never sees the markers.
-- 2. It returns the function that runs an invocation: it installs a `require` per chunk scope
--    (the entry's, and one per imported library, each with its own `modules:` and `imports:`),
--    runs the entry's chunk, and calls what it returned (see run_entry below).
-- 3. It gives every chunk of the invocation its scope (set_scope: 1 the entry, 2.. its libraries;
--    a chunk user code loads gets its loader's) and keeps GRANTS[scope], the record grants.c
--    checks a module's guarded functions against when they are called: a handle or module table
--    that reached code of another scope does not carry its grant along.
local WAIT, PARK, load_code, modules, TASKS, GRANTS, set_scope = ...
local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
local co_close, co_status, co_isyieldable = coroutine.close, coroutine.status, coroutine.isyieldable
local co_running = coroutine.running
-- Everything the prelude calls after user code has started is a local: user code may replace
-- globals and the fields of `string` (which string methods are looked up in).
local select, type, error, setmetatable = select, type, error, setmetatable
local pairs, ipairs = pairs, ipairs
local format = string.format
local pack, unpack = table.pack, table.unpack
local G, package = _G, package

local function relay(co, ok, ...)
  if ok and select("#", ...) > 0 and ((...) == WAIT or (...) == PARK) then
    if not co_isyieldable() then
      error("cannot wait for a host operation here: the coroutine was resumed inside a C call "
        .. "(such as a table.sort comparator or a string.gsub callback), which cannot yield", 2)
    end
    return relay(co, co_resume(co, co_yield(...)))
  end
  return ok, ...
end

-- The scheduler alone resumes its tasks (the entry's coroutine and coroutine.spawn's), with the
-- values it owes them. User code can reach one through coroutine.running; resuming it fails the
-- way resuming a running coroutine does (false and a message), closing it raises.
local TASK = "the coroutine is a task of the sandbox's scheduler (the entry's or one of "
  .. "coroutine.spawn's), which only the scheduler resumes"

function coroutine.resume(co, ...)
  if TASKS[co] then
    return false, "cannot resume a task: " .. TASK
  end
  return relay(co, co_resume(co, ...))
end

-- A task (the entry's coroutine, coroutine.spawn's) has no resumer to take yielded values: a
-- bare coroutine.yield() lets the other tasks run and then continues, yielded values would be
-- lost, so they are an error.
function coroutine.yield(...)
  if select("#", ...) > 0 and TASKS[co_running()] then
    error("cannot yield values from a task: the entry's code and coroutine.spawn's functions "
      .. "are run by the sandbox's scheduler, which takes no values (a bare coroutine.yield() "
      .. "lets the other tasks run); yield values inside a coroutine you created, or pass them "
      .. "through a channel", 2)
  end
  return co_yield(...)
end

function coroutine.close(co)
  if TASKS[co] then
    error("bad argument #1 to 'close' (cannot close a task: " .. TASK .. ")", 2)
  end
  return co_close(co)
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

-- `load` takes text only, and a chunk it loads has the scope of the code that loaded it; in a
-- library its globals default to the library's own (`env`), not the entry's.
local raw_load = load
local function load_in(scope, env, chunk, name, ...)
  local f, err
  if env ~= nil and select("#", ...) == 0 then
    f, err = raw_load(chunk, name, "t", env)
  else
    f, err = raw_load(chunk, name, "t", ...)
  end
  if f then
    set_scope(f, scope)
  end
  return f, err
end

function load(chunk, name, mode, ...)
  return load_in(1, nil, chunk, name, ...)
end

-- What a library's globals fall back to: the globals as they are before any entry code runs,
-- with each library table (string, table, math, ...) copied. A library's own globals are its
-- own, and an importer that replaces `assert` or `string.format` among its globals cannot reach
-- into the code of a library it imports (which may hold grants the importer lacks).
local BASE = {}
local function copy_of(value)
  local copy = {}
  for k, v in pairs(value) do
    copy[k] = v
  end
  return copy
end
for name, value in pairs(G) do
  if name == "_G" or name == "package" then
    -- a library's own, set when it is loaded
  elseif value == string then
    -- string(x) casts (types.lua): the copy casts through the original
    BASE[name] = setmetatable(copy_of(value), {
      __call = function(_, v) return value(v) end,
      __metatable = false,
    })
  elseif type(value) == "table" and getmetatable(value) == nil then
    BASE[name] = copy_of(value)
  else
    BASE[name] = value -- functions, and type values (immutable)
  end
end

-- `require` for one chunk scope. Library values are loaded on first use and shared by every
-- scope of the invocation; `loading` catches an import cycle that slipped past the loader.
local LOADING = {}
local function new_require(scopes, libraries, scope)
  local what = scope.library and "library" or "entry"
  return function(name)
    if type(name) ~= "string" then
      error(format("bad argument #1 to 'require' (string expected, got %s)", type(name)), 2)
    end
    local target = scope.imports and scope.imports[name]
    if target then
      local value = libraries[target]
      if value == LOADING then
        error(format("import cycle: library '%s' requires itself (through '%s')",
          scopes[target].id, name), 2)
      elseif value ~= nil then
        return value
      end
      local library = scopes[target]
      local env = setmetatable({}, { __index = BASE, __metatable = false })
      env._G = env
      env.require = new_require(scopes, libraries, library)
      env.load = function(chunk, name, mode, ...)
        return load_in(target, env, chunk, name, ...)
      end
      for _, name in ipairs({ "process", "workflow" }) do
        if library.modules and library.modules[name] then
          env[name] = modules[name]
        end
      end
      local chunk, err = load_code(library.code, library.chunk_name, library.mode, env)
      if not chunk then
        error(err, 2)
      end
      set_scope(chunk, target)
      libraries[target] = LOADING
      -- If the library raises, forget it (the traceback still points into the library), so a
      -- later require tries again instead of reporting a cycle.
      local _ <close> = setmetatable({}, { __close = function(_, raised)
        if raised ~= nil then
          libraries[target] = nil
        end
      end })
      value = chunk()
      if value == nil then
        value = true
      end
      libraries[target] = value
      return value
    end
    if scope.modules and scope.modules[name] then
      return modules[name]
    end
    if modules[name] == nil and package.loaded[name] ~= nil then
      -- the standard library: string, table, math, ... (a library gets the copies it sees)
      return scope.library and BASE[name] or package.loaded[name]
    end
    if modules[name] ~= nil then
      error(format("module '%s' is not allowed in %s '%s': add it to the %s's modules",
        name, what, scope.id, what), 2)
    end
    error(format("module '%s' not found (%s '%s'): luabox has no such module and the %s imports "
      .. "nothing by that name", name, what, scope.id, what), 2)
  end
end

-- Runs an invocation's entry chunk (already loaded: `chunk`) with `scopes[1]` as its require
-- scope. If the chunk returns a function, that function is called with the arguments; if it
-- returns a table and the entry names a `method`, that field is called; without a method the
-- chunk's own values are the result.
-- The `process` global exists in every entry (the host lists it in every scope's modules), and
-- the `workflow` global in workflow.lua entries.
return function(scopes, chunk, method, ...)
  for scope in pairs(GRANTS) do
    GRANTS[scope] = nil
  end
  for index, scope in ipairs(scopes) do
    local what = scope.library and "library" or "entry"
    GRANTS[index] = { what = format("%s '%s'", what, scope.id), modules = scope.modules or {} }
  end
  set_scope(chunk, 1)
  G.require = new_require(scopes, {}, scopes[1])
  if scopes[1].modules and scopes[1].modules.process then
    G.process = modules.process
  end
  if scopes[1].modules and scopes[1].modules.workflow then
    G.workflow = modules.workflow
  end
  local results = pack(chunk())
  local main = results[1]
  if type(main) == "function" then
    return main(...)
  end
  if method == nil then
    return unpack(results, 1, results.n)
  end
  if type(main) ~= "table" then
    error(format("entry '%s' names method '%s', but its chunk returned %s instead of a function "
      .. "or a table", scopes[1].id, method, type(main)), 0)
  end
  local fn = main[method]
  if type(fn) ~= "function" then
    error(format("method '%s' not found: the table returned by entry '%s' has no function '%s'",
      method, scopes[1].id, method), 0)
  end
  return fn(...)
end
