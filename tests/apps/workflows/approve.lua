local function approve(workflow_id, by)
  return process.send("{workflow|" .. workflow_id .. "}", "approve", { by = by })
end

return { approve = approve }
