local events = require("events")
local time = require("time")

-- The next value of `ch`, or an error after two seconds.
local function next_of(ch)
  local r = channel.select({ ch:case_receive(), time.after("2s"):case_receive() })
  assert(r.channel == ch, "no event within 2s")
  return r.value, r.ok
end

-- Nothing more on `ch` for a moment.
local function quiet(ch)
  local r = channel.select({ ch:case_receive(), time.after("50ms"):case_receive() })
  assert(r.channel ~= ch, "an unexpected event: " .. tostring(r.value and r.value.kind))
end

local function doc_examples()
  local json = require("json")
  -- Subscribing: a pattern, a system and a kind, a whole system.
  local orders, err = events.subscribe("orders.*")
  assert(orders and err == nil, tostring(err))
  local users = events.subscribe("users", "user.created")
  local payments = events.subscribe("payments")
  local system = events.subscribe("system")

  -- Sending.
  local ok, err = events.send("orders.eu", "order.created", "/orders/123", {
    order_id = "123", customer_id = "456", total = 99.99,
  })
  assert(ok == true and err == nil, tostring(err))
  events.send("users", "user.registered", "/users/7", { user_id = 7 })
  events.send("users", "user.created", "/users/7", {
    user_id = 7, email = "ada@example.com", created_at = time.now():format("2006-01-02T15:04:05Z07:00"),
  })
  events.send("payments", "payment.completed", "/payments/p1", { payment_id = "p1", amount = 10 })
  events.send("system", "heartbeat", "/health")

  local evt = next_of(orders:channel())
  assert(evt.system == "orders.eu" and evt.kind == "order.created" and evt.path == "/orders/123")
  assert(evt.data.order_id == "123" and evt.data.total == 99.99)
  assert(json.decode(json.encode(evt.data)).customer_id == "456")

  -- The kind filter let only user.created through.
  local ch = users:channel()
  evt = next_of(ch)
  assert(evt.kind == "user.created" and evt.data.email == "ada@example.com", evt.kind)
  quiet(ch)

  evt = next_of(payments:channel())
  assert(evt.path == "/payments/p1" and evt.data.amount == 10)

  -- Sent without data.
  evt = next_of(system:channel())
  assert(evt.kind == "heartbeat" and evt.data == nil)

  -- sub:channel() gives the same channel again; close ends it.
  assert(orders:channel() == orders:channel())
  for _, sub in ipairs({ orders, users, payments, system }) do
    assert(sub:close() == true)
    local v, still = sub:channel():receive()
    assert(v == nil and still == false)
  end
  return true
end

local function filters()
  local created = events.subscribe("*", "*.created")
  local eu = events.subscribe("shop.eu.*")
  events.send("shop.eu.de", "order.created", "/o/1", 1)
  events.send("shop.us", "order.created", "/o/2", 2)
  events.send("shop.eu.fr", "order.deleted", "/o/3", 3)
  local a, b = created:channel(), eu:channel()
  assert(next_of(a).data == 1)
  assert(next_of(a).data == 2)
  quiet(a)
  assert(next_of(b).data == 1)
  assert(next_of(b).data == 3)
  quiet(b)
  -- Every value type survives the trip; events keep their order.
  local sub = events.subscribe("types")
  local values = { "text", 42, 1.5, true, { 1, 2, 3 }, { nested = { deep = "yes" } } }
  for i, v in ipairs(values) do
    events.send("types", "t", "/" .. i, v)
  end
  local ch = sub:channel()
  for i = 1, #values do
    local evt = next_of(ch)
    assert(evt.path == "/" .. i)
  end
  created:close(); eu:close(); sub:close()
  return true
end

local function across_sandboxes()
  local funcs = require("funcs")
  local me = process.pid()
  local inbox = process.inbox()
  local relays = {}
  for i = 1, 3 do
    relays[i] = assert(process.spawn("events_tests:relay", "events_tests:workers", me, "chat",
      i == 3 and "message.sent" or nil))
  end
  for _ = 1, 3 do
    local msg = next_of(inbox)
    assert(msg:topic() == "ready", msg:topic())
  end
  -- One event from this sandbox, one from a function called in another.
  assert(events.send("chat", "user.joined", "/rooms/lobby", { user = "ada" }))
  assert(funcs.call("events_tests:publish", "chat", "message.sent", "/rooms/lobby", { text = "hi" }))
  local seen = {}
  for _ = 1, 5 do
    local msg = next_of(inbox)
    assert(msg:topic() == "event", msg:topic())
    local evt = msg:payload():data()
    seen[evt.kind] = (seen[evt.kind] or 0) + 1
  end
  assert(seen["user.joined"] == 2 and seen["message.sent"] == 3)
  quiet(inbox)
  for i = 1, 3 do
    process.send(relays[i], "stop")
  end
  for _ = 1, 3 do
    local msg = next_of(inbox)
    assert(msg:topic() == "stopped" and msg:payload():data() == false)
  end
  -- Closed subscriptions get nothing more.
  assert(events.send("chat", "user.left", "/rooms/lobby"))
  quiet(inbox)
  return { relays = 3, seen = seen }
end

local function errors_()
  local function invalid(v, err, what)
    assert(v == nil and err, what)
    assert(err:kind() == errors.INVALID, what .. ": " .. tostring(err:kind()))
  end
  invalid(events.subscribe(""), select(2, events.subscribe("")), "empty system")
  local sub, err = events.subscribe(42)
  invalid(sub, err, "system not a string")
  sub, err = events.subscribe("s", "")
  invalid(sub, err, "empty kind")
  local ok
  ok, err = events.send("", "k", "/p")
  invalid(ok, err, "send: empty system")
  ok, err = events.send("s", "", "/p")
  invalid(ok, err, "send: empty kind")
  ok, err = events.send("s", "k", "")
  invalid(ok, err, "send: empty path")
  ok, err = events.send("s", "k", "/p", function() end)
  invalid(ok, err, "send: data that cannot leave the sandbox")
  assert(tostring(err):find("events.send"), tostring(err))
  -- Methods need a colon; close is idempotent.
  sub = assert(events.subscribe("s"))
  assert(not pcall(sub.close))
  assert(sub:close() and sub:close())
  return true
end

local function close_ends_the_channel()
  local sub = events.subscribe("later")
  local ch = sub:channel()
  -- A task waiting on the channel sees it end when the subscription closes.
  local done = channel.new(1)
  coroutine.spawn(function()
    local v, ok = ch:receive()
    done:send({ v = v, ok = ok })
  end)
  time.sleep("10ms")
  sub:close()
  local r = next_of(done)
  assert(r.v == nil and r.ok == false)
  -- Many subscriptions, most dropped unread, are closed with the sandbox or collected.
  for _ = 1, 2000 do
    events.subscribe("many")
    collectgarbage()
  end
  assert(events.send("many", "k", "/p"))
  return true
end

return {
  doc_examples = doc_examples,
  filters = filters,
  across_sandboxes = across_sandboxes,
  errors = errors_,
  close_ends_the_channel = close_ends_the_channel,
}
