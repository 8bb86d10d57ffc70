-- Wippy's "Directory Operations": mkdir, readdir, remove, chdir and pwd.
local fs = require("fs")
local check = require("check")
local fails, scratch = check.fails, check.scratch

local function main()
  local vol, dir = scratch("dirs")
  assert(vol:mkdir(dir .. "/uploads/42") == true, "parents are created")
  fails(errors.ALREADY_EXISTS, "already exists", vol:mkdir(dir .. "/uploads/42"))
  vol:writefile(dir .. "/uploads/b.txt", "b")
  vol:writefile(dir .. "/uploads/a.txt", "a")

  local seen = {}
  for entry in vol:readdir(dir .. "/uploads") do
    seen[#seen + 1] = entry.name .. ":" .. entry.type
  end
  assert(table.concat(seen, " ") == "42:directory a.txt:file b.txt:file", table.concat(seen, " "))

  -- An iterator that yields nothing, and the error.
  local it, err = vol:readdir(dir .. "/nope")
  assert(it() == nil)
  fails(errors.NOT_FOUND, nil, nil, err)

  fails(errors.INVALID, nil, vol:remove(dir .. "/uploads"))
  assert(vol:remove(dir .. "/uploads/a.txt") == true)
  assert(vol:remove(dir .. "/uploads/42") == true)
  assert(not vol:exists(dir .. "/uploads/a.txt") and not vol:exists(dir .. "/uploads/42"))
  fails(errors.NOT_FOUND, nil, vol:remove(dir .. "/uploads/a.txt"))

  -- The working directory: relative paths start there.
  assert(vol:pwd() == "/")
  assert(vol:chdir(dir .. "/uploads") == true)
  assert(vol:pwd() == dir .. "/uploads")
  assert(vol:readfile("b.txt") == "b")
  assert(vol:chdir("..") and vol:pwd() == dir)
  assert(vol:exists("uploads/b.txt"))
  fails(errors.NOT_FOUND, nil, vol:chdir("nope"))
  fails(errors.INVALID, "is not a directory", vol:chdir("uploads/b.txt"))
  assert(vol:pwd() == dir, "a failed chdir keeps the working directory")
  assert(vol:chdir("/") and vol:pwd() == "/")
  return true
end

return { main = main }
