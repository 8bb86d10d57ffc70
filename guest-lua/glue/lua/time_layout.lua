-- time_layout.lua: part of the `time` face (assembled by time.lua). Owns Go's layout strings
-- ("2006-01-02 15:04:05 -0700 MST"): the tokenizer that finds their elements (Go's
-- nextStdChunk, also used by time_parse.lua) and formatting a Time with a layout (Go's
-- Time.Format), including a small cache of compiled layouts.
--
-- Chunk arguments: util (from time_util.lua), calendar (from time_calendar.lua).
-- Returns: layout = {next_chunk, is_digit_at, format}; format(t, layout_string) -> string.
local util, calendar = ...
local type, tostring, ipairs = type, tostring, ipairs
local sfmt, ssub, sbyte = string.format, string.sub, string.byte
local concat = table.concat
local quo, rem = util.quo, util.rem
local fields = calendar.fields
local MONTH_NAMES, DAY_NAMES = calendar.MONTH_NAMES, calendar.DAY_NAMES
local SHORT_MONTHS, SHORT_DAYS = calendar.SHORT_MONTHS, calendar.SHORT_DAYS

---------------------------------------------------------------------------------------------------
-- The tokenizer (Go's nextStdChunk), shared with time_parse.lua

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

return { next_chunk = next_chunk, is_digit_at = is_digit_at, format = format }
