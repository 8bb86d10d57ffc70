-- compress.lua: the Lua face of the `compress` module (Wippy: wippyai/docs en/lua/data/compress.md);
-- mod_compress.c calls the host, which does the work and bounds every decompression.
--
--   compress.gzip / deflate / zlib / brotli / zstd .encode(data, {level=}) -> bytes | nil, err
--   compress.<format>.decode(data, {max_size=})                         -> bytes | nil, err
--   zstd's encode/decode also take {dict=}; compress.zstd.train_dict(samples, {size=, id=, level=})
--   and compress.zstd.inspect_dict(dict) -> {id=, content_size=}
local raw = ...
local errors = errors
local type, tointeger, pairs, ipairs = type, math.tointeger, pairs, ipairs

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = message, retryable = false })
end

-- The options table's fields, checked: nil and an error message when one has the wrong type.
local function fields(call, options, wanted)
  if options == nil then return {} end
  if type(options) ~= "table" then return nil, call .. ": options must be a table" end
  local out = {}
  for name, kind in pairs(wanted) do
    local value = options[name]
    if value ~= nil then
      if kind == "integer" then
        value = tointeger(value)
        if value == nil then return nil, call .. ": " .. name .. " must be an integer" end
      elseif type(value) ~= "string" then
        return nil, call .. ": " .. name .. " must be a string"
      end
      out[name] = value
    end
  end
  return out
end

local function codec(name, format, dicts)
  local encode_fields = { level = "integer", dict = dicts and "string" or nil }
  local decode_fields = { max_size = "integer", dict = dicts and "string" or nil }
  local face = {}

  function face.encode(data, options)
    local call = name .. ".encode"
    if type(data) ~= "string" then return invalid(call .. ": data must be a string") end
    local o, err = fields(call, options, encode_fields)
    if not o then return invalid(err) end
    return raw.encode(format, data, o.level, o.dict)
  end

  function face.decode(data, options)
    local call = name .. ".decode"
    if type(data) ~= "string" then return invalid(call .. ": data must be a string") end
    local o, err = fields(call, options, decode_fields)
    if not o then return invalid(err) end
    return raw.decode(format, data, o.max_size, o.dict)
  end

  return face
end

local compress = {
  gzip = codec("gzip", 0),
  deflate = codec("deflate", 1),
  zlib = codec("zlib", 2),
  brotli = codec("brotli", 3),
  zstd = codec("zstd", 4, true),
}

function compress.zstd.train_dict(samples, options)
  local call = "zstd.train_dict"
  if type(samples) ~= "table" then return invalid(call .. ": samples must be an array of strings") end
  for _, sample in ipairs(samples) do
    if type(sample) ~= "string" then return invalid(call .. ": every sample must be a string") end
  end
  local o, err = fields(call, options, { size = "integer", id = "integer", level = "integer" })
  if not o then return invalid(err) end
  return raw.train_dict(samples, o.size, o.id, o.level)
end

function compress.zstd.inspect_dict(dict)
  if type(dict) ~= "string" then return invalid("zstd.inspect_dict: dict must be a string") end
  return raw.inspect_dict(dict)
end

return compress
