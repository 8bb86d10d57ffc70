-- time_instant.lua: part of the `time` face (assembled by time.lua). Owns Time, an instant
-- {sec = Unix seconds, nsec = 0..999999999, loc = Location}: construction (time.unix, time.date
-- and Go's normalising Date), the methods (t:add(d), t:format(layout), t:round(d), ...) and the
-- operators, including + and - on Durations, which may mix in a Time.
--
-- Chunk arguments: time (the module table, filled in here), util (from time_util.lua), calendar
-- (from time_calendar.lua), zones (from time_location.lua), durations (from time_duration.lua;
-- its Duration metatable gets __add and __sub here), layout (from time_layout.lua).
-- Returns: instant = {new_time, make_date}; new_time(sec, nsec, loc) -> Time, make_date(year,
--   month, day, hour, min, sec, nsec, loc) -> Time.
local time, util, calendar, zones, durations, layout = ...
local type, error = type, error
local getmetatable, setmetatable = getmetatable, setmetatable
local floor, tointeger, mtype, ult = math.floor, math.tointeger, math.type, math.ult
local MAXINT, MININT = math.maxinteger, math.mininteger
local check_int, less_than_half = util.check_int, util.less_than_half
local days_from_civil, fields = calendar.days_from_civil, calendar.fields
local UTC, check_location = zones.UTC, zones.check_location
local Duration, dur, need_ns = durations.Duration, durations.dur, durations.need_ns
local format = layout.format

local MICROSECOND, MILLISECOND, SECOND = time.MICROSECOND, time.MILLISECOND, time.SECOND
local ZERO_SEC = -62135596800 -- 0001-01-01T00:00:00Z in Unix seconds

---------------------------------------------------------------------------------------------------
-- Construction

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
-- Methods and operators

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

return { new_time = new_time, make_date = make_date }
