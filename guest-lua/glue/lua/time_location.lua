-- time_location.lua: part of the `time` face (assembled by time.lua). Owns Location, a zone name
-- with a fixed offset in seconds east of UTC (only UTC and fixed offsets exist in luabox), and the
-- public time.utc, time.localtz (also UTC), time.fixed_zone and time.load_location.
--
-- Chunk arguments: time (the module table, filled in here), util (from time_util.lua).
-- Returns: zones = {UTC, new_location, check_location}.
local time, util = ...
local type, tostring, error = type, tostring, error
local getmetatable, setmetatable = getmetatable, setmetatable
local sfmt = string.format
local quote, check_int = util.quote, util.check_int

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

return { UTC = UTC, new_location = new_location, check_location = check_location }
