-- uuid.lua: the Lua face of the `uuid` module (mod_uuid.c gets v4/v7 from the host).
--
--   uuid.v4()  uuid.v7()            -> "xxxxxxxx-xxxx-Mxxx-Nxxx-xxxxxxxxxxxx"
--   uuid.validate(s) -> boolean     uuid.version(s) -> integer | nil, err
local raw = ...
local errors = errors
local type, tostring, tonumber = type, tostring, tonumber
local PATTERN = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

local uuid = {}

function uuid.v4()
  return raw.v4()
end

function uuid.v7()
  return raw.v7()
end

function uuid.validate(value)
  return type(value) == "string" and value:match(PATTERN) ~= nil
end

function uuid.version(value)
  if not uuid.validate(value) then
    return nil, errors.new({ kind = errors.INVALID, message = "not a UUID: " .. tostring(value) })
  end
  return tonumber(value:sub(15, 15), 16)
end

return uuid
