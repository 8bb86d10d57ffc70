-- workflow.lua: the Lua face of the `workflow` module, available in workflow.lua entries only
-- (mod_workflow.c holds the raw calls; Wippy: wippyai/docs en/concepts/workflows.md).
--
--   workflow.info()  -> {workflow_id, run_id, workflow_type, attempt, history_length, history_size}
--   workflow.version("change-id", min, max) -> integer   -- branch on code changes
--   workflow.exec("app:child", ...) -> results | nil, err  -- a child workflow, waited for
--   workflow.history_length(), workflow.history_size()
--
-- workflow.version returns `max` the first time a run reaches the change, the recorded version
-- when the run is replayed, and `min` for a run whose history was recorded before the change
-- (pass workflow.DEFAULT_VERSION, -1, as `min` to tell those apart).
local raw = ...
local errors = errors
local type, error, tostring = type, error, tostring
local math_type = math.type

local workflow = { DEFAULT_VERSION = -1 }

function workflow.info()
  return raw.info()
end

function workflow.history_length()
  return raw.info().history_length
end

function workflow.history_size()
  return raw.info().history_size
end

function workflow.version(change_id, min, max)
  if type(change_id) ~= "string" or change_id == "" then
    error("bad argument #1 to 'version' (non-empty string expected, got " .. type(change_id) .. ")", 2)
  end
  if math_type(min) ~= "integer" or math_type(max) ~= "integer" or min > max then
    error("bad arguments to 'version' (integers min <= max expected, got "
      .. tostring(min) .. ", " .. tostring(max) .. ")", 2)
  end
  return raw.version(change_id, min, max)
end

function workflow.exec(entry, ...)
  if type(entry) ~= "string" or entry == "" then
    return nil, errors.new({ kind = errors.INVALID,
      message = "workflow.exec: the child must be a workflow entry id such as \"app:name\"" })
  end
  return raw.exec(entry, nil, ...)
end

return workflow
