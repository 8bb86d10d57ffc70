-- crypto, like every module, reaches only entries that list it in `modules:`.
local function main()
  local ok, err = pcall(require, "crypto")
  assert(not ok and tostring(err):find("module 'crypto' is not allowed"), tostring(err))
  return true
end

return { main = main }
