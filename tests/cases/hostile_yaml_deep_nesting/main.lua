--! modules: yaml
-- Nesting far past the 128-level limit, in flow and block style and through an alias, stops at
-- the limit with an error naming the line: the parser is never asked for level 129.
local yaml = require("yaml")
local function err_of(text)
  local value, err = yaml.decode(text)
  return value == nil and tostring(err)
end
local deep = {}
local node = deep
for _ = 1, 300 do
  node[1] = {}
  node = node[1]
end
local _, encode_err = yaml.encode(deep)
return {
  flow = err_of(string.rep("[", 100000) .. string.rep("]", 100000)),
  block = err_of(string.rep("- ", 100000) .. "x"),
  mapping = err_of((function()
    local lines = {}
    for i = 1, 5000 do
      lines[i] = string.rep(" ", i - 1) .. "k:"
    end
    return table.concat(lines, "\n")
  end)()),
  alias = err_of("a: &a " .. string.rep("[", 100) .. string.rep("]", 100) .. "\nb: "
    .. string.rep("[", 100) .. "*a" .. string.rep("]", 100)),
  at_the_limit = yaml.decode(string.rep("[", 128) .. string.rep("]", 128)) ~= nil,
  encode = tostring(encode_err):find("tables nested too deep (the limit is 128 levels)", 1, true)
    ~= nil,
}
