local funcs = require("funcs")
local registry = require("registry")
local json = require("json")

local function main(names)
  local greetings = {}
  for i, name in ipairs(names or {}) do
    local greeting, err = funcs.call("greet", name)
    if err then
      return nil, errors.wrap(err, "welcome #" .. i)
    end
    greetings[i] = greeting
  end
  local handlers = {}
  for _, entry in ipairs(registry.find({ type = "handler" })) do
    handlers[#handlers + 1] = entry.id
  end
  table.sort(handlers)
  return {
    greetings = greetings,
    handlers = handlers,
    summary = json.encode({ count = #greetings }),
  }
end

return { main = main }
