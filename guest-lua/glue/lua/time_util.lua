-- time_util.lua: part of the `time` face (assembled by time.lua). Owns the small helpers the other
-- parts share: Go-style quoting for messages, Go's truncating division, the integer argument check
-- and the overflow-safe "less than half" test used by rounding.
--
-- Chunk arguments: none.
-- Returns: util = {quote, quo, rem, check_int, less_than_half}.
local type, error = type, error
local tointeger, ult = math.tointeger, math.ult
local sfmt, sbyte = string.format, string.byte

-- Go's strconv.Quote, enough for messages.
local ESCAPES = { ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r", ['"'] = '\\"', ["\\"] = "\\\\" }
local function quote(s)
  return '"' .. (s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or sfmt("\\x%02x", sbyte(c))
  end)) .. '"'
end

-- Division and remainder truncated toward zero (Go's / and %).
local function quo(a, b)
  local q = a // b
  if q < 0 and q * b ~= a then q = q + 1 end
  return q
end
local function rem(a, b)
  return a - quo(a, b) * b
end

-- An integer argument (integral floats accepted); raises a Lua argument error otherwise.
local function check_int(v, n, fname, default)
  if v == nil and default ~= nil then return default end
  local i = type(v) == "number" and tointeger(v)
  if not i then
    error(sfmt("bad argument #%d to '%s' (integer expected, got %s)", n, fname,
      type(v) == "number" and "non-integer number" or type(v)), 3)
  end
  return i
end

-- Whether x < y/2 for non-negative x, y (x + x may pass 2^63, hence the unsigned compare).
local function less_than_half(x, y)
  return ult(x + x, y)
end

return {
  quote = quote, quo = quo, rem = rem, check_int = check_int, less_than_half = less_than_half,
}
