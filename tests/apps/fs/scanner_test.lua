-- Wippy's "Scanner": lines (the default), words, bytes, runes.
local fs = require("fs")
local check = require("check")
local fails, scratch = check.fails, check.scratch

local function all(vol, path, split)
  local file = assert(vol:open(path, "r"))
  local scanner = assert(file:scanner(split))
  local out = {}
  while scanner:scan() do out[#out + 1] = scanner:text() end
  assert(scanner:err() == nil, tostring(scanner:err()))
  file:close()
  return out
end

local function main()
  local vol = fs.get("files")
  -- Wippy: skip the header, then one line at a time (\r\n ends a line too).
  local file = vol:open("/users.csv", "r")
  local scanner = file:scanner("lines")
  scanner:scan() -- skip header
  local names = {}
  while scanner:scan() do
    local line = scanner:text()
    names[#names + 1] = line:match(",(.*)")
  end
  file:close()
  assert(table.concat(names, " ") == "ada grace linus", table.concat(names, " "))

  assert(table.concat(all(vol, "/docs/readme.md"), "|") == "# Readme|line two")
  assert(table.concat(all(vol, "/docs/readme.md", "words"), "|") == "#|Readme|line|two")
  assert(#all(vol, "/hello.txt", "bytes") == 14)

  local svol, dir = scratch("scanner")
  svol:writefile(dir .. "/runes.txt", "añ€😀\255")
  local runes = all(svol, dir .. "/runes.txt", "runes")
  assert(#runes == 5 and runes[3] == "€" and runes[4] == "😀" and runes[5] == "\u{FFFD}")
  -- Lines longer than one read chunk (64 KiB) come out whole.
  local long = string.rep("x", 70000)
  svol:writefile(dir .. "/long.txt", long .. "\nend")
  local lines = all(svol, dir .. "/long.txt")
  assert(#lines == 2 and lines[1] == long and lines[2] == "end")
  svol:writefile(dir .. "/spaces.txt", string.rep(" ", 100000) .. "word")
  assert(table.concat(all(svol, dir .. "/spaces.txt", "words")) == "word")
  assert(#all(svol, dir .. "/spaces.txt", "lines") == 1)

  local f = vol:open("/hello.txt")
  fails(errors.INVALID, "split must be", f:scanner("sentences"))
  local sc = f:scanner()
  f:close()
  assert(sc:scan() == false)
  assert(errors.is(sc:err(), errors.INVALID))
  return true
end

return { main = main }
