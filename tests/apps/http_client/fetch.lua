local http_client = require("http_client")

local M = {}

-- http_client.request's results as they are: a response table, or nil and an error object.
function M.request(method, url, options)
  return http_client.request(method, url, options)
end

-- Each shortcut against `base` (the test server): the method the server saw, and the URI
-- helpers.
function M.shortcuts(base)
  local seen = {}
  for _, name in ipairs({ "get", "post", "put", "delete", "patch", "head" }) do
    local resp, err = http_client[name](base .. "/echo", { body = name ~= "get" and name ~= "head"
      and "b" or nil })
    if err then return nil, err end
    seen[name] = { status = resp.status_code, body_size = resp.body_size,
      method = resp.headers["x-echo-method"] }
  end
  local bad, bad_err = http_client.decode_uri("50%")
  return {
    seen = seen,
    encoded = http_client.encode_uri("a b&c=d/é~"),
    decoded = http_client.decode_uri("a%20b%26c%3Dd%2F%C3%A9~+"),
    bad_decode = bad == nil and bad_err:kind() .. ": " .. tostring(bad_err),
  }
end

-- `n` requests to `url` from spawned coroutines; their status codes in order.
function M.parallel(url, n)
  local done = channel.new(n)
  for i = 1, n do
    coroutine.spawn(function()
      local resp, err = http_client.get(url)
      done:send({ i = i, status = resp and resp.status_code, err = err and tostring(err) })
    end)
  end
  local statuses = {}
  for _ = 1, n do
    local r = done:receive()
    statuses[r.i] = r.status or r.err
  end
  return statuses
end

return M
