-- Escapes: no path leaves the volume's root, whether by '..', an absolute path or a
-- symlink. tests/all/mod_fs.rs plants files/planted (a marker), files/escape (a symlink to a
-- file outside the app), files/outside (one to a directory outside) and files/up (a relative
-- '../../secret.txt') before it runs the tests; without them the links are simply missing.
local fs = require("fs")
local check = require("check")
local fails = check.fails

local function main()
  local vol = fs.get("files")
  local DENIED = errors.PERMISSION_DENIED
  -- '..' above the root, however it is spelled.
  fails(DENIED, "leaves the volume's root", vol:readfile("../_index.yaml"))
  fails(DENIED, "leaves the volume's root", vol:readfile("/../_index.yaml"))
  fails(DENIED, "leaves the volume's root", vol:readfile("/docs/../../_index.yaml"))
  fails(DENIED, nil, vol:readfile("/../../../../../../etc/passwd"))
  fails(DENIED, nil, vol:writefile("../escaped.txt", "x"))
  fails(DENIED, nil, vol:mkdir("/../made"))
  fails(DENIED, nil, vol:stat(".."))
  fails(DENIED, nil, vol:exists("/.."))
  fails(DENIED, nil, vol:open("../_index.yaml"))
  local it, err = vol:readdir("/..")
  assert(it() == nil)
  fails(DENIED, nil, nil, err)
  fails(DENIED, nil, vol:chdir(".."))
  assert(vol:pwd() == "/")
  -- '..' that stays inside is fine.
  assert(vol:readfile("/docs/../hello.txt") == "hello, volume\n")
  -- An absolute path is a path from the volume's root, not from the host's.
  fails(errors.NOT_FOUND, "'/etc/passwd'", vol:readfile("/etc/passwd"))
  assert(vol:exists("/etc/passwd") == false)
  assert(vol:exists("//hello.txt") == true)

  -- Symlinks planted from outside that lead out of the root.
  local planted = vol:exists("/planted")
  local LINK = planted and DENIED or errors.NOT_FOUND
  for _, path in ipairs({ "/escape", "/up", "/outside/secret.txt", "/docs/../escape" }) do
    fails(LINK, nil, vol:readfile(path))
    fails(LINK, nil, vol:open(path, "r"))
    fails(LINK, nil, vol:stat(path))
  end
  fails(LINK, nil, vol:open("/outside/new.txt", "w"))
  fails(LINK, nil, vol:writefile("/outside/new.txt", "x"))
  if planted then
    fails(DENIED, nil, vol:mkdir("/outside/made"))
    -- Without the link this would create the file, so only where it is planted.
    fails(DENIED, nil, vol:writefile("/escape", "overwritten", "a"))
    fails(DENIED, nil, vol:writefile("/up", "overwritten"))
    local it2, err2 = vol:readdir("/outside")
    assert(it2() == nil)
    fails(DENIED, nil, nil, err2)
    fails(DENIED, nil, vol:chdir("/outside"))
    -- Listing the root names the links without following them out.
    local names = {}
    for e in vol:readdir("/") do names[e.name] = e.type end
    assert(names.escape == "file" and names.outside == "file" and names.docs == "directory")
  end
  return true
end

return { main = main }
