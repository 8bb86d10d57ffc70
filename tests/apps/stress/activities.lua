local function echo(...)
  return ...
end

local function double(n)
  return n * 2
end

-- A value of 128 tables, 127 below its top: as deep as a value may be to cross.
local function deep()
  local root = {}
  local cur = root
  for _ = 1, 127 do
    cur.next = {}
    cur = cur.next
  end
  return root
end

-- Sends `n` signals numbered 1..n to the workflow that called this activity, then a deep one.
local function signal_me(n)
  local funcs = require("funcs")
  local info = funcs.activity_info()
  local pid = "{workflow|" .. info.workflow_id .. "}"
  for i = 1, n do
    assert(process.send(pid, "item", i))
  end
  assert(process.send(pid, "deep", deep()))
  return n
end

return { echo = echo, double = double, deep = deep, signal_me = signal_me }
