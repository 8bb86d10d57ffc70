local queue = require("queue")

local function main()
  local time = require("time")
  local me = process.pid()
  local inbox = process.inbox()
  local function next_handled()
    local r = channel.select({ inbox:case_receive(), time.after("3s"):case_receive() })
    assert(r.channel == inbox, "no message was handled")
    return r.value:payload():data()
  end

  -- The doc's example: data and headers.
  local ok, err = queue.publish("queue_tests:tasks", { n = 1, reply_to = me, action = "send_email" },
    { priority = "high", correlation_id = "req-1" })
  assert(ok == true and err == nil, tostring(err))
  local h = next_handled()
  assert(h.n == 1 and h.count == 1 and h.priority == "high" and h.headers.correlation_id == "req-1")
  assert(type(h.id) == "string" and h.id ~= "")

  -- A handler returning false, or raising, gets the message again.
  queue.publish("queue_tests:tasks", { n = 2, reply_to = me, mode = "fail_once" })
  local first, again = next_handled(), next_handled()
  assert(first.extra == "nack" and again.count == 2 and again.extra == "ok" and again.id == first.id)
  queue.publish("queue_tests:tasks", { n = 3, reply_to = me, mode = "raise_once" })
  first, again = next_handled(), next_handled()
  assert(first.extra == "raise" and again.count == 2 and again.extra == "ok")

  -- An early ack wins over the error raised after it: no second delivery.
  queue.publish("queue_tests:tasks", { n = 4, reply_to = me, mode = "ack_then_raise" })
  assert(next_handled().extra == "acked")
  local r = channel.select({ inbox:case_receive(), time.after("400ms"):case_receive() })
  assert(r.channel ~= inbox, "an acked message came again")

  -- Many messages, four workers: each handled once.
  for n = 100, 149 do
    queue.publish("queue_tests:tasks", { n = n, reply_to = me })
  end
  local seen = {}
  for _ = 1, 50 do
    local got = next_handled()
    assert(not seen[got.n] and got.count == 1)
    seen[got.n] = true
  end
  local stats = queue.info("queue_tests:tasks")
  assert(stats.consumer_count == 4 and stats.message_count == 0, stats.consumer_count)

  -- A full queue holds the publisher: `small` has no consumer and room for two.
  assert(queue.publish("queue_tests:small", "a") and queue.publish("queue_tests:small", "b"))
  local done = channel.new(1)
  coroutine.spawn(function() done:send(queue.publish("queue_tests:small", "c")) end)
  r = channel.select({ done:case_receive(), time.after("200ms"):case_receive() })
  assert(r.channel ~= done, "a publish to a full queue returned")
  stats = queue.info("queue_tests:small")
  assert(stats.message_count == 2 and stats.consumer_count == 0)
  return { handled = 4 + 50, redelivered = 2 }
end

local function errors_()
  local function fails(kind, v, err, what)
    assert(v == nil and err, what)
    assert(err:kind() == kind, what .. ": " .. tostring(err))
  end
  local v, err = queue.publish("queue_tests:nope", { x = 1 })
  fails(errors.NOT_FOUND, v, err, "unknown queue")
  v, err = queue.publish("", { x = 1 })
  fails(errors.INVALID, v, err, "empty id")
  v, err = queue.publish("queue_tests:tasks", nil)
  fails(errors.INVALID, v, err, "no data")
  v, err = queue.publish("queue_tests:tasks", { x = 1 }, "headers")
  fails(errors.INVALID, v, err, "headers not a table")
  v, err = queue.publish("queue_tests:tasks", function() end)
  fails(errors.INVALID, v, err, "data that cannot leave the sandbox")
  v, err = queue.message()
  fails(errors.INVALID, v, err, "no delivery outside a handler")
  assert(tostring(err):find("queue.consumer"), tostring(err))
  v, err = queue.info("queue_tests:nope")
  fails(errors.NOT_FOUND, v, err, "info of an unknown queue")
  return true
end

return { main = main, errors = errors_ }
