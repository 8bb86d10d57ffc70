-- http_client.lua: the Lua face of the `http_client` module (mod_http_client.c holds the raw
-- call; the host side is host/src/modules/http_client.rs).
--
--   local http_client = require("http_client")
--   local resp, err = http_client.get("https://api.example.com/users", {
--     headers = { Accept = "application/json" },   -- a value may be a list: repeated header
--     query = { page = 2, tag = { "a", "b" } },     -- encoded and appended (keys sorted)
--     timeout = "5s",                              -- or integer seconds
--     max_response_body = 1024 * 1024,             -- bytes
--   })
--   if err then return nil, err end
--   resp.status_code, resp.url, resp.body, resp.body_size, resp.headers["content-type"]
--
--   http_client.post(url, { body = json.encode(v), headers = { ["Content-Type"] = "..." } })
--   http_client.request("OPTIONS", url, opts)
--   http_client.encode_uri("a b&c") == "a%20b%26c"; http_client.decode_uri("a%20b") == "a b"
--
-- The request waits as data (other coroutines run meanwhile). Failures are `nil, err`:
-- Invalid (a bad argument or option, named), PermissionDenied (a host outside the entry's
-- allowed_hosts), Timeout, Unavailable (connection failures); see README "http_client".
-- Options of the reference runtime that luabox does not implement (cookies, form, files, auth,
-- stream, unix_socket) are refused by name rather than ignored, so nothing is silently dropped.
local raw = ...
local errors = errors
local type, pairs, ipairs, tostring, tonumber = type, pairs, ipairs, tostring, tonumber
local tointeger, sort, format, char = math.tointeger, table.sort, string.format, string.char
local utf8_len = utf8.len

local OPTIONS = {
  body = true, headers = true, max_response_body = true, query = true, timeout = true,
}
local KNOWN = "body, headers, max_response_body, query, timeout"
local UNSUPPORTED = {
  cookies = true, form = true, files = true, auth = true, stream = true, unix_socket = true,
}

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = "http_client: " .. message,
    retryable = false })
end

-- Text crosses to the host as WIT strings, which must be UTF-8 (anything else would trap the
-- sandbox), so it is checked here and refused as Invalid.
local function is_text(s)
  return utf8_len(s) ~= nil
end

-- A header or query value: strings as they are, numbers and booleans through tostring.
local function scalar(value)
  local t = type(value)
  if t == "string" then
    return is_text(value) and value or nil
  elseif t == "number" or t == "boolean" then
    return tostring(value)
  end
end

-- {name = value | {values...}} -> flat {name1, value1, ...}, names sorted so a request is the
-- same whatever order `pairs` walks the table in (a repeated name keeps its list order).
local function flatten(option, map)
  if type(map) ~= "table" then
    return nil, format("option '%s' must be a table, got %s", option, type(map))
  end
  local names = {}
  for name in pairs(map) do
    if type(name) ~= "string" or not is_text(name) then
      return nil, format("option '%s' has a %s key (names must be UTF-8 strings)", option,
        type(name))
    end
    names[#names + 1] = name
  end
  sort(names)
  local flat = {}
  for _, name in ipairs(names) do
    local value = map[name]
    local values = type(value) == "table" and value or { value }
    for i = 1, #values do
      local text = scalar(values[i])
      if not text then
        return nil, format("option '%s': the value of '%s' must be a UTF-8 string, got %s",
          option, name, type(values[i]))
      end
      flat[#flat + 1] = name
      flat[#flat + 1] = text
    end
  end
  return flat
end

-- Integer or fractional seconds become nanoseconds; a string ("5s", "1m30s") goes to the host.
local function timeout_of(value)
  if type(value) == "string" and is_text(value) then
    return value
  end
  if type(value) == "number" and value > 0 and value < 9.2e9 then
    return tointeger(value * 1000000000) or value * 1e9
  end
  return nil, "option 'timeout' must be a positive number of seconds or a duration string such "
    .. "as \"5s\", got " .. tostring(value)
end

local function request(method, url, options)
  if type(method) ~= "string" or not method:match("^[%w%-_]+$") then
    return invalid("the method must be a word such as \"GET\", got " .. tostring(method))
  end
  if type(url) ~= "string" or not is_text(url) then
    return invalid("the URL must be a UTF-8 string, got " .. type(url))
  end
  if options == nil then
    options = {}
  elseif type(options) ~= "table" then
    return invalid("options must be a table, got " .. type(options))
  end
  for key in pairs(options) do
    if UNSUPPORTED[key] then
      return invalid(format("option '%s' is not supported by luabox (supported: %s)", key, KNOWN))
    elseif not OPTIONS[key] then
      return invalid(format("unknown option '%s' (known: %s)", tostring(key), KNOWN))
    end
  end
  local headers, query, timeout, err = {}, {}, nil, nil
  if options.headers ~= nil then
    headers, err = flatten("headers", options.headers)
    if not headers then return invalid(err) end
  end
  if options.query ~= nil then
    query, err = flatten("query", options.query)
    if not query then return invalid(err) end
  end
  local body = options.body
  if body ~= nil and type(body) ~= "string" then
    return invalid("option 'body' must be a string, got " .. type(body))
  end
  if options.timeout ~= nil then
    timeout, err = timeout_of(options.timeout)
    if not timeout then return invalid(err) end
  end
  local max = options.max_response_body
  if max ~= nil then
    max = tointeger(max)
    if not max or max <= 0 then
      return invalid("option 'max_response_body' must be a positive integer (bytes), got "
        .. tostring(options.max_response_body))
    end
  end
  return raw.request(method:upper(), url, headers, query, body, timeout, max)
end

local http_client = { request = request }

for _, method in ipairs({ "get", "post", "put", "delete", "patch", "head" }) do
  local upper = method:upper()
  http_client[method] = function(url, options)
    return request(upper, url, options)
  end
end

-- Percent-encode every byte except RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~), as
-- JavaScript's encodeURIComponent does for ASCII: safe in a path segment and in a query value.
function http_client.encode_uri(s)
  if type(s) ~= "string" then
    return invalid("encode_uri expects a string, got " .. type(s))
  end
  return (s:gsub("[^%w%-%._~]", function(c)
    return format("%%%02X", c:byte())
  end))
end

-- Undo percent-encoding ('+' stays '+', as in decodeURIComponent); a malformed escape is Invalid.
function http_client.decode_uri(s)
  if type(s) ~= "string" then
    return invalid("decode_uri expects a string, got " .. type(s))
  end
  local at = s:find("%", 1, true)
  while at do
    if not s:sub(at + 1, at + 2):match("^%x%x$") then
      return invalid(format("decode_uri: malformed escape at byte %d of %q", at, s))
    end
    at = s:find("%", at + 3, true)
  end
  return (s:gsub("%%(%x%x)", function(hex)
    return char(tonumber(hex, 16))
  end))
end

return http_client
