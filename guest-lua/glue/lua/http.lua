-- http.lua: the Lua face of the `http` module (mod_http.c talks to the host), for the function of
-- an http.endpoint (Wippy: wippyai/docs en/lua/http/http.md).
--
--   local req = http.request()
--   local name = req:param("name")                 -- a {param} of the route
--   local page = req:query("page")                 -- "?page=2" -> "2"
--   local data, err = req:body_json()
--   local res = http.response()
--   res:set_status(http.STATUS.CREATED)
--   res:write_json({ id = 42 })
--
-- The response is buffered and sent when the function returns. Once the body was written to,
-- status and headers are fixed: setting them then is an Invalid error, as in the reference.
-- Setters return true or nil, err (no chaining). Without a written response, a value the
-- function returns is sent as JSON; a function that fails with nothing written gets a 500.
--
-- Deviations from the reference: the body is read before the function runs (within the
-- router's body limit), so request options `timeout` and `max_body` only check what was read;
-- streaming (`stream`, `flush`, `set_transfer`, `write_event`) and multipart parsing are not
-- available (Invalid errors). `query_params()` maps each name to its first value;
-- `query_all(name)` gives every value.
local raw = ...
local errors = errors
local type, pairs, setmetatable, tostring, tonumber = type, pairs, setmetatable, tostring, tonumber
local lower, gsub, find, sub, char = string.lower, string.gsub, string.find, string.sub, string.char
local gmatch = string.gmatch

local http = {}

http.METHOD = {
  GET = "GET", POST = "POST", PUT = "PUT", DELETE = "DELETE", PATCH = "PATCH", HEAD = "HEAD",
  OPTIONS = "OPTIONS", TRACE = "TRACE",
}

http.STATUS = {
  CONTINUE = 100, SWITCHING_PROTOCOLS = 101,
  OK = 200, CREATED = 201, ACCEPTED = 202, NO_CONTENT = 204, PARTIAL_CONTENT = 206,
  MOVED_PERMANENTLY = 301, FOUND = 302, SEE_OTHER = 303, NOT_MODIFIED = 304,
  TEMPORARY_REDIRECT = 307, PERMANENT_REDIRECT = 308,
  BAD_REQUEST = 400, UNAUTHORIZED = 401, PAYMENT_REQUIRED = 402, FORBIDDEN = 403,
  NOT_FOUND = 404, METHOD_NOT_ALLOWED = 405, NOT_ACCEPTABLE = 406, REQUEST_TIMEOUT = 408,
  CONFLICT = 409, GONE = 410, LENGTH_REQUIRED = 411, PRECONDITION_FAILED = 412,
  PAYLOAD_TOO_LARGE = 413, UNSUPPORTED_MEDIA_TYPE = 415, UNPROCESSABLE_ENTITY = 422,
  TOO_MANY_REQUESTS = 429,
  INTERNAL_ERROR = 500, INTERNAL_SERVER_ERROR = 500, NOT_IMPLEMENTED = 501, BAD_GATEWAY = 502,
  SERVICE_UNAVAILABLE = 503, GATEWAY_TIMEOUT = 504,
}

http.CONTENT = {
  JSON = "application/json", FORM = "application/x-www-form-urlencoded",
  MULTIPART = "multipart/form-data", TEXT = "text/plain", HTML = "text/html",
  STREAM = "application/octet-stream",
}

http.TRANSFER = { CHUNKED = "chunked", SSE = "sse" }

http.ERROR = {
  NOT_IN_REQUEST = "not handling an HTTP request",
  HEADERS_SENT = "headers already sent",
  INVALID_STATUS = "invalid status code",
  UNSUPPORTED = "not supported",
}

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = message })
end

local function unescape(text)
  text = gsub(text, "+", " ")
  return (gsub(text, "%%(%x%x)", function(hex) return char(tonumber(hex, 16)) end))
end

-- name -> list of values, in order.
local function parse_query(query)
  local all = {}
  for pair in gmatch(query, "[^&]+") do
    local eq = find(pair, "=", 1, true)
    local name = unescape(eq and sub(pair, 1, eq - 1) or pair)
    local value = eq and unescape(sub(pair, eq + 1)) or ""
    local values = all[name]
    if values then
      values[#values + 1] = value
    else
      all[name] = { value }
    end
  end
  return all
end

local Request = {}
Request.__index = Request
Request.__name = "http.Request"

function Request:method() return self._info.method end
function Request:path() return self._info.path end
function Request:host() return self._info.host end
function Request:remote_addr() return self._info.remote_addr end
function Request:content_length() return self._info.body_size end
function Request:has_body() return self._info.body_size > 0 end

function Request:header(name)
  if type(name) ~= "string" then return nil end
  return self._info.headers[lower(name)]
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

function Request:headers()
  return copy(self._info.headers)
end

function Request:content_type()
  return self._info.headers["content-type"]
end

-- The media type without parameters matches `t` ("application/json; charset=utf-8" is JSON).
function Request:is_content_type(t)
  local content_type = self._info.headers["content-type"]
  if type(t) ~= "string" or not content_type then return false end
  local media = lower((gsub(content_type, "%s*;.*$", "")))
  return media == lower(t)
end

function Request:accepts(t)
  local accept = self._info.headers["accept"]
  if type(t) ~= "string" then return false end
  if not accept then return true end
  t = lower(t)
  local major = sub(t, 1, (find(t, "/", 1, true) or 0) - 1)
  for range in gmatch(lower(accept), "[^,]+") do
    range = gsub(gsub(range, ";.*$", ""), "^%s*(.-)%s*$", "%1")
    if range == "*/*" or range == t or range == major .. "/*" then return true end
  end
  return false
end

function Request:param(name)
  return self._info.params[name]
end

function Request:params()
  return copy(self._info.params)
end

function Request:query_string()
  return self._info.query
end

local function query(self)
  local parsed = self._query
  if not parsed then
    parsed = parse_query(self._info.query)
    self._query = parsed
  end
  return parsed
end

function Request:query(name)
  local values = query(self)[name]
  return values and values[1]
end

function Request:query_all(name)
  return copy(query(self)[name] or {})
end

function Request:query_params()
  local first = {}
  for name, values in pairs(query(self)) do first[name] = values[1] end
  return first
end

function Request:body()
  if self._info.body_size == 0 then return "" end
  return raw.body()
end

function Request:body_json()
  if self._info.body_size == 0 then
    return invalid("http: the request has no body to decode as JSON")
  end
  return raw.body_json()
end

function Request:stream()
  return invalid("http: request streaming is not supported by luabox; use req:body()")
end

function Request:parse_multipart()
  return invalid("http: multipart parsing is not supported by luabox yet")
end

local REQUEST_OPTIONS = { timeout = true, max_body = true }
local request_info

-- The request this sandbox handles, fetched from the host once; nil, err outside a request.
local function load_request()
  if not request_info then
    local info, err = raw.request()
    if not info then return nil, err end
    request_info = info
  end
  return request_info
end

function http.request(options)
  if options ~= nil and type(options) ~= "table" then
    return invalid("http.request: options must be a table")
  end
  for key in pairs(options or {}) do
    if not REQUEST_OPTIONS[key] then
      return invalid("http.request: unknown option " .. tostring(key) .. " (known: timeout, max_body)")
    end
  end
  local info, err = load_request()
  if not info then return nil, err end
  local max_body = options and options.max_body
  if max_body ~= nil and (type(max_body) ~= "number" or info.body_size > max_body) then
    return invalid("http.request: the body (" .. info.body_size ..
      " bytes) is over max_body " .. tostring(max_body))
  end
  return setmetatable({ _info = info }, Request)
end

local Response = {}
Response.__index = Response
Response.__name = "http.Response"

function Response:set_status(code)
  if type(code) ~= "number" then return invalid("http: set_status expects a number") end
  return raw.set_status(code)
end

function Response:set_header(name, value)
  if type(name) ~= "string" or (type(value) ~= "string" and type(value) ~= "number") then
    return invalid("http: set_header expects a name and a string value")
  end
  return raw.set_header(name, tostring(value))
end

function Response:set_content_type(content_type)
  if type(content_type) ~= "string" then
    return invalid("http: set_content_type expects a string")
  end
  return raw.set_header("content-type", content_type)
end

function Response:write(data)
  if type(data) == "number" then data = tostring(data) end
  if type(data) ~= "string" then return invalid("http: write expects a string") end
  return raw.write(data)
end

function Response:write_json(value)
  return raw.write_json(value)
end

-- The response is sent whole when the function returns; flushing has nothing to do.
function Response:flush()
  return true
end

function Response:set_transfer()
  return invalid("http: streamed responses (chunked, SSE) are not supported by luabox yet")
end

function Response:write_event()
  return invalid("http: server-sent events are not supported by luabox yet")
end

function http.response()
  local info, err = load_request()
  if not info then return nil, err end
  return setmetatable({}, Response)
end

return http
