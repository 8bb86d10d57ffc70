-- Values across funcs.call: they leave one sandbox as MessagePack and are decoded in the other.
local funcs = require("funcs")

local function nested(levels)
  local root = {}
  local cur = root
  for _ = 1, levels do
    cur.next = {}
    cur = cur.next
  end
  return root
end

local function depth(t)
  local n = 0
  while t.next do
    n = n + 1
    t = t.next
  end
  return n
end

local function test()
  -- 128 tables, 127 below the top: the deepest value that crosses (the limit is 128).
  local deep, deep_err = funcs.call("stress:echo", nested(127))
  assert(deep, tostring(deep_err))
  assert(depth(deep) == 127, "deep value came back " .. depth(deep) .. " levels deep")
  local _, err = funcs.call("stress:echo", nested(128))
  assert(err and tostring(err):find("nested too deep"), "128 levels: " .. tostring(err))
  -- 5,000 arguments in, 5,000 results out.
  local many = {}
  for i = 1, 5000 do
    many[i] = i
  end
  local back = table.pack(funcs.call("stress:echo", table.unpack(many)))
  assert(back.n == 5000 and back[1] == 1 and back[5000] == 5000, "many values: " .. back.n)
  -- A 4 MB string and a 100,000-element array.
  local big = string.rep("wxyz", 1 << 20)
  local array = {}
  for i = 1, 100000 do
    array[i] = { i, tostring(i) }
  end
  local s, a = funcs.call("stress:echo", big, array)
  assert(s == big, "big string changed")
  assert(#a == 100000 and a[99999][2] == "99999", "big array changed")
  -- Binary strings stay bytes.
  local bytes = ""
  for b = 0, 255 do
    bytes = bytes .. string.char(b)
  end
  assert(funcs.call("stress:echo", bytes) == bytes, "bytes changed")
  return true
end

return { test = test }
