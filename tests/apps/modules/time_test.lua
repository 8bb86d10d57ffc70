-- time_test.lua: a luabox test function for the `time` module (guest-lua/glue/lua/time.lua).
-- Uses only the real clock for sanity checks (time.now()); everything else is computed from fixed
-- dates. Returns true when every assertion holds; raises on the first failure.
local time = require("time")

local check = require("check")
local eq, raises = check.eq, check.raises

-- fn(...) must return nil and a string message containing every needle.
local function fails(fn, args, ...)
  local v, err = fn(table.unpack(args))
  assert(v == nil, "expected nil for " .. tostring(args[1]) .. ", got " .. tostring(v))
  eq(type(err), "string", "error message type")
  for _, needle in ipairs({ ... }) do
    assert(err:find(needle, 1, true), "error should mention " .. needle .. ", got: " .. err)
  end
  return err
end

local function parse(layout, s)
  local t, err = time.parse(layout, s)
  assert(t, "parse " .. s .. ": " .. tostring(err))
  return t
end

local S, MS = time.SECOND, time.MILLISECOND

local function constants()
  eq(time.NANOSECOND, 1, "NANOSECOND")
  eq(time.MICROSECOND, 1000, "MICROSECOND")
  eq(time.MILLISECOND, 1000000, "MILLISECOND")
  eq(time.SECOND, 1000000000, "SECOND")
  eq(time.MINUTE, 60000000000, "MINUTE")
  eq(time.HOUR, 3600000000000, "HOUR")
  eq(math.type(time.HOUR), "integer", "units are integers")
  eq(time.JANUARY, 1, "JANUARY")
  eq(time.FEBRUARY, 2, "FEBRUARY")
  eq(time.JUNE, 6, "JUNE")
  eq(time.DECEMBER, 12, "DECEMBER")
  eq(time.SUNDAY, 0, "SUNDAY")
  eq(time.MONDAY, 1, "MONDAY")
  eq(time.THURSDAY, 4, "THURSDAY")
  eq(time.SATURDAY, 6, "SATURDAY")
  eq(time.RFC3339, "2006-01-02T15:04:05Z07:00", "RFC3339")
  eq(time.RFC3339NANO, "2006-01-02T15:04:05.999999999Z07:00", "RFC3339NANO")
  eq(time.RFC1123, "Mon, 02 Jan 2006 15:04:05 MST", "RFC1123")
  eq(time.RFC822, "02 Jan 06 15:04 MST", "RFC822")
  eq(time.KITCHEN, "3:04PM", "KITCHEN")
  eq(time.ANSIC, "Mon Jan _2 15:04:05 2006", "ANSIC")
  eq(time.DATE_TIME, "2006-01-02 15:04:05", "DATE_TIME")
  eq(time.DATE_ONLY, "2006-01-02", "DATE_ONLY")
  eq(time.TIME_ONLY, "15:04:05", "TIME_ONLY")
  eq(tostring(time.utc), "UTC", "time.utc")
  eq(time.localtz, time.utc, "localtz is UTC")
end

local function now()
  local a = time.now()
  local b = time.now()
  assert(a:year() >= 2024, "now() is after 2024, got " .. tostring(a))
  assert(a:year() < 2200, "now() is before 2200")
  assert(b >= a, "now() does not go backwards")
  assert(not b:before(a), "before() agrees")
  eq(a:location(), "UTC", "now() is UTC")
  local ns = a:nanosecond()
  assert(ns >= 0 and ns < S, "nanosecond in range")
  eq(math.type(a:unix()), "integer", "unix() is an integer")
  assert(b:sub(a):nanoseconds() >= 0, "elapsed is non-negative")
end

local function construction()
  local epoch = time.unix(0)
  eq(epoch:format(time.RFC3339), "1970-01-01T00:00:00Z", "unix(0)")
  eq(epoch:weekday(), time.THURSDAY, "1970-01-01 is a Thursday")
  eq(time.unix(1, -1):format(time.RFC3339NANO), "1970-01-01T00:00:00.999999999Z", "unix nsec < 0")
  eq(time.unix(0, 2 * S + 5):format(time.RFC3339NANO), "1970-01-01T00:00:02.000000005Z",
    "unix nsec >= 1s")
  eq(time.unix(-1):format(time.DATE_TIME), "1969-12-31 23:59:59", "negative unix")
  eq(time.unix(1.5):nanosecond(), 500000000, "float seconds")
  eq(time.unix(1.5):unix(), 1, "float seconds, whole part")
  local t = time.unix(1709209845, 123456789)
  eq(t:unix(), 1709209845, "unix()")
  eq(t:unix_milli(), 1709209845123, "unix_milli()")
  eq(t:unix_micro(), 1709209845123456, "unix_micro()")
  eq(t:unix_nano(), 1709209845123456789, "unix_nano()")
  eq(t:format(time.RFC3339NANO), "2024-02-29T12:30:45.123456789Z", "unix with nsec")

  local d = time.date(2024, 2, 29, 12, 30, 45, 123456789)
  assert(d == t, "date() and unix() agree")
  eq(time.date(2024, 2, 29):format(time.DATE_TIME), "2024-02-29 00:00:00", "date defaults")
  -- Go-style normalisation
  eq(time.date(2024, 13, 1):format(time.DATE_ONLY), "2025-01-01", "month 13")
  eq(time.date(2024, 0, 1):format(time.DATE_ONLY), "2023-12-01", "month 0")
  eq(time.date(2024, -1, 1):format(time.DATE_ONLY), "2023-11-01", "month -1")
  eq(time.date(2024, 3, 0):format(time.DATE_ONLY), "2024-02-29", "day 0 of March (leap)")
  eq(time.date(2023, 3, 0):format(time.DATE_ONLY), "2023-02-28", "day 0 of March")
  eq(time.date(2024, 1, 32):format(time.DATE_ONLY), "2024-02-01", "day 32")
  eq(time.date(2024, 1, 1, 25):format(time.DATE_TIME), "2024-01-02 01:00:00", "hour 25")
  eq(time.date(2024, 1, 1, 0, -1):format(time.DATE_TIME), "2023-12-31 23:59:00", "minute -1")
  eq(time.date(2024, 1, 1, 0, 0, 3600):format(time.DATE_TIME), "2024-01-01 01:00:00", "sec 3600")
  eq(time.date(2024, 1, 1, 0, 0, 0, -1):format(time.RFC3339NANO),
    "2023-12-31T23:59:59.999999999Z", "nsec -1")
  eq(time.date(2024, 1, 1, 0, 0, 0, 0, time.utc):location(), "UTC", "date with time.utc")
  local ist = time.fixed_zone("IST", 5 * 3600 + 1800)
  local local_date = time.date(2024, 1, 1, 5, 30, 0, 0, ist)
  eq(local_date:unix(), time.date(2024, 1, 1):unix(), "date in a fixed zone")
  eq(local_date:location(), "IST", "date keeps its location")
  eq(local_date:hour(), 5, "fields are in the location")
  raises("integer expected", time.date, "2024", 1, 1)
  raises("integer expected", time.date, 2024, 1.5, 1)
  raises("integer expected", time.date, 2024)
  raises("Location expected", time.date, 2024, 1, 1, 0, 0, 0, 0, {})
end

local function leap_years()
  local leap = parse(time.DATE_ONLY, "2024-02-29")
  eq(leap:year_day(), 60, "2024-02-29 is day 60")
  eq(leap:weekday(), time.THURSDAY, "2024-02-29 is a Thursday")
  eq(leap:add("24h"):format(time.DATE_ONLY), "2024-03-01", "day after Feb 29")
  eq(time.date(2024, 12, 31):year_day(), 366, "2024 has 366 days")
  eq(time.date(2023, 12, 31):year_day(), 365, "2023 has 365 days")
  eq(time.date(1900, 12, 31):year_day(), 365, "1900 is not a leap year")
  eq(time.date(2000, 12, 31):year_day(), 366, "2000 is a leap year")
  eq(time.date(1900, 2, 29):format(time.DATE_ONLY), "1900-03-01", "1900-02-29 normalises")
  eq(time.date(2000, 2, 29):format(time.DATE_ONLY), "2000-02-29", "2000-02-29 exists")
  fails(time.parse, { time.DATE_ONLY, "2023-02-29" }, "day out of range")
  fails(time.parse, { time.DATE_ONLY, "1900-02-29" }, "day out of range")
  eq(parse(time.DATE_ONLY, "2000-02-29"):day(), 29, "parse 2000-02-29")
  eq(leap:add_date(1, 0, 0):format(time.DATE_ONLY), "2025-03-01", "Feb 29 + 1 year")
  eq(leap:add_date(4, 0, 0):format(time.DATE_ONLY), "2028-02-29", "Feb 29 + 4 years")
  eq(parse("2006-002", "2024-060"):format(time.DATE_ONLY), "2024-02-29", "year-day 60 (leap)")
  eq(parse("2006-002", "2023-060"):format(time.DATE_ONLY), "2023-03-01", "year-day 60")
  fails(time.parse, { "2006-002", "2023-366" }, "day-of-year out of range")
  eq(time.date(2100, 3, 1):sub(time.date(2100, 2, 28)):hours(), 24.0, "2100 is not leap")
end

local function extremes()
  local zero = time.date(1, 1, 1)
  assert(zero:is_zero(), "0001-01-01 is the zero time")
  eq(zero:unix(), -62135596800, "zero time in Unix seconds")
  eq(zero:format(time.RFC3339), "0001-01-01T00:00:00Z", "format year 1")
  eq(zero:weekday(), time.MONDAY, "0001-01-01 is a Monday")
  eq(zero:year_day(), 1, "year_day of the zero time")
  assert(not zero:add(1):is_zero(), "1ns later is not zero")
  assert(not time.unix(0):is_zero(), "the epoch is not zero")
  eq(parse(time.RFC3339, "0001-01-01T00:00:00Z"), zero, "parse year 1")
  local last = time.date(9999, 12, 31, 23, 59, 59, 999999999)
  eq(last:format(time.RFC3339NANO), "9999-12-31T23:59:59.999999999Z", "format year 9999")
  eq(last:unix(), 253402300799, "9999-12-31 in Unix seconds")
  eq(last:weekday(), time.FRIDAY, "9999-12-31 is a Friday")
  eq(last:year_day(), 365, "9999 is not a leap year")
  eq(parse(time.RFC3339NANO, "9999-12-31T23:59:59.999999999Z"), last, "parse year 9999")
  eq(last:add(1):format(time.DATE_TIME), "10000-01-01 00:00:00", "past year 9999")
  eq(last:sub(zero):nanoseconds(), math.maxinteger, "sub saturates at the Duration maximum")
  eq(zero:sub(last):nanoseconds(), math.mininteger, "sub saturates at the Duration minimum")
  eq(time.date(1, 1, 1):add_date(9998, 11, 30):format(time.DATE_ONLY), "9999-12-31",
    "add_date across the whole range")
end

local function fields()
  local t = time.date(2009, 11, 10, 23, 4, 5, 123456789)
  local y, m, d = t:date()
  eq(y, 2009, "date() year")
  eq(m, 11, "date() month")
  eq(d, 10, "date() day")
  local h, mi, s = t:clock()
  eq(h, 23, "clock() hour")
  eq(mi, 4, "clock() minute")
  eq(s, 5, "clock() second")
  eq(t:year(), 2009, "year()")
  eq(t:month(), time.NOVEMBER, "month()")
  eq(t:day(), 10, "day()")
  eq(t:hour(), 23, "hour()")
  eq(t:minute(), 4, "minute()")
  eq(t:second(), 5, "second()")
  eq(t:nanosecond(), 123456789, "nanosecond()")
  eq(t:weekday(), time.TUESDAY, "weekday()")
  eq(t:year_day(), 314, "year_day()")
  eq(t:location(), "UTC", "location()")
  local before_epoch = time.date(1969, 12, 31, 23, 59, 59, 500000000)
  eq(before_epoch:second(), 59, "fields before the epoch")
  eq(before_epoch:nanosecond(), 500000000, "nanosecond before the epoch")
  eq(before_epoch:weekday(), time.WEDNESDAY, "weekday before the epoch")
  raises("colon", t.year)
  raises("colon", t.format, "2006")
end

local function formatting()
  local t = time.date(2009, 11, 10, 23, 4, 5, 123456789)
  local cases = {
    { "2006", "2009" }, { "06", "09" }, { "01", "11" }, { "1", "11" }, { "Jan", "Nov" },
    { "January", "November" }, { "02", "10" }, { "2", "10" }, { "_2", "10" }, { "002", "314" },
    { "15", "23" }, { "03", "11" }, { "3", "11" }, { "04", "04" }, { "4", "4" }, { "05", "05" },
    { "5", "5" }, { "PM", "PM" }, { "pm", "pm" }, { "Mon", "Tue" }, { "Monday", "Tuesday" },
    { "MST", "UTC" }, { "Z07:00", "Z" }, { "Z0700", "Z" }, { "Z07", "Z" }, { "-07:00", "+00:00" },
    { "-0700", "+0000" }, { "-07", "+00" }, { ".000", ".123" }, { ".000000", ".123456" },
    { ".000000000", ".123456789" }, { ".999", ".123" }, { ".999999999", ".123456789" },
    { ",000", ",123" }, { "15:04:05.00", "23:04:05.12" },
    { time.RFC3339, "2009-11-10T23:04:05Z" },
    { time.RFC3339NANO, "2009-11-10T23:04:05.123456789Z" },
    { time.RFC1123, "Tue, 10 Nov 2009 23:04:05 UTC" },
    { time.RFC822, "10 Nov 09 23:04 UTC" },
    { time.KITCHEN, "11:04PM" },
    { time.ANSIC, "Tue Nov 10 23:04:05 2009" },
    { time.DATE_TIME, "2009-11-10 23:04:05" },
    { time.DATE_ONLY, "2009-11-10" },
    { time.TIME_ONLY, "23:04:05" },
    { "Year: 2006!", "Year: 2009!" },
    { "", "" },
  }
  for _, c in ipairs(cases) do
    eq(t:format(c[1]), c[2], "format " .. c[1])
  end
  local early = time.date(2024, 3, 5, 9, 7, 8, 120000000)
  eq(early:format("_2|2|02|1|01|3|03|4|5|PM|pm"), " 5|5|05|3|03|9|09|7|8|AM|am", "short fields")
  eq(early:format("__2"), " 65", "padded year-day")
  eq(early:format("05.999"), "08.12", ".999 trims zeros")
  eq(early:format("05.000"), "08.120", ".000 keeps zeros")
  eq(time.date(2024, 3, 5, 9, 7, 8):format("05.999"), "08", ".999 drops the dot at zero")
  eq(time.date(2024, 1, 1, 0, 0):format(time.KITCHEN), "12:00AM", "midnight is 12AM")
  eq(time.date(2024, 1, 1, 12, 0):format(time.KITCHEN), "12:00PM", "noon is 12PM")
  eq(tostring(t), "2009-11-10 23:04:05.123456789 +0000 UTC", "tostring(t)")
  eq(tostring(time.date(2009, 11, 10)), "2009-11-10 00:00:00 +0000 UTC", "tostring without nsec")
  eq("at " .. time.date(2009, 11, 10), "at 2009-11-10 00:00:00 +0000 UTC", "string .. Time")
  eq(t:format_rfc3339(), "2009-11-10T23:04:05Z", "format_rfc3339()")

  local ist = t:in_location(time.fixed_zone("IST", 5 * 3600 + 1800))
  eq(ist:format(time.DATE_TIME), "2009-11-11 04:34:05", "in_location shifts the fields")
  eq(ist:format("Z07:00|Z0700|-07:00|-0700|-07|MST"), "+05:30|+0530|+05:30|+0530|+05|IST",
    "positive offsets")
  eq(ist:format_rfc3339(), "2009-11-11T04:34:05+05:30", "format_rfc3339 with an offset")
  eq(tostring(ist), "2009-11-11 04:34:05.123456789 +0530 IST", "tostring with a zone")
  local west = t:in_location(time.fixed_zone("", -7 * 3600))
  eq(west:format("Z07:00|-0700|MST"), "-07:00|-0700|-0700", "negative offset, unnamed zone")
  eq(west:format(time.RFC1123), "Tue, 10 Nov 2009 16:04:05 -0700", "RFC1123 unnamed zone")
  local odd = t:in_location(time.fixed_zone("", 3600 + 61))
  eq(odd:format("-07:00:00|-070000|Z07:00:00"), "+01:01:01|+010101|+01:01:01", "second offsets")
  raises("string layout expected", t.format, t, 5)
end

local function parsing()
  -- round trips through every constant
  local t = time.date(2009, 11, 10, 23, 4, 5, 123456789)
  local exact = { time.RFC3339NANO, time.STAMP_NANO, "2006-01-02T15:04:05.000000000Z07:00" }
  for _, layout in ipairs(exact) do
    eq(parse(layout, t:format(layout)):format(layout), t:format(layout), "round trip " .. layout)
  end
  for _, layout in ipairs({ time.RFC3339, time.RFC1123, time.RFC822, time.ANSIC, time.DATE_TIME,
    time.DATE_ONLY, time.TIME_ONLY, time.KITCHEN }) do
    local s = t:format(layout)
    eq(parse(layout, s):format(layout), s, "round trip " .. layout)
  end
  assert(parse(time.RFC3339NANO, t:format(time.RFC3339NANO)) == t, "RFC3339NANO keeps the instant")

  -- numeric offsets give the UTC instant and keep the offset for display
  local p = parse(time.RFC3339, "2024-02-29T12:30:00+02:00")
  eq(p:utc():format(time.RFC3339), "2024-02-29T10:30:00Z", "offset converted to UTC")
  eq(p:format(time.RFC3339), "2024-02-29T12:30:00+02:00", "offset kept for display")
  eq(p:unix(), time.date(2024, 2, 29, 10, 30):unix(), "instant of an offset time")
  local _, offset = p:zone()
  eq(offset, 7200, "parsed offset")
  local neg = parse(time.RFC3339NANO, "2024-01-01T00:00:00.5-05:30")
  eq(neg:utc():format(time.RFC3339NANO), "2024-01-01T05:30:00.5Z", "negative offset")
  eq(neg:format(time.RFC3339NANO), "2024-01-01T00:00:00.5-05:30", "negative offset round trip")
  eq(parse(time.RFC3339, "2024-01-01T00:00:00Z"):location(), "UTC", "Z is UTC")
  eq(parse(time.RFC3339, "2024-01-01T00:00:00+00:00"):location(), "UTC", "+00:00 is UTC")
  eq(parse("2006-01-02 15:04:05 -0700", "2024-01-01 00:00:00 +0100"):unix(),
    time.date(2023, 12, 31, 23):unix(), "-0700 layout")
  eq(parse("15:04 -07", "10:00 -03"):utc():hour(), 13, "-07 layout")

  -- fractional seconds
  eq(parse(time.RFC3339NANO, "2024-01-01T00:00:00.123Z"):nanosecond(), 123000000, ".999 short")
  eq(parse(time.RFC3339NANO, "2024-01-01T00:00:00Z"):nanosecond(), 0, ".999 absent")
  eq(parse("15:04:05.000", "10:00:00.250"):nanosecond(), 250000000, ".000 exact")
  fails(time.parse, { "15:04:05.000", "10:00:00.25" }, "cannot parse")
  eq(parse(time.DATE_TIME, "2024-01-01 10:00:00.5"):nanosecond(), 500000000,
    "fraction without a layout fraction")
  eq(parse(time.TIME_ONLY, "10:00:00,25"):nanosecond(), 250000000, "comma fraction")
  eq(parse("15:04:05,000", "10:00:00,001"):nanosecond(), 1000000, ",000 layout")

  -- names, 12-hour clock, defaults, spaces
  eq(parse(time.RFC1123, "Tue, 10 Nov 2009 23:04:05 UTC"):unix(), time.date(2009, 11, 10, 23, 4, 5)
    :unix(), "RFC1123")
  eq(parse("January 2 2006", "march 5 2024"):month(), 3, "month names ignore case")
  eq(parse("Jan _2 2006", "Feb  3 2024"):day(), 3, "_2 with a space")
  eq(parse(time.KITCHEN, "12:00AM"):hour(), 0, "12AM is hour 0")
  eq(parse(time.KITCHEN, "12:30PM"):hour(), 12, "12PM is hour 12")
  eq(parse(time.KITCHEN, "3:04PM"):hour(), 15, "3PM")
  eq(parse("3:04pm", "3:04am"):hour(), 3, "lower-case am")
  local only = parse(time.TIME_ONLY, "10:20:30")
  eq(only:year(), 0, "missing year is 0 (as in Go)")
  eq(only:month(), 1, "missing month is January")
  eq(only:day(), 1, "missing day is 1")
  eq(parse("06-01-02", "69-01-02"):year(), 1969, "two-digit year 69")
  eq(parse("06-01-02", "68-01-02"):year(), 2068, "two-digit year 68")
  eq(parse("2006 01", "2024    01"):month(), 1, "a layout space matches several")
  local cet = parse("15:04 MST", "10:00 CET")
  eq(cet:location(), "CET", "zone abbreviation kept")
  eq(cet:utc():hour(), 10, "unknown abbreviations have offset 0 (as in Go)")
  eq(parse("15:04 MST", "10:00 GMT+3"):utc():hour(), 7, "GMT+3 shifts the instant")
  local in_loc = time.parse(time.DATE_TIME, "2024-01-01 10:00:00", time.fixed_zone("X", 3600))
  eq(in_loc:utc():hour(), 9, "parse in a location")
  eq(in_loc:location(), "X", "parse in a location keeps it")

  -- errors
  fails(time.parse, { time.DATE_ONLY, "2024-13-01" }, 'time.parse: cannot parse "2024-13-01" as '
    .. '"2006-01-02": month out of range')
  fails(time.parse, { time.DATE_ONLY, "2024-00-01" }, "month out of range")
  fails(time.parse, { time.DATE_ONLY, "2024-02-30" }, "day out of range")
  fails(time.parse, { time.DATE_ONLY, "2024/01/02" }, '"2024/01/02"', 'cannot parse "/01/02" as "-"')
  fails(time.parse, { time.DATE_ONLY, "2024-01-02x" }, 'extra text "x"')
  fails(time.parse, { time.DATE_ONLY, "" }, 'cannot parse "" as "2006"')
  fails(time.parse, { time.DATE_ONLY, "24-01-02" }, '"2006"')
  fails(time.parse, { time.TIME_ONLY, "24:00:00" }, "hour out of range")
  fails(time.parse, { time.TIME_ONLY, "23:60:00" }, "minute out of range")
  fails(time.parse, { time.TIME_ONLY, "23:59:60" }, "second out of range")
  fails(time.parse, { time.KITCHEN, "13:00PM" }, "hour out of range")
  fails(time.parse, { time.RFC3339, "2024-01-01T00:00:00" }, 'as "Z07:00"')
  fails(time.parse, { time.RFC3339, "2024-01-01T00:00:00+0200" }, 'as "Z07:00"')
  fails(time.parse, { "Mon", "Xyz" }, 'as "Mon"')
  fails(time.parse, { time.DATE_ONLY, 20240101 }, "expected a string")
  raises("string layout expected", time.parse, nil, "2024")
end

local function durations()
  local cases = {
    { "1h30m", 90 * time.MINUTE }, { "1.5s", 1500 * MS }, { "300ms", 300 * MS },
    { "2us", 2000 }, { "2\u{b5}s", 2000 }, { "2\u{3bc}s", 2000 }, { "10ns", 10 },
    { "-1m", -time.MINUTE }, { "0", 0 }, { "-0", 0 }, { "+5s", 5 * S }, { ".5s", 500 * MS },
    { "1h1m1s1ms1us1ns", time.HOUR + time.MINUTE + S + MS + 1000 + 1 }, { "1.5h", 90 * time.MINUTE },
    { "0.1h", 6 * time.MINUTE }, { "1.0000000001s", S }, { "2562047h47m16.854775807s", math.maxinteger },
  }
  for _, c in ipairs(cases) do
    local d = time.parse_duration(c[1])
    assert(d, "parse_duration " .. c[1])
    eq(d:nanoseconds(), c[2], "parse_duration " .. c[1])
  end
  eq(time.parse_duration(1500):nanoseconds(), 1500, "integer nanoseconds")
  eq(time.parse_duration(2.6):nanoseconds(), 3, "floats round to nanoseconds")
  eq(time.parse_duration(-2.5):nanoseconds(), -3, "negative floats round away from zero")
  local d90 = time.parse_duration("90m")
  eq(time.parse_duration(d90), d90, "Duration passes through")
  fails(time.parse_duration, { "" }, 'invalid duration ""')
  fails(time.parse_duration, { "abc" }, 'invalid duration "abc"')
  fails(time.parse_duration, { "1" }, 'missing unit in duration "1"')
  fails(time.parse_duration, { "1x" }, 'unknown unit "x" in duration "1x"')
  fails(time.parse_duration, { "1h-1m" }, '"1h-1m"')
  fails(time.parse_duration, { "-" }, 'invalid duration "-"')
  fails(time.parse_duration, { ".s" }, 'invalid duration ".s"')
  fails(time.parse_duration, { " 1s" }, '" 1s"')
  fails(time.parse_duration, { "1S" }, 'unknown unit "S"')
  fails(time.parse_duration, { "9999999999h" }, '"9999999999h"')
  fails(time.parse_duration, { "100000000000000000000ns" }, "invalid duration")
  fails(time.parse_duration, { {} }, "expected a duration")
  fails(time.parse_duration, { nil }, "got nil")
  fails(time.parse_duration, { 0 / 0 }, "out of range")
  eq(time.duration(5):nanoseconds(), 5, "time.duration(ns)")
  eq(time.duration("1m"):seconds(), 60.0, "time.duration(string)")
  raises("invalid duration", time.duration, "x")

  -- string()
  local strings = {
    { 0, "0s" }, { 1, "1ns" }, { 999, "999ns" }, { 1500, "1.5\u{b5}s" }, { 1500 * 1000, "1.5ms" },
    { 1500 * MS, "1.5s" }, { 90 * time.MINUTE, "1h30m0s" }, { -time.MINUTE, "-1m0s" },
    { 100 * time.HOUR, "100h0m0s" }, { time.HOUR + 500 * MS, "1h0m0.5s" }, { -1, "-1ns" },
    { 61 * S, "1m1s" }, { math.maxinteger, "2562047h47m16.854775807s" },
    { math.mininteger, "-2562047h47m16.854775808s" },
  }
  for _, c in ipairs(strings) do
    eq(time.duration(c[1]):string(), c[2], "string() of " .. c[1])
    eq(tostring(time.duration(c[1])), c[2], "tostring() of " .. c[1])
  end
  eq("took " .. d90, "took 1h30m0s", "string .. Duration")

  -- accessors
  local d = time.parse_duration("1h15m30.5s")
  eq(d:hours(), 1 + 15 / 60 + 30.5 / 3600, "hours()")
  eq(d:minutes(), 75 + 30.5 / 60, "minutes()")
  eq(d:seconds(), 4530.5, "seconds()")
  eq(d:milliseconds(), 4530500, "milliseconds()")
  eq(d:microseconds(), 4530500000, "microseconds()")
  eq(d:nanoseconds(), 4530500000000, "nanoseconds()")
  eq(math.type(d:milliseconds()), "integer", "milliseconds() is an integer")
  eq(math.type(d:hours()), "float", "hours() is a float")
  local negd = time.duration(-1500000)
  eq(negd:milliseconds(), -1, "milliseconds() truncates toward zero")
  eq(negd:microseconds(), -1500, "microseconds() of a negative duration")
  eq(negd:seconds(), -0.0015, "seconds() of a negative duration")
  eq(time.duration(-90 * S):minutes(), -1.5, "minutes() of a negative duration")

  -- arithmetic and comparisons
  local a, b = time.duration("1s"), time.duration("500ms")
  eq((a + b):string(), "1.5s", "Duration + Duration")
  eq((a - b):string(), "500ms", "Duration - Duration")
  eq((b - a):string(), "-500ms", "negative difference")
  eq((-a):string(), "-1s", "unary minus")
  eq((a * 3):string(), "3s", "Duration * integer")
  eq((2 * a):string(), "2s", "integer * Duration")
  eq((a * 1.5):string(), "1.5s", "Duration * float")
  eq((a + 1):nanoseconds(), S + 1, "Duration + integer")
  eq((a + "1m"):string(), "1m1s", "Duration + string")
  assert(b < a, "Duration < Duration")
  assert(b <= a and a <= a, "Duration <= Duration")
  assert(a == time.duration(S), "Duration == Duration")
  assert(a ~= b, "Duration ~= Duration")
  assert(b < S and a <= S and S > b, "Duration compared with integers")
  eq(time.duration(-5):abs():nanoseconds(), 5, "abs()")
  eq(time.duration(math.mininteger):abs():nanoseconds(), math.maxinteger, "abs() of the minimum")

  -- round / truncate (Go's documentation examples)
  local r = time.parse_duration("1h15m30.918273645s")
  local rounds = { { "1ns", "1h15m30.918273645s" }, { "1us", "1h15m30.918274s" },
    { "1ms", "1h15m30.918s" }, { "1s", "1h15m31s" }, { "2s", "1h15m30s" }, { "1m", "1h16m0s" },
    { "10m", "1h20m0s" }, { "1h", "1h0m0s" } }
  for _, c in ipairs(rounds) do
    eq(r:round(c[1]):string(), c[2], "Duration:round(" .. c[1] .. ")")
  end
  local truncs = { { "1ns", "1h15m30.918273645s" }, { "1us", "1h15m30.918273s" },
    { "1ms", "1h15m30.918s" }, { "1s", "1h15m30s" }, { "2s", "1h15m30s" }, { "1m", "1h15m0s" },
    { "10m", "1h10m0s" }, { "1h", "1h0m0s" } }
  for _, c in ipairs(truncs) do
    eq(r:truncate(c[1]):string(), c[2], "Duration:truncate(" .. c[1] .. ")")
  end
  eq(time.duration("-1.5s"):round("1s"):string(), "-2s", "negative rounds away from zero")
  eq(time.duration("-1.4s"):round("1s"):string(), "-1s", "negative rounds to nearest")
  eq(time.duration("-1.5s"):truncate("1s"):string(), "-1s", "negative truncates toward zero")
  eq(r:round(0), r, "round(0) is unchanged")
  eq(r:truncate(-1), r, "truncate(-1) is unchanged")
  eq(time.duration(math.maxinteger):round("1h"):nanoseconds(), math.maxinteger,
    "round saturates")
  raises("invalid duration", r.round, r, "soon")
end

local function arithmetic()
  local t = time.date(2024, 1, 31, 12, 0, 0)
  eq(t:add("1h"):format(time.DATE_TIME), "2024-01-31 13:00:00", "add(string)")
  eq(t:add(time.duration("-30m")):format(time.DATE_TIME), "2024-01-31 11:30:00", "add(Duration)")
  eq(t:add(S + 1):format(time.RFC3339NANO), "2024-01-31T12:00:01.000000001Z", "add(integer)")
  eq(t:add(-1):format(time.RFC3339NANO), "2024-01-31T11:59:59.999999999Z", "add(-1ns)")
  eq(t:add("48h"):format(time.DATE_ONLY), "2024-02-02", "add across months")
  eq(t:add_date(0, 1, 0):format(time.DATE_ONLY), "2024-03-02", "Jan 31 + 1 month normalises")
  eq(t:add_date(0, 0, 30):format(time.DATE_ONLY), "2024-03-01", "add 30 days")
  eq(t:add_date(-1, 0, 0):format(time.DATE_ONLY), "2023-01-31", "subtract a year")
  eq(t:add_date(0, -13, 0):format(time.DATE_ONLY), "2022-12-31", "subtract 13 months")
  local ist = t:in_location(time.fixed_zone("IST", 19800))
  eq(ist:add_date(0, 0, 1):format(time.DATE_TIME), "2024-02-01 17:30:00",
    "add_date works on local fields")
  eq(ist:add_date(0, 0, 1):location(), "IST", "add_date keeps the location")

  local u = time.date(2024, 1, 30, 10, 30, 0)
  local diff = t:sub(u)
  eq(diff:string(), "25h30m0s", "sub()")
  eq(u:sub(t):string(), "-25h30m0s", "negative sub()")
  eq((t - u):string(), "25h30m0s", "Time - Time")
  eq((t - "1h"):format(time.DATE_TIME), "2024-01-31 11:00:00", "Time - duration")
  eq((t + "1h"):format(time.DATE_TIME), "2024-01-31 13:00:00", "Time + duration")
  eq((time.duration("1h") + t):format(time.DATE_TIME), "2024-01-31 13:00:00", "Duration + Time")
  eq(u:add(diff), t, "u + (t - u) == t")
  raises("Time expected", t.sub, t, 5)

  assert(u:before(t), "before()")
  assert(not t:before(u), "not before()")
  assert(t:after(u), "after()")
  assert(not u:after(t), "not after()")
  assert(t:equal(t:add(0)), "equal()")
  assert(t:equal(ist), "equal() ignores the location")
  assert(t == ist, "== compares instants")
  assert(not t:equal(u), "not equal()")
  eq(t:compare(u), 1, "compare() greater")
  eq(u:compare(t), -1, "compare() less")
  eq(t:compare(ist), 0, "compare() equal")
  assert(u < t and u <= t and t <= ist and not (t < ist), "< and <= on Times")
  assert(t:add(1) > t, "nanosecond ordering")
  raises("Time expected", t.before, t, "2024")
end

local function rounding()
  local layout = "15:04:05.999999999"
  local t = time.date(0, 0, 0, 12, 15, 30, 918273645)
  local rounds = { { "1ns", "12:15:30.918273645" }, { "1us", "12:15:30.918274" },
    { "1ms", "12:15:30.918" }, { "1s", "12:15:31" }, { "2s", "12:15:30" }, { "1m", "12:16:00" },
    { "10m", "12:20:00" }, { "1h", "12:00:00" } }
  for _, c in ipairs(rounds) do
    eq(t:round(c[1]):format(layout), c[2], "Time:round(" .. c[1] .. ")")
  end
  local p = parse("2006 Jan 02 15:04:05", "2012 Dec 07 12:15:30.918273645")
  local truncs = { { "1ns", "12:15:30.918273645" }, { "1us", "12:15:30.918273" },
    { "1ms", "12:15:30.918" }, { "1s", "12:15:30" }, { "2s", "12:15:30" }, { "1m", "12:15:00" },
    { "10m", "12:10:00" }, { "1h", "12:00:00" } }
  for _, c in ipairs(truncs) do
    eq(p:truncate(c[1]):format(layout), c[2], "Time:truncate(" .. c[1] .. ")")
  end
  -- relative to the zero time (a Monday), on the absolute instant
  eq(time.date(2024, 2, 29, 15):truncate(7 * 24 * time.HOUR):format(time.DATE_TIME),
    "2024-02-26 00:00:00", "truncate to a week starts on Monday")
  local zoned = time.date(2024, 1, 1, 12, 0, 0, 0, time.fixed_zone("", 5 * 3600))
  eq(zoned:round("24h"):utc():format(time.DATE_TIME), "2024-01-01 00:00:00",
    "round(24h) works on UTC days")
  eq(zoned:round("24h"):hour(), 5, "round keeps the location")
  eq(t:round(0), t, "round(0) is unchanged")
  eq(t:truncate(-5), t, "truncate(negative) is unchanged")
  eq(time.date(2024, 1, 1, 0, 0, 0, 500000000):round("1s"):second(), 1, "half rounds up")
  eq(time.date(1969, 12, 31, 23, 59, 59, 500000000):round(S):format(time.DATE_TIME),
    "1970-01-01 00:00:00", "round before the epoch")
  local odd = time.date(2024, 1, 1, 0, 0, 0, 333)
  local cut = odd:truncate(7)
  assert(cut <= odd and odd:sub(cut):nanoseconds() < 7, "truncate(7ns) moves back less than 7ns")
  eq(time.date(2024, 5, 17, 13, 47, 31):truncate(time.duration("13h17m")):format(time.DATE_TIME),
    "2024-05-17 02:59:00", "truncate to an odd duration")
  raises("invalid duration", t.truncate, t, "x")
end

local function zones_and_misc()
  local t = time.date(2024, 6, 1, 12)
  local tokyo = time.fixed_zone("JST", 9 * 3600)
  eq(tostring(tokyo), "JST", "tostring(Location)")
  local jt = t:in_location(tokyo)
  eq(jt:hour(), 21, "in_location hour")
  eq(jt:location(), "JST", "location() name")
  local name, offset = jt:zone()
  eq(name, "JST", "zone() name")
  eq(offset, 32400, "zone() offset")
  eq(jt:utc():location(), "UTC", "utc()")
  eq(jt:utc():hour(), 12, "utc() hour")
  eq(jt:in_local():location(), "UTC", "in_local() is UTC")
  eq(t:in_location("UTC"):location(), "UTC", "in_location accepts \"UTC\"")
  eq(time.load_location("UTC"), time.utc, "load_location(UTC)")
  eq(time.load_location("Local"), time.utc, "load_location(Local)")
  fails(time.load_location, { "Europe/Paris" }, "Europe/Paris")
  raises("Location expected", t.in_location, t, "Europe/Paris")
  raises("integer expected", time.fixed_zone, "X", "1h")
  raises("string expected", time.fixed_zone, 1, 3600)
  eq(time.unix(0):in_location(time.fixed_zone("", -3600)):format(time.DATE_TIME),
    "1969-12-31 23:00:00", "negative offset before the epoch")
end

local function sleeping()
  eq(select("#", time.sleep("1ms")), 0, "sleep(string) returns nothing")
  eq(select("#", time.sleep(1000)), 0, "sleep(integer) returns nothing")
  eq(select("#", time.sleep(time.duration("1us"))), 0, "sleep(Duration) returns nothing")
  eq(select("#", time.sleep(0)), 0, "sleep(0)")
  local before = time.now()
  time.sleep("2ms")
  assert(time.now() >= before, "the clock does not go backwards across a sleep")
  fails(time.sleep, { -1 }, "negative duration -1ns")
  fails(time.sleep, { "-1s" }, "time.sleep", "negative")
  fails(time.sleep, { "soon" }, 'invalid duration "soon"')
  fails(time.sleep, { {} }, "expected a duration")
  fails(time.sleep, { nil }, "got nil")
end

return function()
  constants()
  now()
  construction()
  leap_years()
  extremes()
  fields()
  formatting()
  parsing()
  durations()
  arithmetic()
  rounding()
  zones_and_misc()
  sleeping()
  return true
end
