-- Handlers of tests/apps/http: each exercises one part of the `http` module or one outcome the
-- server turns into a status (see tests/all/http.rs).
local handlers = {}

function handlers.hello()
  local http = require("http")
  local req = http.request()
  http.response():write_json({ message = "hello " .. req:param("name") })
end

-- Everything the request carries, back as JSON.
function handlers.echo()
  local http = require("http")
  local req = http.request()
  local res = http.response()
  local body, err = req:body_json()
  if not body then
    res:set_status(http.STATUS.BAD_REQUEST)
    res:write_json({ error = tostring(err), kind = err:kind() })
    return
  end
  res:set_status(http.STATUS.CREATED)
  res:set_header("X-Echo", "yes")
  res:write_json({
    body = body,
    method = req:method(),
    path = req:path(),
    page = req:query("page"),
    tags = req:query_all("tag"),
    query = req:query_params(),
    header = req:header("X-Custom"),
    is_json = req:is_content_type(http.CONTENT.JSON),
    accepts_json = req:accepts("application/json"),
    length = req:content_length(),
    host = req:host(),
    has_remote = req:remote_addr():match("^127%.0%.0%.1:%d+$") ~= nil,
  })
end

function handlers.item()
  local http = require("http")
  local req = http.request()
  local res = http.response()
  res:set_content_type(http.CONTENT.TEXT)
  res:write(req:method() .. " " .. req:path() .. " id=" .. tostring(req:param("id")))
end

function handlers.raise()
  error("handler exploded")
end

function handlers.nothing() end

function handlers.value()
  return { ok = true, n = 3 }
end

function handlers.failed()
  return nil, errors.new({ kind = errors.NOT_FOUND, message = "no such thing" })
end

-- Writes, then fails: the written response is sent; late header changes are refused.
function handlers.written()
  local http = require("http")
  local res = http.response()
  res:set_status(http.STATUS.ACCEPTED)
  res:write("partial")
  local ok, err = res:set_header("X-Late", "1")
  res:write(" late header: " .. tostring(ok) .. " " .. err:kind() .. " " .. tostring(err))
  error("after writing")
end

function handlers.spin()
  while true do end
end

function handlers.slow()
  local http = require("http")
  local time = require("time")
  time.sleep("1s")
  http.response():write("slow done")
end

-- A fresh sandbox per request: the global never survives to the next one.
function handlers.counter()
  local http = require("http")
  seen = (seen or 0) + 1
  http.response():write(tostring(seen))
end

function handlers.upload()
  local http = require("http")
  local req = http.request()
  http.response():write("got " .. #req:body() .. " bytes")
end

-- A body that is not UTF-8, printed and set as a header (issue 19): the print carries the bytes
-- as \xNN, the header is refused with an argument error, and the sandbox answers normally.
function handlers.bytes()
  local http = require("http")
  local body, res = http.request():body(), http.response()
  local printed = pcall(print, "got", body)
  local set, err = pcall(res.set_header, res, "X-Bytes", body)
  res:write_json({ printed = printed, header_set = set,
    refused = string.find(tostring(err), "UTF-8 text expected", 1, true) ~= nil, size = #body })
end

-- Called with `luabox call`, not through the server.
function handlers.outside()
  local http = require("http")
  local req, err = http.request()
  return { req = req == nil, kind = err:kind(), message = tostring(err) }
end

function handlers.unlisted()
  local ok, err = pcall(require, "http")
  return { ok = ok, err = tostring(err) }
end

return handlers
