-- time_duration.lua: part of the `time` face (assembled by time.lua). Owns Duration, a signed
-- integer count of nanoseconds: Go's ParseDuration and Duration.String, the methods (d:hours(),
-- d:round(m), ...), the metamethods other than + and - (time_instant.lua adds those, as they mix
-- Durations with Times), the conversion of any duration argument (a string such as "1.5s",
-- integer or float nanoseconds, or a Duration) to nanoseconds, and the public time.duration and
-- time.parse_duration.
--
-- Chunk arguments: time (the module table, filled in here), util (from time_util.lua).
-- Returns: durations = {Duration (the metatable), dur, to_ns, need_ns, duration_string}.
local time, util = ...
local type, tostring, tonumber, error = type, tostring, tonumber, error
local getmetatable, setmetatable = getmetatable, setmetatable
local floor, tointeger, mtype = math.floor, math.tointeger, math.type
local sfmt, ssub = string.format, string.sub
local concat = table.concat
local MAXINT, MININT = math.maxinteger, math.mininteger
local quote, quo, rem, less_than_half = util.quote, util.quo, util.rem, util.less_than_half

local NANOSECOND, MICROSECOND, MILLISECOND = time.NANOSECOND, time.MICROSECOND, time.MILLISECOND
local SECOND, MINUTE, HOUR = time.SECOND, time.MINUTE, time.HOUR

local Duration = { __name = "time.Duration" }
local DM = {} -- Duration methods
Duration.__index = DM

local function dur(ns)
  return setmetatable({ ns = ns }, Duration)
end

local function is_duration(v)
  return type(v) == "table" and getmetatable(v) == Duration
end

local UNITS = {
  ns = NANOSECOND, us = MICROSECOND, ["\u{b5}s"] = MICROSECOND, ["\u{3bc}s"] = MICROSECOND,
  ms = MILLISECOND, s = SECOND, m = MINUTE, h = HOUR,
}

-- Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ -> ns | nil, msg
local function parse_duration_string(s, fname)
  local function bad(what, unit)
    if unit then
      return nil, sfmt("%s: unknown unit %s in duration %s", fname, quote(unit), quote(s))
    end
    return nil, sfmt("%s: %s %s", fname, what, quote(s))
  end
  local pos, len, neg = 1, #s, false
  local sign = ssub(s, 1, 1)
  if sign == "-" or sign == "+" then
    neg, pos = sign == "-", 2
  end
  if ssub(s, pos) == "0" then return 0 end
  if pos > len then return bad("invalid duration") end
  local total = 0
  while pos <= len do
    local _, e, int, _, frac = s:find("^(%d*)(%.?)(%d*)", pos)
    if int == "" and frac == "" then return bad("invalid duration") end -- "x", ".s", "1h-"
    local ub, ue = s:find("^[^%d%.]+", e + 1)
    if not ub then return bad("missing unit in duration") end
    local unit = UNITS[ssub(s, ub, ue)]
    if not unit then return bad(nil, ssub(s, ub, ue)) end
    local v = int == "" and 0 or tonumber(int)
    if mtype(v) ~= "integer" or v > MAXINT // unit then return bad("invalid duration") end
    v = v * unit
    if frac ~= "" then
      local digits = ssub(frac, 1, 18)
      local f = tonumber(digits)
      if f > 0 then
        local part = floor(f * (unit / 10.0 ^ #digits))
        if v > MAXINT - part then return bad("invalid duration") end
        v = v + part
      end
    end
    if total > MAXINT - v then return bad("invalid duration") end
    total = total + v
    pos = ue + 1
  end
  return neg and -total or total
end

-- Any duration value -> integer ns | nil, msg. Floats round to the nearest nanosecond.
local function to_ns(v, fname)
  local t = type(v)
  if t == "number" then
    local i = tointeger(v)
    if i then return i end
    if v ~= v or v >= 2 ^ 63 or v < -2 ^ 63 then
      return nil, fname .. ": duration out of range: " .. tostring(v)
    end
    return tointeger(v < 0 and -floor(-v + 0.5) or floor(v + 0.5))
  elseif t == "string" then
    return parse_duration_string(v, fname)
  elseif is_duration(v) then
    return v.ns
  end
  return nil, fname .. ": expected a duration (a string such as \"1.5s\", integer nanoseconds or"
    .. " a Duration), got " .. t
end

-- Same, but raises at the caller of the public function.
local function need_ns(v, fname)
  local ns, err = to_ns(v, fname)
  if not ns then error(err, 3) end
  return ns
end

-- Go's Duration.String.
local function frac_digits(v, prec)
  local digits, seen = {}, false
  for i = prec, 1, -1 do
    local digit = v % 10
    seen = seen or digit ~= 0
    if seen then digits[i] = digit end
    v = v // 10
  end
  if seen then return "." .. concat(digits), v end
  return "", v
end

local function duration_string(d)
  if d == 0 then return "0s" end
  if d == MININT then return "-2562047h47m16.854775808s" end
  local u = d < 0 and -d or d
  local out
  if u < SECOND then
    local prec, unit = 6, "ms"
    if u < MICROSECOND then
      prec, unit = 0, "ns"
    elseif u < MILLISECOND then
      prec, unit = 3, "\u{b5}s"
    end
    local frac, whole = frac_digits(u, prec)
    out = whole .. frac .. unit
  else
    local frac, secs = frac_digits(u, 9)
    out = (secs % 60) .. frac .. "s"
    local mins = secs // 60
    if mins > 0 then
      out = (mins % 60) .. "m" .. out
      if mins >= 60 then out = (mins // 60) .. "h" .. out end
    end
  end
  return d < 0 and "-" .. out or out
end

local function check_duration(self, method)
  if not is_duration(self) then
    error("time: call d:" .. method .. "() with a colon on a Duration", 3)
  end
  return self.ns
end

-- The float value of d in `unit`s, exact in the integer part (Go's Hours/Minutes/Seconds).
local function in_units(d, unit)
  local whole = quo(d, unit)
  return whole + (d - whole * unit) / unit
end

function DM.hours(d) return in_units(check_duration(d, "hours"), HOUR) end
function DM.minutes(d) return in_units(check_duration(d, "minutes"), MINUTE) end
function DM.seconds(d) return in_units(check_duration(d, "seconds"), SECOND) end
function DM.milliseconds(d) return quo(check_duration(d, "milliseconds"), MILLISECOND) end
function DM.microseconds(d) return quo(check_duration(d, "microseconds"), MICROSECOND) end
function DM.nanoseconds(d) return check_duration(d, "nanoseconds") end
function DM.string(d) return duration_string(check_duration(d, "string")) end

function DM.abs(d)
  local ns = check_duration(d, "abs")
  if ns >= 0 then return d end
  return dur(ns == MININT and MAXINT or -ns)
end

function DM.truncate(d, m)
  local ns = check_duration(d, "truncate")
  m = need_ns(m, "Duration:truncate")
  if m <= 0 then return d end
  return dur(ns - rem(ns, m))
end

function DM.round(d, m)
  local ns = check_duration(d, "round")
  m = need_ns(m, "Duration:round")
  if m <= 0 then return d end
  local r = rem(ns, m)
  if ns < 0 then
    r = -r
    if less_than_half(r, m) then return dur(ns + r) end
    local d1 = ns - m + r
    return dur(d1 < ns and d1 or MININT)
  end
  if less_than_half(r, m) then return dur(ns - r) end
  local d1 = ns + m - r
  return dur(d1 > ns and d1 or MAXINT)
end

Duration.__tostring = function(d) return duration_string(d.ns) end
Duration.__concat = function(a, b)
  return (is_duration(a) and duration_string(a.ns) or a) .. (is_duration(b) and
    duration_string(b.ns) or b)
end
Duration.__eq = function(a, b) return is_duration(a) and is_duration(b) and a.ns == b.ns end
Duration.__lt = function(a, b) return need_ns(a, "Duration <") < need_ns(b, "Duration <") end
Duration.__le = function(a, b) return need_ns(a, "Duration <=") <= need_ns(b, "Duration <=") end
Duration.__unm = function(a) return dur(-a.ns) end
-- Duration * number (the product is rounded to whole nanoseconds).
Duration.__mul = function(a, b)
  if is_duration(b) then a, b = b, a end
  if type(b) ~= "number" then error("a Duration can only be multiplied by a number", 2) end
  return dur(need_ns(a.ns * b, "Duration *"))
end

function time.duration(v)
  return dur(need_ns(v, "time.duration"))
end

function time.parse_duration(v)
  local ns, err = to_ns(v, "time.parse_duration")
  if not ns then return nil, err end
  return dur(ns)
end

return {
  Duration = Duration, dur = dur, to_ns = to_ns, need_ns = need_ns,
  duration_string = duration_string,
}
