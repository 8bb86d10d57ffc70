-- `pid` is a workflow's pid: `{workflow|ID}` on the embedded engine, `{workflow@WORKER|ID}` on a
-- Temporal worker (what `luabox workflow start` prints). The signal is durable when this returns.
local function approve(pid, by)
  return process.send(pid, "approve", { by = by })
end

return { approve = approve }
