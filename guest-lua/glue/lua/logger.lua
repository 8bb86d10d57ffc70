-- logger.lua: the Lua face of the `logger` module (mod_logger.c writes the records).
--
--   local logger = require("logger")
--   logger:info("order placed", {id = 42})        -- the reference's colon form
--   logger.warn("disk almost full")               -- the dot form works too (docs/architecture.md §6)
--   local log = logger:named("billing"):with({tenant = "a"})
--
-- Records go to the host log tagged with the entry id, the logger's name and the fields.
local raw = ...
local type, pairs, tostring, setmetatable, rawequal = type, pairs, tostring, setmetatable, rawequal

local Logger = { __name = "Logger" }
local LEVELS = { "debug", "info", "warn", "error" }

local function merge(base, extra)
  local fields = {}
  for k, v in pairs(base) do
    fields[k] = v
  end
  if type(extra) == "table" then
    for k, v in pairs(extra) do
      fields[k] = v
    end
  end
  return fields
end

-- Every logger carries its own functions, bound to it, so `log.info(...)` (dot) and
-- `log:info(...)` (colon) both work on child loggers too.
local function new(name, fields)
  local logger = setmetatable({}, Logger)
  local function args(first, ...)
    if rawequal(first, logger) then
      return ...
    end
    return first, ...
  end
  for _, level in pairs(LEVELS) do
    logger[level] = function(...)
      local message, extra = args(...)
      raw.write(level, name, message, merge(fields, extra))
    end
  end
  logger.with = function(...)
    local extra = args(...)
    return new(name, merge(fields, extra))
  end
  logger.named = function(...)
    local child = tostring((args(...)))
    return new(name == "" and child or name .. "." .. child, fields)
  end
  return logger
end

return new("", {})
