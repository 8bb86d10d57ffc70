local fmt = require("fmt")

return {
  greet = function(name) return fmt.wrap("hello, " .. name) end,
}
