local text = require("text")

local function main(name)
  if type(name) ~= "string" or name == "" then
    return nil, errors.new({ kind = errors.INVALID, message = "greet: name must be a non-empty string" })
  end
  return "Hello, " .. text.title(name) .. "!"
end

return { main = main }
