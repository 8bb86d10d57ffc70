local text = require("text")

return {
  main = function() return text.greet("worker") end,
}
