-- The store module: suite:store_test may open kv, small and sessions (its resources:);
-- suite:store_denied_test lists the module but no resources; suite:store_unlisted_test grants kv
-- but does not list the module. Keys are prefixed per test: every test of the app shares kv.

local function fails(kind, needle, v, err)
  assert(v == nil, "expected a failure, got " .. tostring(v))
  assert(errors.is(err, kind), "expected " .. kind .. ", got " .. tostring(err))
  if needle then
    assert(tostring(err):find(needle, 1, true), "error should mention '" .. needle .. "': "
      .. tostring(err))
  end
end

local function opening()
  local store = require("store")
  local kv, err = store.get("kv")
  assert(kv, tostring(err))
  assert(tostring(kv) == "store: suite:kv")
  assert(store.get("suite:kv"), "a full id")
  fails(errors.NOT_FOUND, "no entry 'suite:nope'", store.get("nope"))
  fails(errors.NOT_FOUND, "'suite:add' is a function.lua, not a store", store.get("add"))
  fails(errors.INVALID, nil, store.get(7))
  fails(errors.INVALID, "invalid store id", store.get("a:b:c"))
  return kv
end

local function round_trips(kv)
  local values = {
    int = 42, negative = -7, big = math.maxinteger, float = 2.5, whole_float = 1.0,
    text = "héllo", bytes = "\0\255\1", yes = true, no = false, empty = {},
    list = { 1, "two", 3.0, { 4 } },
    nested = { user = { name = "ada", tags = { "a", "b" }, score = 9.5 }, [7] = "seven" },
  }
  for name, value in pairs(values) do
    assert(kv:set("rt:" .. name, value) == true, name)
  end
  assert(math.type(kv:get("rt:int")) == "integer" and kv:get("rt:int") == 42)
  assert(kv:get("rt:negative") == -7 and kv:get("rt:big") == math.maxinteger)
  assert(math.type(kv:get("rt:float")) == "float" and kv:get("rt:float") == 2.5)
  assert(math.type(kv:get("rt:whole_float")) == "float", "1.0 stays a float")
  assert(kv:get("rt:text") == "héllo" and kv:get("rt:bytes") == "\0\255\1")
  assert(kv:get("rt:yes") == true and kv:get("rt:no") == false)
  assert(next(kv:get("rt:empty")) == nil)
  local list = kv:get("rt:list")
  assert(#list == 4 and list[2] == "two" and math.type(list[3]) == "float" and list[4][1] == 4)
  local nested = kv:get("rt:nested")
  assert(nested.user.name == "ada" and nested.user.tags[2] == "b" and nested.user.score == 9.5)
  assert(nested[7] == "seven")
  -- a value is a copy: changing the table afterwards changes nothing stored
  nested.user.name = "grace"
  assert(kv:get("rt:nested").user.name == "ada")

  -- another sandbox sees the same store
  assert(require("funcs").call("store_read", "rt:nested").user.name == "ada")
  fails(errors.NOT_FOUND, nil, require("funcs").call("store_read", "rt:absent"))
end

local function operations(kv)
  fails(errors.NOT_FOUND, "store 'suite:kv' has no key 'op:missing'", kv:get("op:missing"))
  assert(kv:has("op:missing") == false and kv:delete("op:missing") == false)
  assert(kv:set("op:a", 1))
  assert(kv:set("op:a", "replaced"))
  assert(kv:get("op:a") == "replaced" and kv:has("op:a") == true)
  assert(kv:delete("op:a") == true and kv:delete("op:a") == false)
  fails(errors.NOT_FOUND, nil, kv:get("op:a"))
  -- inside a user coroutine too
  local co = coroutine.wrap(function() return kv:set("op:co", 1) and kv:get("op:co") end)
  assert(co() == 1)
end

local function refusals(kv)
  fails(errors.INVALID, "the value is nil", kv:set("bad:nil", nil))
  fails(errors.INVALID, "the value is nil", kv:set("bad:nil"))
  fails(errors.INVALID, "a function cannot cross", kv:set("bad:fn", { cb = print }))
  fails(errors.INVALID, "the key must be a string", kv:set(1, "x"))
  fails(errors.INVALID, "the key must be a string", kv:get(nil))
  fails(errors.INVALID, "UTF-8", kv:get("\255"))
  fails(errors.INVALID, "the key is empty", kv:get(""))
  fails(errors.INVALID, "the longest is 1024", kv:set(("k"):rep(1025), 1))
  assert(kv:set(("k"):rep(1024), 1), "1 KiB keys are fine")
  for _, ttl in ipairs({ 0, -1, 0 / 0, math.huge, 1e300 }) do
    fails(errors.INVALID, "ttl", kv:set("bad:ttl", 1, ttl))
  end
  fails(errors.INVALID, "ttl must be a number", kv:set("bad:ttl", 1, "5s"))
  fails(errors.INVALID, nil, kv:set("bad:args", 1, 1, "extra"))
  assert(kv:has("bad:ttl") == false, "nothing refused was stored")
  -- this entry's max_payload is 64 KiB
  fails(errors.INVALID, nil, kv:set("bad:big", ("x"):rep(100 * 1024)))
  assert(kv:set("ok:big", ("x"):rep(60 * 1024)))
  -- methods need the colon
  fails(errors.INVALID, "with a colon", kv.get("k"))
end

local function expiry(kv, time)
  assert(kv:set("ttl:short", { v = 1 }, 0.05))
  assert(kv:set("ttl:long", "stays", 60))
  assert(kv:set("ttl:reset", "x", 0.05))
  assert(kv:set("ttl:reset", "no ttl now"))
  assert(kv:get("ttl:short").v == 1 and kv:has("ttl:short"))
  time.sleep("120ms")
  fails(errors.NOT_FOUND, nil, kv:get("ttl:short"))
  assert(kv:has("ttl:short") == false and kv:delete("ttl:short") == false)
  assert(kv:get("ttl:long") == "stays")
  assert(kv:get("ttl:reset") == "no ttl now", "overwriting without a ttl clears it")
end

local function capacity(store, time)
  local small = assert(store.get("small"))
  for i = 1, 3 do assert(small:set("k" .. i, i)) end
  fails(errors.UNAVAILABLE, "store 'suite:small' is full: it holds 3 keys, its max_size",
    small:set("k4", 4))
  assert(small:has("k4") == false)
  assert(small:set("k1", "overwritten"), "overwriting a key of a full store")
  assert(small:delete("k2"))
  assert(small:set("k4", 4), "room after a delete")
  -- expired keys do not count
  assert(small:set("k5", 5) == nil)
  assert(small:set("k4", 4, 0.03))
  time.sleep("60ms")
  assert(small:set("k5", 5), "room after an expiry")
end

local function release(store)
  local kv = assert(store.get("kv"))
  assert(kv:set("rel:a", 1))
  kv:release()
  kv:release() -- again: nothing happens
  for _, method in ipairs({ "get", "has", "delete" }) do
    fails(errors.INVALID, "store 'suite:kv' was released", kv[method](kv, "rel:a"))
  end
  fails(errors.INVALID, "released", kv:set("rel:a", 2))
  -- other handles on the same store are unaffected, and the data stays
  local again = assert(store.get("kv"))
  assert(again:get("rel:a") == 1)
  -- a sandbox holds at most 1024 stores open; dropped store objects are released when collected
  collectgarbage()
  local held, err = {}, nil
  for i = 1, 1100 do
    held[i], err = store.get("kv")
    if not held[i] then break end
  end
  assert(#held > 1000 and #held < 1024, #held)
  fails(errors.UNAVAILABLE, "release some", nil, err)
  held = nil
  collectgarbage()
  assert(store.get("kv"), "the collected ones were released")
end

-- store.sql keeps the same promises on a table of a SQLite database (tests/apps/sql runs them on
-- PostgreSQL too).
local function sql_backed(store, time)
  local sessions = assert(store.get("sessions"))
  local value = { user = "ada", n = 3, f = 1.0, tags = { "x" } }
  assert(sessions:set("s1", value))
  local back = sessions:get("s1")
  assert(back.user == "ada" and math.type(back.n) == "integer" and math.type(back.f) == "float")
  fails(errors.NOT_FOUND, "store 'suite:sessions' has no key 's2'", sessions:get("s2"))
  assert(sessions:set("s1", "replaced") and sessions:get("s1") == "replaced")
  assert(sessions:has("s1") and sessions:delete("s1") and not sessions:delete("s1"))
  assert(sessions:set("short", 1, 0.05))
  time.sleep("120ms")
  assert(not sessions:has("short") and not sessions:delete("short"), "expired rows are absent")
end

local function main()
  local store, time = require("store"), require("time")
  local kv = opening()
  round_trips(kv)
  operations(kv)
  refusals(kv)
  expiry(kv, time)
  capacity(store, time)
  release(store)
  sql_backed(store, time)
  return true
end

local function denied()
  local store = require("store")
  -- its own namespace's stores need no `resources:`; another namespace's do
  assert(store.get("kv")):release()
  fails(errors.PERMISSION_DENIED,
    "entry 'suite:store_denied_test' may not open store 'suite.lib:lib_kv' of another namespace: "
      .. "add it to the entry's resources",
    store.get("suite.lib:lib_kv"))
  fails(errors.NOT_FOUND, nil, store.get("nope"))
  return true
end

local function unlisted()
  local ok, err = pcall(require, "store")
  assert(not ok and tostring(err):find("module 'store' is not allowed in entry", 1, true),
    tostring(err))
  return true
end

return { main = main, denied = denied, unlisted = unlisted }
