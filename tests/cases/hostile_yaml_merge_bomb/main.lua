--! modules: yaml
--! timeout: 300ms
-- Merge keys cost host work without growing the value: each `*big` in a merge list is compared
-- key by key with what the mapping already has. Work that runs past the sandbox's deadline ends
-- the run with its deadline error, however much of it the text asks for.
local yaml = require("yaml")
local keys = {}
for i = 1, 20000 do
  keys[i] = ("k%d: 1"):format(i)
end
local refs = string.rep("*big, ", 20000) .. "*big"
return yaml.decode("big: &big {" .. table.concat(keys, ", ") .. "}\nm: {<<: [" .. refs .. "]}\n")
