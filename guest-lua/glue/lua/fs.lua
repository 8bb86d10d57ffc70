-- fs.lua: the Lua face of the `fs` module (mod_fs.c holds the raw calls; the host side is
-- host/src/modules/fs/). Wippy: wippyai/docs en/lua/storage/filesystem.md.
--
--   local fs = require("fs")
--   local vol, err = fs.get("app:data")           -- an fs.directory entry
--   vol:writefile("/a.txt", "hi")                 -- "w" (default), "a", "wx"; true | nil, err
--   local text, err = vol:readfile("/a.txt")      -- at most the sandbox's max_payload
--   vol:exists(p), vol:isdir(p), vol:stat(p)      -- stat: name size mode modified is_dir type
--   vol:mkdir(p), vol:remove(p)                   -- true | nil, err
--   for e in vol:readdir("/") do print(e.name, e.type) end
--   vol:chdir("docs"); vol:pwd()                  -- relative paths start at the working dir
--   local f = vol:open("/a.txt", "r")             -- "r", "w", "a", "wx", "r+"
--   f:read(4096), f:write(s), f:seek("set", 0), f:stat(), f:sync(), f:close()
--   local sc = f:scanner("lines"); while sc:scan() do print(sc:text()) end
--
-- Paths start at the volume's root (`/`); the host keeps every one inside it. A file object
-- that is collected without close() is closed then, and every file closes when the sandbox ends.
local raw = ...
local errors = errors
local type, setmetatable, getmetatable, rawget, tostring, select = type, setmetatable,
  getmetatable, rawget, tostring, select
local utf8_len, concat, find, sub, byte = utf8.len, table.concat, string.find, string.sub,
  string.byte
local tointeger = math.tointeger

local function fail(kind, message)
  return nil, errors.new({ kind = kind, message = message, retryable = false })
end

local function invalid(message) return fail(errors.INVALID, message) end

local fs = {}

fs.type = { FILE = "file", DIR = "directory" }
fs.seek = { SET = "set", CUR = "cur", END = "end" }

-- The codes of wit/fs.wit's enums.
local OPEN_MODES = { r = 0, w = 1, a = 2, wx = 3, ["r+"] = 4 }
local WRITE_MODES = { w = 1, a = 2, wx = 3 }
local WHENCE = { set = 0, cur = 1, ["end"] = 2 }

-- Private fields, under keys user code cannot name.
local NUMBER, ID, CWD, FILE, PATH = {}, {}, {}, {}, {}

-- `path` with `.`, `..` and empty parts worked out, starting with `/` (the host refuses a `..`
-- above the root before anything is shown).
local function clean(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      parts[#parts] = nil
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return "/" .. concat(parts, "/")
end

local Volume = {}
local volume_mt = {
  __index = Volume,
  __name = "fs.volume",
  __tostring = function(v) return "fs volume: " .. rawget(v, ID) end,
  __gc = function(v)
    local n = rawget(v, NUMBER)
    if n then raw.release_volume(n) end
  end,
}

-- The volume number of `v` and `path` resolved against its working directory, or nil and the
-- error to return.
local function target(v, path, name)
  if type(v) ~= "table" or rawget(v, NUMBER) == nil then
    return invalid("fs: call " .. name .. " with a colon on a volume: vol:" .. name .. "(...)")
  end
  if type(path) ~= "string" then
    return invalid("fs: " .. name .. ": the path must be a string, got " .. type(path))
  elseif path == "" then
    return invalid("fs: " .. name .. ": the path is empty")
  elseif utf8_len(path) == nil then
    return invalid("fs: " .. name .. ": the path must be UTF-8 text")
  end
  if byte(path, 1) ~= 47 then -- not "/": relative to the working directory
    path = rawget(v, CWD) .. "/" .. path
  end
  return rawget(v, NUMBER), path
end

local function on_path(name, call)
  return function(v, path)
    local n, p = target(v, path, name)
    if not n then return nil, p end
    return call(n, p)
  end
end

Volume.exists = on_path("exists", raw.exists)
Volume.stat = on_path("stat", raw.stat)
Volume.mkdir = on_path("mkdir", raw.mkdir)
Volume.remove = on_path("remove", raw.remove)

function Volume.readfile(v, path)
  local n, p = target(v, path, "readfile")
  if not n then return nil, p end
  return raw.read_file(n, p)
end
Volume.read_file = Volume.readfile

function Volume.writefile(v, path, data, mode)
  local n, p = target(v, path, "writefile")
  if not n then return nil, p end
  if type(data) == "number" then data = tostring(data) end
  if type(data) ~= "string" then
    return invalid("fs: writefile: the data must be a string, got " .. type(data))
  end
  local code = WRITE_MODES[mode == nil and "w" or mode]
  if not code then
    return invalid("fs: writefile: invalid mode " .. tostring(mode) .. ' (expected "w", "a" or "wx")')
  end
  return raw.write_file(n, p, data, code)
end
Volume.write_file = Volume.writefile

function Volume.isdir(v, path)
  local n, p = target(v, path, "isdir")
  if not n then return nil, p end
  local info, err = raw.stat(n, p)
  if info then return info.is_dir end
  if err:kind() == errors.NOT_FOUND then return false end
  return nil, err
end

local function no_entries() return nil end

-- An iterator over the entries of a directory for a generic `for`; on failure one that yields
-- nothing, and the error.
function Volume.readdir(v, path)
  local n, p = target(v, path, "readdir")
  if not n then return no_entries, p end
  local list, err = raw.read_dir(n, p)
  if not list then return no_entries, err end
  local i = 0
  return function()
    i = i + 1
    return list[i]
  end, list
end

function Volume.chdir(v, path)
  local n, p = target(v, path, "chdir")
  if not n then return nil, p end
  local info, err = raw.stat(n, p)
  if not info then return nil, err end
  if not info.is_dir then return invalid("fs: chdir: '" .. path .. "' is not a directory") end
  v[CWD] = clean(p)
  return true
end

function Volume.pwd(v)
  if type(v) ~= "table" or rawget(v, NUMBER) == nil then
    return invalid("fs: call pwd with a colon on a volume: vol:pwd()")
  end
  return rawget(v, CWD)
end

local File = {}
local file_mt = {
  __index = File,
  __name = "fs.file",
  __tostring = function(f) return "fs file: " .. rawget(f, PATH) end,
  __gc = function(f)
    local n = rawget(f, FILE)
    if n then raw.close(n) end
  end,
}
file_mt.__close = file_mt.__gc

function Volume.open(v, path, mode)
  local n, p = target(v, path, "open")
  if not n then return nil, p end
  local code = OPEN_MODES[mode == nil and "r" or mode]
  if not code then
    return invalid("fs: open: invalid mode " .. tostring(mode) .. ' (expected "r", "w", "a", "wx" or "r+")')
  end
  local f, err = raw.open(n, p, code)
  if not f then return nil, err end
  return setmetatable({ [FILE] = f, [PATH] = clean(p) }, file_mt)
end

-- The file number of `f`, or nil and the error to return.
local function file_of(f, name)
  if type(f) ~= "table" or rawget(f, PATH) == nil then
    return invalid("fs: call " .. name .. " with a colon on a file: f:" .. name .. "(...)")
  end
  local n = rawget(f, FILE)
  if not n then return invalid("fs: " .. name .. ": the file is closed") end
  return n
end

function File.read(f, size)
  local n, err = file_of(f, "read")
  if not n then return nil, err end
  if size == nil then size = 4096 end
  local count = tointeger(size)
  if not count or count <= 0 then
    return invalid("fs: read: the size must be a positive integer, got " .. tostring(size))
  end
  return raw.read(n, count)
end

function File.write(f, data)
  local n, err = file_of(f, "write")
  if not n then return nil, err end
  if type(data) == "number" then data = tostring(data) end
  if type(data) ~= "string" then
    return invalid("fs: write: the data must be a string, got " .. type(data))
  end
  return raw.write(n, data)
end

function File.seek(f, whence, offset)
  local n, err = file_of(f, "seek")
  if not n then return nil, err end
  local code = WHENCE[whence]
  if not code then
    return invalid("fs: seek: whence must be \"set\", \"cur\" or \"end\", got " .. tostring(whence))
  end
  local by = tointeger(offset == nil and 0 or offset)
  if not by then return invalid("fs: seek: the offset must be an integer, got " .. tostring(offset)) end
  return raw.seek(n, code, by)
end

function File.stat(f)
  local n, err = file_of(f, "stat")
  if not n then return nil, err end
  return raw.file_stat(n)
end

function File.sync(f)
  local n, err = file_of(f, "sync")
  if not n then return nil, err end
  return raw.sync(n)
end

function File.close(f)
  local n, err = file_of(f, "close")
  if not n then return nil, err end
  f[FILE] = nil
  raw.close(n)
  return true
end

-- Scanner: tokens read from a file in chunks, as Go's bufio.Scanner splits them.
local CHUNK = 65536
local MAX_TOKEN = 1 << 20
local SPLITS = { lines = true, words = true, bytes = true, runes = true }

local Scanner = {}
local scanner_mt = { __index = Scanner, __name = "fs.scanner" }

function File.scanner(f, split)
  local n, err = file_of(f, "scanner")
  if not n then return nil, err end
  split = split == nil and "lines" or split
  if not SPLITS[split] then
    return invalid("fs: scanner: split must be \"lines\", \"words\", \"bytes\" or \"runes\", got "
      .. tostring(split))
  end
  return setmetatable({ file = f, split = split, buf = "", pos = 1, eof = false }, scanner_mt)
end

-- Read one more chunk into the buffer; false at the end of the file or on an error.
local function fill(s)
  if s.eof then return false end
  local n = rawget(s.file, FILE)
  if not n then
    s.eof, s.failure = true, select(2, invalid("fs: scanner: the file is closed"))
    return false
  end
  if #s.buf - s.pos + 1 >= MAX_TOKEN then
    s.eof, s.failure = true, select(2, invalid("fs: scanner: a token is longer than 1 MiB"))
    return false
  end
  local chunk, err = raw.read(n, CHUNK)
  if not chunk then
    s.eof, s.failure = true, err
    return false
  end
  if chunk == "" then
    s.eof = true
    return false
  end
  s.buf, s.pos = sub(s.buf, s.pos) .. chunk, 1
  return true
end

local function rune_length(b)
  if b >= 0xF0 then return 4 elseif b >= 0xE0 then return 3 elseif b >= 0xC0 then return 2 end
  return 1
end

-- The next token and where the one after it starts, or nil when more data is needed.
local next_token = {
  lines = function(buf, pos, eof)
    local nl = find(buf, "\n", pos, true)
    local last
    if nl then
      last = nl - 1
    elseif eof and pos <= #buf then
      last, nl = #buf, #buf
    else
      return nil
    end
    if last >= pos and byte(buf, last) == 13 then last = last - 1 end
    return sub(buf, pos, last), nl + 1
  end,
  words = function(buf, pos, eof)
    local first = find(buf, "%S", pos)
    if not first then return nil, #buf + 1 end -- only spaces: drop them
    local after = find(buf, "%s", first)
    if not after then
      if not eof then return nil end
      after = #buf + 1
    end
    return sub(buf, first, after - 1), after
  end,
  bytes = function(buf, pos)
    if pos > #buf then return nil end
    return sub(buf, pos, pos), pos + 1
  end,
  runes = function(buf, pos, eof)
    if pos > #buf then return nil end
    local last = pos + rune_length(byte(buf, pos)) - 1
    if last > #buf and not eof then return nil end
    local rune = sub(buf, pos, last)
    if utf8_len(rune) ~= 1 then return "\u{FFFD}", pos + 1 end
    return rune, last + 1
  end,
}

function Scanner.scan(s)
  if getmetatable(s) ~= scanner_mt then error("call scan with a colon: sc:scan()", 2) end
  local split = next_token[s.split]
  while true do
    local token, after = split(s.buf, s.pos, s.eof)
    if token then
      s.token, s.pos = token, after
      return true
    end
    if after then s.pos = after end
    if not fill(s) then
      -- At the end, what is left may now be a last token.
      token, after = split(s.buf, s.pos, true)
      if token and not s.failure then
        s.token, s.pos = token, after
        return true
      end
      s.token = nil
      return false
    end
  end
end

function Scanner.text(s) return s.token or "" end

function Scanner.err(s) return s.failure end

function fs.get(id)
  if type(id) ~= "string" then
    return invalid("fs.get expects a volume entry id (a string), got " .. type(id))
  elseif utf8_len(id) == nil then
    return invalid("fs.get: the id must be UTF-8 text")
  end
  local n, full_id = raw.open_volume(id)
  if not n then return nil, full_id end
  return setmetatable({ [NUMBER] = n, [ID] = full_id, [CWD] = "/" }, volume_mt)
end

return fs
