-- time.lua: the Lua face of the `time` module (Wippy: wippyai/docs en/lua/core/time.md). The C part (mod_time.c) passes a
-- table of raw functions over the host's clock and timers:
--
--   raw.now()        -> integer nanoseconds since the Unix epoch (UTC wall clock)
--   raw.sleep(ns)    -> nothing, or nil, errmsg; ns is a non-negative integer; yields to the host
--
-- Everything else (calendar arithmetic, Go layouts, durations) is pure Lua, in parts that this
-- file loads and assembles with `load_part` (the C glue's loader for glue/lua/NAME.lua):
--
--   time_util.lua       shared helpers (quoting, Go's division, argument checks)
--   time_calendar.lua   civil dates <-> days, month/day names, the fields of a Time
--   time_location.lua   Location: UTC and fixed zones
--   time_duration.lua   Duration: parsing, String, methods
--   time_layout.lua     Go layouts: the tokenizer and formatting
--   time_instant.lua    Time: construction, methods, operators
--   time_parse.lua      parsing with Go layouts
--
-- This file holds the module table (constants and Go's reference layouts), time.now and
-- time.sleep, the only functions over `raw`.
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
--   * time.after / timer / ticker (time_timers.lua) deliver on channels of one slot, read with
--     ch:receive() or channel.select; Timer/Ticker:channel() (alias :response()) return them.
--   * `==`, `<`, `<=` on Times compare instants (Go's == also compares locations); `t1 - t2` is
--     a Duration, `t + d` and `t - d` are Times. Durations compare to Durations with `==` and to
--     numbers with `<` / `<=`.
--   * Durations outside ±2^63-1 ns fail to parse ("-9223372036854775808ns" included).
local raw, load_part = ...

local SECOND = 1000000000
local time = {
  NANOSECOND = 1, MICROSECOND = 1000, MILLISECOND = 1000000,
  SECOND = SECOND, MINUTE = 60 * SECOND, HOUR = 3600 * SECOND,
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

-- Each part fills in its share of `time` and returns what later parts need.
local util = load_part("time_util")()
local calendar = load_part("time_calendar")()
local zones = load_part("time_location")(time, util)
local durations = load_part("time_duration")(time, util)
local layout = load_part("time_layout")(util, calendar)
local instant = load_part("time_instant")(time, util, calendar, zones, durations, layout)
load_part("time_parse")(time, util, calendar, zones, layout, instant)

local new_time, UTC = instant.new_time, zones.UTC
local to_ns, duration_string = durations.to_ns, durations.duration_string

function time.now()
  local ns = raw.now()
  return new_time(ns // SECOND, ns % SECOND, UTC)
end

function time.sleep(d)
  local ns, err = to_ns(d, "time.sleep")
  if not ns then return nil, err end
  if ns < 0 then return nil, "time.sleep: negative duration " .. duration_string(ns) end
  return raw.sleep(ns)
end

load_part("time_timers")(time, raw.sleep, to_ns)

return time
