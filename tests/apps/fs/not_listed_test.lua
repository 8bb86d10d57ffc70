-- An entry that does not list fs in its modules cannot require it.
local function main()
  local ok, err = pcall(require, "fs")
  assert(not ok and tostring(err):find("module 'fs' is not allowed", 1, true), tostring(err))
  return true
end

return { main = main }
