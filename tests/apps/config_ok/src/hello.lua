local text = require("text")

local function main(name)
  return text.greet(name or "world")
end

return { main = main }
