-- time_parse.lua: part of the `time` face (assembled by time.lua). Owns parsing a string with a
-- Go layout (Go's time.Parse): reading each layout element from the value, range checks, the
-- day-of-year and AM/PM rules, and zone resolution (numeric offsets, "Z", zone abbreviations such
-- as "UTC", "GMT+3", "+03"); and the public time.parse.
--
-- Chunk arguments: time (the module table, filled in here), util (from time_util.lua), calendar
-- (from time_calendar.lua), zones (from time_location.lua), layout (from time_layout.lua),
-- instant (from time_instant.lua).
-- Returns: nothing.
local time, util, calendar, zones, layout, instant = ...
local type, tonumber, error = type, tonumber, error
local sfmt, ssub, sbyte, slower = string.format, string.sub, string.byte, string.lower
local quote = util.quote
local is_leap, days_in, DAYS_BEFORE = calendar.is_leap, calendar.days_in, calendar.DAYS_BEFORE
local MONTH_NAMES, DAY_NAMES = calendar.MONTH_NAMES, calendar.DAY_NAMES
local SHORT_MONTHS, SHORT_DAYS = calendar.SHORT_MONTHS, calendar.SHORT_DAYS
local UTC, new_location, check_location = zones.UTC, zones.new_location, zones.check_location
local next_chunk, is_digit_at = layout.next_chunk, layout.is_digit_at
local new_time, make_date = instant.new_time, instant.make_date

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
