local queue = require("queue")
local store = require("store")

-- Each message asks for one behaviour; the handler reports to `reply_to` what it saw.
local function main(body)
  local msg, err = queue.message()
  assert(msg, tostring(err))
  local seen = store.get("seen")
  local key = "n" .. body.n
  local count = (seen:get(key) or 0) + 1
  seen:set(key, count)
  local function report(extra)
    process.send(body.reply_to, "handled", {
      n = body.n, count = count, id = msg:id(), priority = msg:header("priority"),
      headers = msg:headers(), extra = extra,
    })
  end
  if body.mode == "fail_once" and count == 1 then
    report("nack")
    return false
  elseif body.mode == "raise_once" and count == 1 then
    report("raise")
    error("failed on purpose")
  elseif body.mode == "ack_then_raise" then
    assert(msg:ack() == true)
    assert(msg:nack() == false, "settlement is single-shot")
    report("acked")
    error("raised after ack")
  end
  report("ok")
  return true
end

return { main = main }
