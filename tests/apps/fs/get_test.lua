-- Wippy's "Acquiring a Volume" and the failures of fs.get.
local fs = require("fs")
local check = require("check")
local fails, scratch = check.fails, check.scratch

local function main()
  -- Wippy: local vol, err = fs.get("app:storage"); local content = vol:readfile("/config.json")
  local vol, err = fs.get("fs_tests:files")
  assert(vol, tostring(err))
  assert(tostring(vol) == "fs volume: fs_tests:files")
  assert(vol:readfile("/hello.txt") == "hello, volume\n")
  assert(fs.get("files"), "a relative id resolves in the entry's namespace")

  fails(errors.NOT_FOUND, "no entry 'fs_tests:nope'", fs.get("nope"))
  fails(errors.NOT_FOUND, "'fs_tests:get_test' is a function.lua, not an fs.directory",
    fs.get("get_test"))
  fails(errors.INVALID, "invalid volume id", fs.get("a:b:c"))
  fails(errors.INVALID, "expects a volume entry id", fs.get(7))
  fails(errors.UNAVAILABLE, "does not exist (auto_init: true creates it)", fs.get("missing"))
  fails(errors.NOT_FOUND, nil, fs.get("other:volume"))
  -- scratch/ did not exist before: auto_init created it.
  assert(fs.get("scratch"):isdir("/"))
  fails(errors.INVALID, "with a colon", vol.readfile("/hello.txt"))
  return true
end

return { main = main }
