local text = require("text")

local function main()
  assert(text.shout("hi") == "HI!")
  assert(text.encode("hi") == "aGk=", "the library uses its own modules")
  assert(require("text") == text, "a library is loaded once per sandbox")
  assert(text.loads() == 1 and text.loads() == 2)

  local ok, err = pcall(require, "base64")
  assert(not ok and err:find("module 'base64' is not allowed in entry 'suite:library_test'"), err)
  ok, err = pcall(require, "util")
  assert(not ok and err:find("module 'util' not found"), "the library's imports are its own")
  assert(leaked_from_library == nil, "a library's globals stay in the library")
  for _ = 1, 2 do -- a library that raises is not cached: each require reports its own error
    ok, err = pcall(require, "broken")
    assert(not ok and err:find("broken.lua:1: this library fails to load", 1, true), err)
  end
  return true
end

return { main = main }
