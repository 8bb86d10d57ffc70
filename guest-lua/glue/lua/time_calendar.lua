-- time_calendar.lua: part of the `time` face (assembled by time.lua). Owns the proleptic Gregorian
-- calendar: conversions between civil dates and days since 1970-01-01 (Howard Hinnant's
-- days_from_civil / civil_from_days), leap years, month lengths, English month and weekday names,
-- and the calendar fields of a Time in its location. os.date is not used.
--
-- Chunk arguments: none.
-- Returns: calendar = {days_from_civil, civil_from_days, is_leap, days_in, DAYS_BEFORE, fields,
--   MONTH_NAMES, DAY_NAMES, SHORT_MONTHS, SHORT_DAYS}.
local ssub = string.sub

local MONTH_NAMES = { "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December" }
local DAY_NAMES = { [0] = "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
  "Saturday" }
local SHORT_MONTHS, SHORT_DAYS = {}, {}
for i = 1, 12 do SHORT_MONTHS[i] = ssub(MONTH_NAMES[i], 1, 3) end
for i = 0, 6 do SHORT_DAYS[i] = ssub(DAY_NAMES[i], 1, 3) end

-- Civil date <-> days since 1970-01-01 (day 0).
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

-- Days before month m (Go's daysBefore, index 0..12).
local DAYS_BEFORE = { [0] = 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365 }

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

return {
  days_from_civil = days_from_civil, civil_from_days = civil_from_days, is_leap = is_leap,
  days_in = days_in, DAYS_BEFORE = DAYS_BEFORE, fields = fields,
  MONTH_NAMES = MONTH_NAMES, DAY_NAMES = DAY_NAMES, SHORT_MONTHS = SHORT_MONTHS,
  SHORT_DAYS = SHORT_DAYS,
}
