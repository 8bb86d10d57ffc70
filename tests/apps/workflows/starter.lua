-- Starting workflows from Lua on a Temporal worker (reference §4): process.exec waits for the
-- result; process.spawn returns the pid at once, and a signal sent to it waits for the start.
local function exec_parent(worker, x)
  return process.exec("shop:parent", worker, x)
end

local function spawn_approved(worker, order, by)
  local pid, err = process.spawn("shop:order", worker, order)
  if not pid then
    return nil, err
  end
  local sent, send_err = process.send(pid, "approve", { by = by })
  if not sent then
    return nil, send_err
  end
  return pid
end

return { exec_parent = exec_parent, spawn_approved = spawn_approved }
