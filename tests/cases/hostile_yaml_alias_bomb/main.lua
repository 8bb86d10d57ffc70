--! modules: yaml
--! memory: 96MiB
-- "Billion laughs": 2 KB of text whose aliases expand to 10^12 values. Each alias copies what its
-- anchor wrote, counted against the payload limit (16 MiB), so decoding stops there instead of
-- filling the host's memory; a bomb in a mapping key or in a merge key stops the same way.
local yaml = require("yaml")
local lines = { "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]" }
for i = 1, 12 do
  local refs = {}
  for j = 1, 10 do
    refs[j] = "*a" .. (i - 1)
  end
  lines[#lines + 1] = ("a%d: &a%d [%s]"):format(i, i, table.concat(refs, ", "))
end
local value, err = yaml.decode(table.concat(lines, "\n"))

local maps = { "m0: &m0 {k: [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]}" }
for i = 1, 12 do
  maps[#maps + 1] = ("m%d: &m%d {<<: *m%d, k%d: [*m%d, *m%d, *m%d, *m%d, *m%d, *m%d]}"):format(
    i, i, i - 1, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1)
end
local merged, merge_err = yaml.decode(table.concat(maps, "\n"))
return {
  decoded = value ~= nil,
  kind = err:kind(),
  err = tostring(err),
  merged = merged ~= nil,
  merge_err = tostring(merge_err),
}
