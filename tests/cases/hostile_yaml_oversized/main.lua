--! modules: yaml
--! max-payload: 4096
-- The payload limit bounds what the host handles for a sandbox: text over it is refused before
-- it reaches the host, a value that grows past it as it crosses stops with an error, and so does
-- YAML text that would be larger than the limit (indentation grows it past its MessagePack).
local yaml = require("yaml")
local _, over = yaml.decode("k: " .. string.rep("x", 5000))
local _, grows = yaml.decode("[" .. string.rep("1e5,", 900) .. "1e5]")
local deep = {}
local node = deep
for _ = 1, 100 do
  node.k = {}
  node = node.k
end
node.leaves = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 }
local _, text = yaml.encode(deep)
return { over = tostring(over), grows = tostring(grows), text = tostring(text) }
