-- time.lua: the Lua face of the `time` module (reference §2.7). The C part (mod_time.c) passes a
-- table of raw functions over the host's clock and timers:
--
--   raw.now()        -> integer nanoseconds since the Unix epoch (UTC wall clock)
--   raw.sleep(ns)    -> nothing, or nil, errmsg; ns is a non-negative integer; yields to the host
--
-- Everything else (calendar arithmetic, Go layouts, durations) is pure Lua below.
--
--   local time = require("time")
--   local t = time.parse(time.RFC3339, "2024-02-29T12:30:00+02:00")
--   t:utc():format(time.DATE_TIME)            --> "2024-02-29 10:30:00"
--   t:add("90m"):format(time.KITCHEN)         --> "2:00PM"
--   local d = time.parse_duration("1h30m")    --> tostring(d) == "1h30m0s", d:minutes() == 90.0
--   time.sleep("250ms")                       -- or integer nanoseconds, or a Duration
--
-- A Time is {sec = Unix seconds, nsec = 0..999999999, loc = Location} (integers, so years 1..9999
-- and beyond are exact; the zero Time is 0001-01-01 00:00:00 UTC as in Go). A Duration is {ns =
-- integer nanoseconds}. A Location is {name, offset = seconds east of UTC}. Dates use the
-- proleptic Gregorian calendar; os.date is not used.
--
-- Errors from parsing and sleeping are returned as `nil, message` (strings). Wrong argument types
-- and malformed durations given to methods (t:add("x")) raise, like a Lua argument error.
--
-- Deviations from the reference (and from Go):
--   * Only UTC and fixed offsets exist: time.localtz and t:in_local() are UTC, time.load_location
--     knows only "UTC", "" and "Local". t:location() returns the location's name.
--   * Parsing a zone abbreviation other than UTC yields a fixed zone of that name with offset 0,
--     as Go does for unknown names, except "GMT+3" / "+03" style names, which shift the instant.
--   * time.after / timer / ticker are not part of this face (they need channels).
--   * `==`, `<`, `<=` on Times compare instants (Go's == also compares locations); `t1 - t2` is
--     a Duration, `t + d` and `t - d` are Times. Durations compare to Durations with `==` and to
--     numbers with `<` / `<=`.
--   * Durations outside ±2^63-1 ns fail to parse ("-9223372036854775808ns" included).
local raw = ...
local type, tostring, tonumber, error, ipairs = type, tostring, tonumber, error, ipairs
local getmetatable, setmetatable = getmetatable, setmetatable
local floor, tointeger, mtype, ult = math.floor, math.tointeger, math.type, math.ult
local sfmt, ssub, sbyte, slower = string.format, string.sub, string.byte, string.lower
local concat = table.concat
local MAXINT, MININT = math.maxinteger, math.mininteger

local NANOSECOND, MICROSECOND, MILLISECOND = 1, 1000, 1000000
local SECOND = 1000000000
local MINUTE, HOUR = 60 * SECOND, 3600 * SECOND
local ZERO_SEC = -62135596800 -- 0001-01-01T00:00:00Z in Unix seconds

local time = {
  NANOSECOND = NANOSECOND, MICROSECOND = MICROSECOND, MILLISECOND = MILLISECOND,
  SECOND = SECOND, MINUTE = MINUTE, HOUR = HOUR,
  JANUARY = 1, FEBRUARY = 2, MARCH = 3, APRIL = 4, MAY = 5, JUNE = 6, JULY = 7, AUGUST = 8,
  SEPTEMBER = 9, OCTOBER = 10, NOVEMBER = 11, DECEMBER = 12,
  SUNDAY = 0, MONDAY = 1, TUESDAY = 2, WEDNESDAY = 3, THURSDAY = 4, FRIDAY = 5, SATURDAY = 6,
  -- Go's reference layouts.
  LAYOUT = "01/02 03:04:05PM '06 -0700",
  ANSIC = "Mon Jan _2 15:04:05 2006",
  UNIX_DATE = "Mon Jan _2 15:04:05 MST 2006",
  RUBY_DATE = "Mon Jan 02 15:04:05 -0700 2006",
  RFC822 = "02 Jan 06 15:04 MST",
  RFC822Z = "02 Jan 06 15:04 -0700",
  RFC850 = "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123 = "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z = "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339 = "2006-01-02T15:04:05Z07:00",
  RFC3339NANO = "2006-01-02T15:04:05.999999999Z07:00",
  KITCHEN = "3:04PM",
  STAMP = "Jan _2 15:04:05",
  STAMP_MILLI = "Jan _2 15:04:05.000",
  STAMP_MICRO = "Jan _2 15:04:05.000000",
  STAMP_NANO = "Jan _2 15:04:05.000000000",
  DATE_TIME = "2006-01-02 15:04:05",
  DATE_ONLY = "2006-01-02",
  TIME_ONLY = "15:04:05",
}

local MONTH_NAMES = { "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December" }
local DAY_NAMES = { [0] = "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
  "Saturday" }
local SHORT_MONTHS, SHORT_DAYS = {}, {}
for i = 1, 12 do SHORT_MONTHS[i] = ssub(MONTH_NAMES[i], 1, 3) end
for i = 0, 6 do SHORT_DAYS[i] = ssub(DAY_NAMES[i], 1, 3) end

---------------------------------------------------------------------------------------------------
-- Small helpers

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

---------------------------------------------------------------------------------------------------
-- Civil calendar (Howard Hinnant's days_from_civil / civil_from_days; day 0 = 1970-01-01)

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  return yoe + era * 400 + (m <= 2 and 1 or 0), m, d
end

local function is_leap(y)
  return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
end

local DAYS_IN = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local function days_in(m, y)
  if m == 2 and is_leap(y) then return 29 end
  return DAYS_IN[m]
end

---------------------------------------------------------------------------------------------------
-- Location

local Location = { __name = "time.Location" }
Location.__index = Location

local function new_location(name, offset)
  return setmetatable({ name = name, offset = offset }, Location)
end

function Location.__tostring(l) return l.name end
function Location.string(l) return l.name end

local UTC = new_location("UTC", 0)
time.utc, time.localtz = UTC, UTC

local function is_location(v)
  return type(v) == "table" and getmetatable(v) == Location
end

-- A Location argument: a Location, or the names "UTC" / "Local" / "".
local function check_location(v, n, fname)
  if is_location(v) then return v end
  if v == "UTC" or v == "Local" or v == "" then return UTC end
  error(sfmt("bad argument #%d to '%s' (Location expected, got %s)", n, fname,
    type(v) == "string" and quote(v) or type(v)), 3)
end

function time.fixed_zone(name, offset)
  if type(name) ~= "string" then
    error("bad argument #1 to 'time.fixed_zone' (string expected, got " .. type(name) .. ")", 2)
  end
  return new_location(name, check_int(offset, 2, "time.fixed_zone"))
end

function time.load_location(name)
  if name == "UTC" or name == "" or name == "Local" then return UTC end
  return nil, "time.load_location: unknown time zone " .. quote(tostring(name))
    .. " (luabox knows only UTC; use time.fixed_zone for offsets)"
end

---------------------------------------------------------------------------------------------------
-- Duration

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

-- Whether x < y/2 for non-negative x, y (x + x may pass 2^63, hence the unsigned compare).
local function less_than_half(x, y)
  return ult(x + x, y)
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

---------------------------------------------------------------------------------------------------
-- Time: construction and fields

local TimeMT = { __name = "time.Time" }
local T = {} -- Time methods
TimeMT.__index = T

local function new_time(sec, nsec, loc)
  return setmetatable({ sec = sec, nsec = nsec, loc = loc }, TimeMT)
end

local function is_time(v)
  return type(v) == "table" and getmetatable(v) == TimeMT
end

local function check_time(v, method)
  if not is_time(v) then
    error("time: call t:" .. method .. "() with a colon on a Time", 3)
  end
  return v
end

local function add_ns(t, ns)
  local sec, nsec = t.sec + ns // SECOND, t.nsec + ns % SECOND
  if nsec >= SECOND then
    sec, nsec = sec + 1, nsec - SECOND
  end
  return new_time(sec, nsec, t.loc)
end

-- Go's time.Date: every field may overflow and is normalised (month 13 = January next year).
local function make_date(year, month, day, hour, min, sec, nsec, loc)
  month = month - 1
  year, month = year + month // 12, month % 12 + 1
  sec, nsec = sec + nsec // SECOND, nsec % SECOND
  min, sec = min + sec // 60, sec % 60
  hour, min = hour + min // 60, min % 60
  day, hour = day + hour // 24, hour % 24
  local days = days_from_civil(year, month, 1) + day - 1
  return new_time(days * 86400 + hour * 3600 + min * 60 + sec - loc.offset, nsec, loc)
end

-- The calendar fields of t in its location.
local function fields(t)
  local local_sec = t.sec + t.loc.offset
  local days, sod = local_sec // 86400, local_sec % 86400
  local y, m, d = civil_from_days(days)
  return {
    year = y, month = m, day = d, hour = sod // 3600, min = sod % 3600 // 60, sec = sod % 60,
    nsec = t.nsec, weekday = (days + 4) % 7, yday = days - days_from_civil(y, 1, 1) + 1,
    offset = t.loc.offset, zone = t.loc.name,
  }
end

function time.now()
  local ns = raw.now()
  return new_time(ns // SECOND, ns % SECOND, UTC)
end

function time.unix(sec, nsec)
  nsec = check_int(nsec, 2, "time.unix", 0)
  if type(sec) == "number" and mtype(sec) == "float" and sec == sec and sec > -2 ^ 63
    and sec < 2 ^ 63 and not tointeger(sec) then
    local whole = floor(sec)
    nsec = nsec + tointeger(floor((sec - whole) * SECOND + 0.5))
    sec = tointeger(whole)
  end
  sec = check_int(sec, 1, "time.unix")
  return new_time(sec + nsec // SECOND, nsec % SECOND, UTC)
end

function time.date(year, month, day, hour, min, sec, nsec, loc)
  local f = "time.date"
  return make_date(check_int(year, 1, f), check_int(month, 2, f), check_int(day, 3, f),
    check_int(hour, 4, f, 0), check_int(min, 5, f, 0), check_int(sec, 6, f, 0),
    check_int(nsec, 7, f, 0), loc == nil and UTC or check_location(loc, 8, f))
end

---------------------------------------------------------------------------------------------------
-- Go layouts: the tokenizer shared by format and parse (Go's nextStdChunk)

local ZERO_STD = { "01", "02", "03", "04", "05", "06" }
local NUM_TZ = { "-070000", "-07:00:00", "-0700", "-07:00", "-07" }
local ISO_TZ = { "Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07" }

local function is_digit_at(s, i)
  local c = sbyte(s, i)
  return c ~= nil and c >= 48 and c <= 57
end

local function match_any(layout, i, list)
  for _, z in ipairs(list) do
    if ssub(layout, i, i + #z - 1) == z then return i, z, i + #z end
  end
end

-- The next layout element at or after i: its position, its code (the element's text, or "frac0"
-- / "frac9" for fractional seconds), the position after it and, for fractions, the digit count
-- and the separator. nil when only literal text is left.
local function next_chunk(layout, i)
  local n = #layout
  while i <= n do
    local c = sbyte(layout, i)
    if c == 74 then -- J
      if ssub(layout, i, i + 2) == "Jan" then
        if ssub(layout, i, i + 6) == "January" then return i, "January", i + 7 end
        local nc = sbyte(layout, i + 3)
        if not (nc and nc >= 97 and nc <= 122) then return i, "Jan", i + 3 end
      end
    elseif c == 77 then -- M
      local three = ssub(layout, i, i + 2)
      if three == "Mon" then
        if ssub(layout, i, i + 5) == "Monday" then return i, "Monday", i + 6 end
        local nc = sbyte(layout, i + 3)
        if not (nc and nc >= 97 and nc <= 122) then return i, "Mon", i + 3 end
      end
      if three == "MST" then return i, "MST", i + 3 end
    elseif c == 48 then -- 0
      local d = sbyte(layout, i + 1)
      if d and d >= 49 and d <= 54 then return i, ZERO_STD[d - 48], i + 2 end
      if ssub(layout, i + 1, i + 2) == "02" then return i, "002", i + 3 end
    elseif c == 49 then -- 1
      if sbyte(layout, i + 1) == 53 then return i, "15", i + 2 end
      return i, "1", i + 1
    elseif c == 50 then -- 2
      if ssub(layout, i, i + 3) == "2006" then return i, "2006", i + 4 end
      return i, "2", i + 1
    elseif c == 95 then -- _
      if sbyte(layout, i + 1) == 50 then
        if ssub(layout, i + 1, i + 4) == "2006" then return i + 1, "2006", i + 5 end
        return i, "_2", i + 2
      end
      if ssub(layout, i + 1, i + 2) == "_2" then return i, "__2", i + 3 end
    elseif c >= 51 and c <= 53 then -- 3 4 5
      return i, ssub(layout, i, i), i + 1
    elseif c == 80 then -- P
      if sbyte(layout, i + 1) == 77 then return i, "PM", i + 2 end
    elseif c == 112 then -- p
      if sbyte(layout, i + 1) == 109 then return i, "pm", i + 2 end
    elseif c == 45 then -- -
      local p, z, e = match_any(layout, i, NUM_TZ)
      if p then return p, z, e end
    elseif c == 90 then -- Z
      local p, z, e = match_any(layout, i, ISO_TZ)
      if p then return p, z, e end
    elseif c == 46 or c == 44 then -- . ,
      local d = sbyte(layout, i + 1)
      if d == 48 or d == 57 then
        local j = i + 1
        while sbyte(layout, j) == d do j = j + 1 end
        if not is_digit_at(layout, j) then
          return i, d == 48 and "frac0" or "frac9", j, j - i - 1, ssub(layout, i, i)
        end
      end
    end
    i = i + 1
  end
end

---------------------------------------------------------------------------------------------------
-- Formatting

-- Go's appendInt: v zero-padded to width digits, with a leading "-" when negative.
local function pad(v, width)
  if v < 0 then return "-" .. sfmt("%0" .. width .. "d", -v) end
  return sfmt("%0" .. width .. "d", v)
end

local function format_zone(f, std)
  local iso = sbyte(std, 1) == 90 -- Z
  if iso and f.offset == 0 then return "Z" end
  local zone = quo(f.offset, 60)
  local abs = f.offset
  local sign = "+"
  if zone < 0 then
    sign, zone, abs = "-", -zone, -abs
  end
  local out = sign .. pad(zone // 60, 2)
  local colon = std:find(":", 1, true) ~= nil
  if colon then out = out .. ":" end
  if #std > 3 then out = out .. pad(zone % 60, 2) end -- all but -07 / Z07
  if #std == 7 or #std == 9 then                      -- seconds: -070000 / -07:00:00
    if colon then out = out .. ":" end
    out = out .. pad(abs % 60, 2)
  end
  return out
end

local function format_frac(nsec, std, ndigits, sep)
  local trim = std == "frac9"
  if trim and (ndigits == 0 or nsec == 0) then return "" end
  local digits = sfmt("%09d", nsec)
  if ndigits < 9 then digits = ssub(digits, 1, ndigits) end
  if trim then
    digits = digits:gsub("0+$", "")
    if digits == "" then return "" end
  end
  return sep .. digits
end

local FORMAT = {
  ["2006"] = function(f) return pad(f.year, 4) end,
  ["06"] = function(f) return pad(rem(f.year, 100), 2) end,
  ["01"] = function(f) return pad(f.month, 2) end,
  ["1"] = function(f) return tostring(f.month) end,
  ["Jan"] = function(f) return SHORT_MONTHS[f.month] end,
  ["January"] = function(f) return MONTH_NAMES[f.month] end,
  ["02"] = function(f) return pad(f.day, 2) end,
  ["2"] = function(f) return tostring(f.day) end,
  ["_2"] = function(f) return f.day < 10 and " " .. f.day or tostring(f.day) end,
  ["002"] = function(f) return pad(f.yday, 3) end,
  ["__2"] = function(f) return sfmt("%3d", f.yday) end,
  ["15"] = function(f) return pad(f.hour, 2) end,
  ["03"] = function(f) return pad(f.hour % 12 == 0 and 12 or f.hour % 12, 2) end,
  ["3"] = function(f) return tostring(f.hour % 12 == 0 and 12 or f.hour % 12) end,
  ["04"] = function(f) return pad(f.min, 2) end,
  ["4"] = function(f) return tostring(f.min) end,
  ["05"] = function(f) return pad(f.sec, 2) end,
  ["5"] = function(f) return tostring(f.sec) end,
  ["PM"] = function(f) return f.hour >= 12 and "PM" or "AM" end,
  ["pm"] = function(f) return f.hour >= 12 and "pm" or "am" end,
  ["Mon"] = function(f) return SHORT_DAYS[f.weekday] end,
  ["Monday"] = function(f) return DAY_NAMES[f.weekday] end,
  ["MST"] = function(f)
    if f.zone ~= "" then return f.zone end
    return format_zone(f, "-0700")
  end,
}

-- A layout split into literal strings and element records {std, ndigits, sep}; the last few
-- layouts used are kept (a bounded cache: layouts may be built at run time).
local compiled, compiled_count = {}, 0
local function compile(layout)
  local parts = compiled[layout]
  if parts then return parts end
  parts = {}
  local i = 1
  while true do
    local pos, std, after, ndigits, sep = next_chunk(layout, i)
    if not pos then
      parts[#parts + 1] = ssub(layout, i)
      break
    end
    parts[#parts + 1] = ssub(layout, i, pos - 1)
    parts[#parts + 1] = { std, ndigits, sep }
    i = after
  end
  if compiled_count >= 64 then
    compiled, compiled_count = {}, 0
  end
  compiled[layout], compiled_count = parts, compiled_count + 1
  return parts
end

local function format(t, layout)
  local f = fields(t)
  local parts = compile(layout)
  local out = {}
  for k = 1, #parts do
    local part = parts[k]
    if type(part) == "string" then
      out[k] = part
    else
      local std = part[1]
      local fmt = FORMAT[std]
      if fmt then
        out[k] = fmt(f)
      elseif part[2] then
        out[k] = format_frac(f.nsec, std, part[2], part[3])
      else
        out[k] = format_zone(f, std)
      end
    end
  end
  return concat(out)
end

---------------------------------------------------------------------------------------------------
-- Parsing (Go's time.Parse)

-- One or two digits (exactly two when fixed) at i -> number, next position.
local function getnum(s, i, fixed)
  if not is_digit_at(s, i) then return nil end
  if not is_digit_at(s, i + 1) then
    if fixed then return nil end
    return sbyte(s, i) - 48, i + 1
  end
  return (sbyte(s, i) - 48) * 10 + sbyte(s, i + 1) - 48, i + 2
end

-- One to three digits (exactly three when fixed).
local function getnum3(s, i, fixed)
  local n, j = 0, i
  while j < i + 3 and is_digit_at(s, j) do
    n, j = n * 10 + sbyte(s, j) - 48, j + 1
  end
  if j == i or (fixed and j ~= i + 3) then return nil end
  return n, j
end

-- Case-insensitive match of one of names (indexed from `first`) at i -> index, next position.
local function lookup(names, first, s, i)
  for k = first, first + 11 do
    local name = names[k]
    if not name then break end
    local cand = ssub(s, i, i + #name - 1)
    if #cand == #name and slower(cand) == slower(name) then return k, i + #name end
  end
end

-- Go's skip: match the literal prefix; a space in the layout matches any run of spaces.
local function skip(value, i, prefix)
  local p = 1
  while p <= #prefix do
    local pc = sbyte(prefix, p)
    if pc == 32 then
      local vc = sbyte(value, i)
      if vc and vc ~= 32 then return i, false end
      while sbyte(prefix, p) == 32 do p = p + 1 end
      while sbyte(value, i) == 32 do i = i + 1 end
    else
      if sbyte(value, i) ~= pc then return i, false end
      p, i = p + 1, i + 1
    end
  end
  return i, true
end

-- "." or "," and digits, nbytes in all, at i -> nanoseconds.
local function parse_nanos(s, i, nbytes)
  local c = sbyte(s, i)
  if c ~= 46 and c ~= 44 then return nil end
  if nbytes > 10 then nbytes = 10 end
  local digits = ssub(s, i + 1, i + nbytes - 1)
  if digits == "" or digits:find("%D") then return nil end
  local ns = tonumber(digits)
  for _ = 1, 10 - nbytes do ns = ns * 10 end
  return ns
end

-- Length of a zone abbreviation at i (Go's parseTimeZone), or nil.
local function zone_name_length(s, i)
  if #s - i + 1 < 3 then return nil end
  local four = ssub(s, i, i + 3)
  if four == "ChST" or four == "MeST" then return 4 end
  -- "GMT", "GMT+3", "+03", "-5": a signed hour offset of at most 23.
  local function signed_hours(j)
    local _, e, digits = s:find("^[%+%-](%d+)", j)
    if e and tonumber(digits) <= 23 then return e - j + 1 end
  end
  if ssub(s, i, i + 2) == "GMT" then return 3 + (signed_hours(i + 3) or 0) end
  if s:find("^[%+%-]", i) then return signed_hours(i) end
  local upper = 0
  while upper < 6 do
    local c = sbyte(s, i + upper)
    if not c or c < 65 or c > 90 then break end
    upper = upper + 1
  end
  if upper == 3 then return 3 end
  if upper == 4 and (sbyte(s, i + 3) == 84 or four == "WITA") then return 4 end
  if upper == 5 and sbyte(s, i + 4) == 84 then return 5 end
  return nil
end

-- Days before month m (Go's daysBefore, index 0..12).
local DAYS_BEFORE = { [0] = 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365 }

local function parse(layout, value, loc)
  local function fail(detail)
    return nil, sfmt("time.parse: cannot parse %s as %s: %s", quote(value), quote(layout), detail)
  end
  local year, month, day, yday = 0, -1, -1, -1
  local hour, min, sec, nsec = 0, 0, 0, 0
  local utc_zone, zone_offset, zone_name, pm_set, am_set
  local li, vi = 1, 1
  while true do
    local pos, std, after, ndigits = next_chunk(layout, li)
    local prefix = ssub(layout, li, (pos or #layout + 1) - 1)
    local ok
    vi, ok = skip(value, vi, prefix)
    if not ok then
      return fail(sfmt("cannot parse %s as %s", quote(ssub(value, vi)), quote(prefix)))
    end
    if not pos then
      if vi <= #value then return fail("extra text " .. quote(ssub(value, vi))) end
      break
    end
    li = after
    local hold, bad, range = vi, false, nil
    if std == "06" then
      local p = ssub(value, vi, vi + 1)
      if not p:find("^%d%d$") then
        bad = true
      else
        year, vi = tonumber(p), vi + 2
        year = year >= 69 and year + 1900 or year + 2000
      end
    elseif std == "2006" then
      local p = ssub(value, vi, vi + 3)
      if not p:find("^%d%d%d%d$") then
        bad = true
      else
        year, vi = tonumber(p), vi + 4
      end
    elseif std == "Jan" or std == "January" then
      month, vi = lookup(std == "Jan" and SHORT_MONTHS or MONTH_NAMES, 1, value, vi)
      bad, vi, month = month == nil, vi or hold, month or -1
    elseif std == "1" or std == "01" then
      month, vi = getnum(value, vi, std == "01")
      bad, vi, month = month == nil, vi or hold, month or -1
      if not bad and (month < 1 or month > 12) then range = "month" end
    elseif std == "Mon" or std == "Monday" then
      local k
      k, vi = lookup(std == "Mon" and SHORT_DAYS or DAY_NAMES, 0, value, vi)
      bad, vi = k == nil, vi or hold
    elseif std == "2" or std == "_2" or std == "02" then
      if std == "_2" and sbyte(value, vi) == 32 then vi = vi + 1 end
      day, vi = getnum(value, vi, std == "02")
      bad, vi, day = day == nil, vi or hold, day or -1
    elseif std == "002" or std == "__2" then
      for _ = 1, 2 do
        if std == "__2" and sbyte(value, vi) == 32 then vi = vi + 1 end
      end
      yday, vi = getnum3(value, vi, std == "002")
      bad, vi, yday = yday == nil, vi or hold, yday or -1
    elseif std == "15" or std == "3" or std == "03" then
      hour, vi = getnum(value, vi, std == "03")
      bad, vi, hour = hour == nil, vi or hold, hour or 0
      if hour >= (std == "15" and 24 or 13) then range = "hour" end
    elseif std == "4" or std == "04" then
      min, vi = getnum(value, vi, std == "04")
      bad, vi, min = min == nil, vi or hold, min or 0
      if min >= 60 then range = "minute" end
    elseif std == "5" or std == "05" then
      sec, vi = getnum(value, vi, std == "05")
      bad, vi, sec = sec == nil, vi or hold, sec or 0
      if sec >= 60 then
        range = "second"
      elseif not bad and value:find("^[.,]%d", vi) then
        -- A fraction in the input but none in the layout: take it anyway.
        local _, next_std = next_chunk(layout, li)
        if next_std ~= "frac0" and next_std ~= "frac9" then
          local _, e = value:find("^[.,]%d+", vi)
          nsec = parse_nanos(value, vi, e - vi + 1)
          vi = e + 1
        end
      end
    elseif std == "PM" or std == "pm" then
      local p = ssub(value, vi, vi + 1)
      local am, pm = "AM", "PM"
      if std == "pm" then am, pm = "am", "pm" end
      if p == pm then
        pm_set = true
      elseif p == am then
        am_set = true
      else
        bad = true
      end
      if not bad then vi = vi + 2 end
    elseif std == "MST" then
      if ssub(value, vi, vi + 2) == "UTC" then
        utc_zone, vi = true, vi + 3
      else
        local n = zone_name_length(value, vi)
        if not n then
          bad = true
        else
          zone_name, vi = ssub(value, vi, vi + n - 1), vi + n
        end
      end
    elseif std == "frac0" then
      local n = 1 + ndigits
      nsec = #value - vi + 1 >= n and parse_nanos(value, vi, n)
      if nsec then vi = vi + n else bad, nsec = true, 0 end
    elseif std == "frac9" then
      local _, e = value:find("^[.,]%d+", vi)
      if e then
        nsec = parse_nanos(value, vi, e - vi + 1)
        vi = e + 1
      end
    else -- numeric zones: -0700 -07:00 -07 -070000 -07:00:00 and their Z forms
      if sbyte(std, 1) == 90 and sbyte(value, vi) == 90 then
        utc_zone, vi = true, vi + 1
      else
        local shape = "^([%+%-])(%d%d)(%d%d)"
        if std:find(":00:00", 1, true) then
          shape = "^([%+%-])(%d%d):(%d%d):(%d%d)"
        elseif std:find(":", 1, true) then
          shape = "^([%+%-])(%d%d):(%d%d)"
        elseif #std == 3 then
          shape = "^([%+%-])(%d%d)"
        elseif #std == 7 then
          shape = "^([%+%-])(%d%d)(%d%d)(%d%d)"
        end
        local _, e, sign, hh, mm, ss = value:find(shape, vi)
        if not e then
          bad = true
        else
          vi = e + 1
          hh, mm, ss = tonumber(hh), tonumber(mm or "0"), tonumber(ss or "0")
          if hh > 24 then range = "time zone offset hour" end
          if mm > 60 then range = "time zone offset minute" end
          if ss > 60 then range = "time zone offset second" end
          zone_offset = (hh * 60 + mm) * 60 + ss
          if sign == "-" then zone_offset = -zone_offset end
        end
      end
    end
    if range then return fail(range .. " out of range") end
    if bad then
      return fail(sfmt("cannot parse %s as %s", quote(ssub(value, hold)),
        quote(ssub(layout, pos, after - 1))))
    end
  end

  if pm_set and hour < 12 then
    hour = hour + 12
  elseif am_set and hour == 12 then
    hour = 0
  end
  if yday >= 0 then
    local m, d = 0, 0
    if is_leap(year) then
      if yday == 31 + 29 then
        m, d = 2, 29
      elseif yday > 31 + 29 then
        yday = yday - 1
      end
    end
    if yday < 1 or yday > 365 then return fail("day-of-year out of range") end
    if m == 0 then
      m = (yday - 1) // 31 + 1
      if DAYS_BEFORE[m] < yday then m = m + 1 end
      d = yday - DAYS_BEFORE[m - 1]
    end
    if month >= 0 and month ~= m then return fail("day-of-year does not match month") end
    if day >= 0 and day ~= d then return fail("day-of-year does not match day") end
    month, day = m, d
  else
    if month < 0 then month = 1 end
    if day < 0 then day = 1 end
  end
  if day < 1 or day > days_in(month, year) then return fail("day out of range") end

  if utc_zone then
    return make_date(year, month, day, hour, min, sec, nsec, UTC)
  end
  if not zone_offset and zone_name then
    if zone_name == loc.name then
      return make_date(year, month, day, hour, min, sec, nsec, loc)
    end
    local hours = zone_name:match("^GMT([%+%-]%d+)$") or zone_name:match("^([%+%-]%d+)$")
    if not hours then
      return make_date(year, month, day, hour, min, sec, nsec, new_location(zone_name, 0))
    end
    zone_offset = tonumber(hours) * 3600
  end
  if zone_offset then
    local t = make_date(year, month, day, hour, min, sec, nsec, UTC)
    local zone = loc
    if loc.offset ~= zone_offset or (zone_name and zone_name ~= loc.name) then
      zone = zone_offset == 0 and not zone_name and UTC or new_location(zone_name or "", zone_offset)
    end
    return new_time(t.sec - zone_offset, t.nsec, zone)
  end
  return make_date(year, month, day, hour, min, sec, nsec, loc)
end

function time.parse(layout, value, loc)
  if type(layout) ~= "string" then
    error("bad argument #1 to 'time.parse' (string layout expected, got " .. type(layout) .. ")", 2)
  end
  if type(value) ~= "string" then
    return nil, "time.parse: expected a string to parse, got " .. type(value)
  end
  return parse(layout, value, loc == nil and UTC or check_location(loc, 3, "time.parse"))
end

---------------------------------------------------------------------------------------------------
-- Time methods

function T.add(t, d)
  check_time(t, "add")
  return add_ns(t, need_ns(d, "Time:add"))
end

-- u - t as nanoseconds, saturating at the Duration range like Go's Sub.
local MAX_S, MAX_N = MAXINT // SECOND, MAXINT % SECOND
local function diff_ns(t, u)
  local ds, dn = t.sec - u.sec, t.nsec - u.nsec
  if ds > 0 and dn < 0 then
    ds, dn = ds - 1, dn + SECOND
  elseif ds < 0 and dn > 0 then
    ds, dn = ds + 1, dn - SECOND
  end
  if ds > MAX_S or (ds == MAX_S and dn > MAX_N) then return MAXINT end
  if ds < -MAX_S or (ds == -MAX_S and dn < -MAX_N - 1) then return MININT end
  return ds * SECOND + dn
end

function T.sub(t, u)
  check_time(t, "sub")
  if not is_time(u) then
    error("bad argument #1 to 'Time:sub' (Time expected, got " .. type(u)
      .. "; use t:add(-d) to go back by a duration)", 2)
  end
  return dur(diff_ns(t, u))
end

function T.add_date(t, years, months, days)
  check_time(t, "add_date")
  local f = fields(t)
  return make_date(f.year + check_int(years, 1, "Time:add_date"),
    f.month + check_int(months, 2, "Time:add_date"), f.day + check_int(days, 3, "Time:add_date"),
    f.hour, f.min, f.sec, f.nsec, t.loc)
end

local function compare(t, u, method)
  check_time(t, method)
  if not is_time(u) then
    error("bad argument #1 to 'Time:" .. method .. "' (Time expected, got " .. type(u) .. ")", 3)
  end
  if t.sec ~= u.sec then return t.sec < u.sec and -1 or 1 end
  if t.nsec ~= u.nsec then return t.nsec < u.nsec and -1 or 1 end
  return 0
end

function T.compare(t, u) return compare(t, u, "compare") end
function T.before(t, u) return compare(t, u, "before") < 0 end
function T.after(t, u) return compare(t, u, "after") > 0 end
function T.equal(t, u) return compare(t, u, "equal") == 0 end

function T.format(t, layout)
  check_time(t, "format")
  if type(layout) ~= "string" then
    error("bad argument #1 to 'Time:format' (string layout expected, got " .. type(layout) .. ")", 2)
  end
  return format(t, layout)
end

function T.format_rfc3339(t)
  return format(check_time(t, "format_rfc3339"), time.RFC3339)
end

function T.unix(t) return check_time(t, "unix").sec end
function T.unix_milli(t) return check_time(t, "unix_milli").sec * 1000 + t.nsec // MILLISECOND end
function T.unix_micro(t) return check_time(t, "unix_micro").sec * 1000000 + t.nsec // MICROSECOND end
function T.unix_nano(t) return check_time(t, "unix_nano").sec * SECOND + t.nsec end

function T.date(t)
  local f = fields(check_time(t, "date"))
  return f.year, f.month, f.day
end

function T.clock(t)
  local f = fields(check_time(t, "clock"))
  return f.hour, f.min, f.sec
end

function T.year(t) return fields(check_time(t, "year")).year end
function T.month(t) return fields(check_time(t, "month")).month end
function T.day(t) return fields(check_time(t, "day")).day end
function T.hour(t) return fields(check_time(t, "hour")).hour end
function T.minute(t) return fields(check_time(t, "minute")).min end
function T.second(t) return fields(check_time(t, "second")).sec end
function T.nanosecond(t) return check_time(t, "nanosecond").nsec end
function T.weekday(t) return fields(check_time(t, "weekday")).weekday end
function T.year_day(t) return fields(check_time(t, "year_day")).yday end

function T.is_zero(t)
  check_time(t, "is_zero")
  return t.sec == ZERO_SEC and t.nsec == 0
end

function T.utc(t) return new_time(check_time(t, "utc").sec, t.nsec, UTC) end
function T.in_local(t) return new_time(check_time(t, "in_local").sec, t.nsec, UTC) end
function T.in_location(t, loc)
  check_time(t, "in_location")
  return new_time(t.sec, t.nsec, check_location(loc, 1, "Time:in_location"))
end
function T.location(t) return check_time(t, "location").loc.name end
function T.zone(t)
  check_time(t, "zone")
  return t.loc.name, t.loc.offset
end

-- (t - zero time) mod d for d > 0, in nanoseconds (Go's div). Works on (sec, nsec) pairs, since
-- nanoseconds since year 1 do not fit in 64 bits.
local function addmod(a, b, m) -- a, b in [0, m)
  local s = a + b
  return ult(s, m) and s or s - m
end
local function mod_since_zero(t, d)
  local sec = t.sec - ZERO_SEC
  if SECOND % d == 0 then return t.nsec % d end
  if d % SECOND == 0 then return (sec % (d // SECOND)) * SECOND + t.nsec end
  local a, b, r = sec % d, SECOND % d, 0 -- r = a * b mod d by doubling
  while b > 0 do
    if b & 1 == 1 then r = addmod(r, a, d) end
    a, b = addmod(a, a, d), b >> 1
  end
  return addmod(r, t.nsec % d, d)
end

function T.truncate(t, d)
  check_time(t, "truncate")
  d = need_ns(d, "Time:truncate")
  if d <= 0 then return t end
  return add_ns(t, -mod_since_zero(t, d))
end

function T.round(t, d)
  check_time(t, "round")
  d = need_ns(d, "Time:round")
  if d <= 0 then return t end
  local r = mod_since_zero(t, d)
  if less_than_half(r, d) then return add_ns(t, -r) end
  return add_ns(t, d - r)
end

TimeMT.__tostring = function(t)
  return format(t, "2006-01-02 15:04:05.999999999 -0700 MST")
end
TimeMT.__concat = function(a, b)
  return (is_time(a) and TimeMT.__tostring(a) or a) .. (is_time(b) and TimeMT.__tostring(b) or b)
end
TimeMT.__eq = function(a, b)
  return is_time(a) and is_time(b) and a.sec == b.sec and a.nsec == b.nsec
end
local function order(a, b)
  if not (is_time(a) and is_time(b)) then
    error("attempt to compare a Time with a " .. (is_time(a) and type(b) or type(a)), 3)
  end
  return compare(a, b, "<")
end
TimeMT.__lt = function(a, b) return order(a, b) < 0 end
TimeMT.__le = function(a, b) return order(a, b) <= 0 end
-- t - u -> Duration; t - d -> Time
TimeMT.__sub = function(a, b)
  if is_time(b) then return dur(diff_ns(check_time(a, "sub"), b)) end
  return add_ns(check_time(a, "sub"), -need_ns(b, "Time -"))
end

-- t + d and d + t -> Time; d + d -> Duration
local function add(a, b)
  if is_time(a) then return add_ns(a, need_ns(b, "Time +")) end
  if is_time(b) then return add_ns(b, need_ns(a, "Time +")) end
  return dur(need_ns(a, "Duration +") + need_ns(b, "Duration +"))
end
TimeMT.__add, Duration.__add = add, add
Duration.__sub = function(a, b)
  if is_time(b) then error("cannot subtract a Time from a Duration", 2) end
  return dur(need_ns(a, "Duration -") - need_ns(b, "Duration -"))
end

---------------------------------------------------------------------------------------------------
-- Sleeping

function time.sleep(d)
  local ns, err = to_ns(d, "time.sleep")
  if not ns then return nil, err end
  if ns < 0 then return nil, "time.sleep: negative duration " .. duration_string(ns) end
  return raw.sleep(ns)
end

return time
