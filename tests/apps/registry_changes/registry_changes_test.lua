local registry = require("registry")

local function doc_examples()
  local events = require("events")
  local time = require("time")
  local announced = events.subscribe("registry")

  -- Snapshots: the current state, and at a version.
  local snap, err = registry.snapshot()
  assert(snap and err == nil, tostring(err))
  local before = snap:version()
  assert(before:id() == 0 and before:string() == "v0", "the loaded entries are version v0")
  assert(#snap:entries() == 10)
  assert(snap:get("test:existing").data.value == 1)
  assert(#snap:find({ [".kind"] = "registry.entry", type = "test" }) == 2)
  assert(#snap:namespace("test") == 10)

  -- A changeset: create, update, delete, apply.
  local changes = snap:changes()
  changes:create({
    id = "test:new_entry",
    kind = "test.kind",
    meta = { type = "test" },
    data = { config = "value" },
  })
  changes:update({
    id = "test:existing",
    kind = "test.kind",
    meta = { updated = true },
    data = { new_value = true },
  })
  changes:delete("test:old_entry")
  local ops = changes:ops()
  assert(#ops == 3 and ops[1].kind == "entry.create" and ops[3].entry.id == "test:old_entry")
  local new_version, err = changes:apply()
  assert(new_version, tostring(err))
  assert(new_version:id() == 1 and new_version:string() == "v1")
  assert(new_version:previous() == before)

  -- The current registry has the changes; the old snapshot does not.
  assert(registry.get("test:new_entry").data.config == "value")
  local existing = registry.get("test:existing")
  assert(existing.kind == "test.kind" and existing.meta.updated == true and existing.data.new_value)
  local _, missing = registry.get("test:old_entry")
  assert(missing and missing:kind() == errors.NOT_FOUND)
  assert(snap:get("test:old_entry").id == "test:old_entry")
  assert(registry.snapshot_at(0):get("test:existing").data.value == 1)
  assert(#registry.find({ [".kind"] = "test.kind" }) == 2)

  -- Each applied operation was announced on the bus.
  local ch = announced:channel()
  local seen = {}
  for _ = 1, 3 do
    local r = channel.select({ ch:case_receive(), time.after("2s"):case_receive() })
    assert(r.channel == ch, "no registry event")
    seen[#seen + 1] = r.value.kind .. " " .. r.value.path
  end
  assert(table.concat(seen, ", ")
    == "entry.create test:new_entry, entry.update test:existing, entry.delete test:old_entry",
    table.concat(seen, ", "))
  assert(seen and ch)
  announced:close()

  -- Apply Version: roll back to where the changeset started.
  local current = registry.current_version()
  local prev = current:previous()
  local ok, err = registry.apply_version(prev)
  assert(ok == true, tostring(err))
  assert(registry.get("test:old_entry"))
  assert(select(2, registry.get("test:new_entry")):kind() == errors.NOT_FOUND)
  return true
end

local function versions_and_history()
  local version, err = registry.current_version()
  assert(version, tostring(err))
  assert(math.type(version:id()) == "integer" and version:string() == "v" .. version:id())
  assert(version:next() == nil)
  local versions = registry.versions()
  assert(#versions >= 3 and versions[#versions] == version and versions[1]:id() == 0)
  assert(versions[1]:previous() == nil and versions[1]:next():id() == 1)

  local hist = registry.history()
  assert(#hist:versions() == #versions)
  local v1 = assert(hist:get_version(1))
  local snap = assert(hist:snapshot_at(v1))
  assert(snap:version():id() == 1 and snap:get("test:new_entry"))
  local gone, err = hist:get_version(9999)
  assert(gone == nil and err:kind() == errors.NOT_FOUND, tostring(err))
  gone, err = registry.snapshot_at(9999)
  assert(gone == nil and tostring(err):find("no registry version 9999"), tostring(err))
  return true
end

local function refusals()
  local start = registry.current_version():id()
  local function fails(kind, apply_fn, pattern)
    local v, err = apply_fn()
    assert(v == nil and err, "expected a failure: " .. pattern)
    assert(err:kind() == kind, pattern .. ": " .. tostring(err:kind()) .. " " .. tostring(err))
    assert(tostring(err):find(pattern, 1, true), tostring(err))
  end
  local function applying(fill)
    return function()
      local changes = registry.snapshot():changes()
      fill(changes)
      return changes:apply()
    end
  end
  fails(errors.INVALID, applying(function() end), "no changes to apply")
  fails(errors.ALREADY_EXISTS, applying(function(c)
    c:create({ id = "test:existing", kind = "x" })
  end), "exists already")
  fails(errors.NOT_FOUND, applying(function(c)
    c:update({ id = "test:nope", kind = "x" })
  end), "no entry 'test:nope' to update")
  fails(errors.NOT_FOUND, applying(function(c) c:delete({ ns = "test", name = "nope" }) end),
    "no entry 'test:nope' to delete")
  -- What luabox builds from the YAML stays as loaded.
  fails(errors.INVALID, applying(function(c) c:delete("test:a_function") end),
    "builds function.lua entries")
  fails(errors.INVALID, applying(function(c)
    c:create({ id = "test:f2", kind = "function.lua", data = { source = "return 1" } })
  end), "builds function.lua entries")
  fails(errors.INVALID, applying(function(c) c:create({ kind = "x" }) end), "needs an id")
  fails(errors.INVALID, applying(function(c) c:create({ id = "test:k" }) end), "needs a kind")
  fails(errors.INVALID, applying(function(c)
    c:create({ id = "test:k", kind = "x", data = "text" })
  end), "data must be a table")
  -- A failed changeset applies nothing, also its valid operations.
  fails(errors.ALREADY_EXISTS, applying(function(c)
    c:create({ id = "test:fresh", kind = "x" })
    c:create({ id = "test:existing", kind = "x" })
  end), "exists already")
  assert(select(2, registry.get("test:fresh")):kind() == errors.NOT_FOUND)
  assert(registry.current_version():id() == start)
  -- Wrong arguments.
  assert(not pcall(function() registry.snapshot():changes():create("x") end))
  local v, err = registry.apply_version("x")
  assert(v == nil and err:kind() == errors.INVALID)
  -- Only the last 64 versions are kept.
  for i = 1, 70 do
    local c = registry.snapshot():changes()
    c:create({ id = "test:bulk" .. i, kind = "bulk" })
    assert(c:apply())
  end
  assert(#registry.versions() == 64)
  local old, err = registry.snapshot_at(0)
  assert(old == nil and err:kind() == errors.NOT_FOUND)
  return true
end

local function build_delta()
  local from = { { id = "test:a", kind = "test", meta = {}, data = {} } }
  local to = { { id = "test:b", kind = "test", meta = {}, data = {} } }
  local ops, err = registry.build_delta(from, to)
  assert(ops, tostring(err))
  local seen = {}
  for _, op in ipairs(ops) do
    seen[#seen + 1] = op.kind .. " " .. op.entry.id
  end
  assert(table.concat(seen, ", ") == "entry.create test:b, entry.delete test:a", table.concat(seen, ", "))
  -- An entry in both that differs is an update; an equal one is left out.
  ops = registry.build_delta(
    { { id = "t:x", kind = "k", data = { v = 1 } }, { id = "t:same", kind = "k" } },
    { { id = "t:x", kind = "k", data = { v = 2 } }, { id = "t:same", kind = "k" } })
  assert(#ops == 1 and ops[1].kind == "entry.update" and ops[1].entry.data.v == 2)
  local bad, err = registry.build_delta({ { kind = "no id" } }, {})
  assert(bad == nil and err:kind() == errors.INVALID)
  return true
end

return {
  doc_examples = doc_examples,
  versions_and_history = versions_and_history,
  refusals = refusals,
  build_delta = build_delta,
}
