local logger = require("logger")

local function main()
  logger:info("colon form", { answer = 42 })
  logger.info("dot form", { answer = 43 })
  logger:debug("debug record")
  logger:warn("warn record", { list = { 1, 2 } })
  logger.error("error record")
  local billing = logger:named("billing"):with({ tenant = "acme" })
  billing:info("child logger", { order = 7 })
  billing:named("refunds").warn("grandchild", { amount = 1.5 })
  -- a field that cannot cross the boundary does not fail the call
  logger:info("odd fields", { f = print })
  assert(getmetatable(billing).__name == "Logger")
  return true
end

return { main = main }
