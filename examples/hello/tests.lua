-- Tests for the example, run with `luabox test examples/hello`.
local funcs = require("funcs")
local M = {}

function M.greet()
  assert(funcs.call("greet", "world") == "Hello, World!")
  local value, err = funcs.call("greet", "")
  assert(value == nil and errors.is(err, errors.INVALID), tostring(err))
  return true
end

function M.welcome()
  local json = require("json")
  local result = assert(funcs.call("welcome", { "ada", "grace" }))
  assert(result.greetings[1] == "Hello, Ada!" and result.greetings[2] == "Hello, Grace!")
  assert(table.concat(result.handlers, " ") == "hello:greet hello:welcome")
  assert(json.decode(result.summary).count == 2)
  local value, err = funcs.call("welcome", { "ada", 42 })
  assert(value == nil and tostring(err):find("welcome #2"), tostring(err))
  return true
end

return M
