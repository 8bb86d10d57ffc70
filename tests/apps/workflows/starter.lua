-- Starting workflows from Lua on a Temporal worker (Wippy: wippyai/docs en/concepts/workflows.md): process.exec waits for the
-- result; process.spawn returns the pid once Temporal has the start.
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

-- Start options and a message queued on a spawner: the workflow gets its id, and the approval
-- right after its start.
local function spawn_with(worker, id, order, by)
  local spawner = process.with_options({ ["temporal.workflow.id"] = id })
  return spawner:with_message("approve", { by = by }):spawn("shop:order", worker, order)
end

-- Fails (AlreadyExists) while a workflow with this id runs.
local function exec_unless_running(worker, id, order)
  local options = {
    ["temporal.workflow.id"] = id,
    ["temporal.workflow.id_conflict_policy"] = "fail",
    ["temporal.workflow.execution_timeout"] = "1m",
  }
  return process.with_options(options):exec("shop:order", worker, order)
end

return {
  exec_parent = exec_parent,
  spawn_approved = spawn_approved,
  spawn_with = spawn_with,
  exec_unless_running = exec_unless_running,
}
