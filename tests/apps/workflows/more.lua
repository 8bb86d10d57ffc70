local function many(n)
  local time = require("time")
  for _ = 1, n do
    time.sleep(1)
  end
  return n
end

local function child(x)
  local funcs = require("funcs")
  local receipt = funcs.call("shop:charge", "child", x)
  return { doubled = x * 2, key = receipt.key, id = workflow.info().workflow_id }
end

local function parent(x)
  local result, err = workflow.exec("shop:child", x)
  if err then
    return nil, err
  end
  local missing, missing_err = workflow.exec("shop:nope", 1)
  return { child = result, missing = missing, missing_kind = missing_err and missing_err:kind() }
end

local function observer()
  local time, uuid = require("time"), require("uuid")
  local before = time.now()
  time.sleep("20ms")
  local after = time.now()
  return {
    uuid = uuid.v4(),
    uuid7 = uuid.v7(),
    random = math.random(1000000),
    os_time = os.time(),
    elapsed_ms = after:sub(before):milliseconds(),
    info = workflow.info(),
  }
end

local function retrying(attempts)
  local funcs = require("funcs")
  local policy = { initial_interval = 10, backoff_coefficient = 1.0, maximum_attempts = attempts }
  return funcs.new()
    :with_options({ ["activity.retry_policy"] = policy, ["activity.start_to_close_timeout"] = "5s" })
    :call("shop:flaky", 3)
end

local function cancellable()
  local time = require("time")
  local events = process.events()
  local timeout = time.after("1h")
  local r = channel.select({ events:case_receive(), timeout:case_receive() })
  if r.channel == events then
    return { canceled_with = r.value.reason, kind = r.value.kind }
  end
  return "timed out"
end

local function spin()
  while true do
  end
end

return {
  many = many,
  parent = parent,
  child = child,
  observer = observer,
  retrying = retrying,
  cancellable = cancellable,
  spin = spin,
}
