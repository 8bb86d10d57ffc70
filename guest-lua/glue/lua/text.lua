-- text.lua: the Lua face of the `text` module (Wippy: wippyai/docs en/lua/text/text.md).
-- mod_text.c reaches the host for regular expressions and diffs; the splitters are Lua only.
--
--   text.regexp.compile(pattern) -> Regexp | nil, err
--     re:match_string(s) find_string find_all_string find_string_submatch
--     find_all_string_submatch find_string_index find_all_string_index ({start, end}, 1-based,
--     end inclusive as string.find's) replace_all_string(s, repl) split(s, n) num_subexp()
--     subexp_names() string()
--   text.diff.new([options]) -> Differ: compare summarize pretty_text pretty_html patch_make
--     patch_apply; patches are an array of diff-match-patch patch texts
--   text.splitter.recursive(options) / markdown(options) -> Splitter: split_text split_batch
local raw = ...
local errors = errors
local type, tostring, tointeger, setmetatable, ipairs, pairs = type, tostring, math.tointeger, setmetatable, ipairs, pairs
local concat, insert = table.concat, table.insert
local sub, find, gsub = string.sub, string.find, string.gsub
local utf8len = utf8.len

local function invalid(message)
  return nil, errors.new({ kind = errors.INVALID, message = message, retryable = false })
end

---------------------------------------------------------------- regular expressions

local Regexp = {}
Regexp.__index = Regexp

local regexp = {}

function regexp.compile(pattern)
  if type(pattern) ~= "string" then return invalid("text.regexp.compile: pattern must be a string") end
  local count, names = raw.compile(pattern)
  if count == nil then return nil, names end
  return setmetatable({ _pattern = pattern, _count = count, _names = names }, Regexp)
end

-- The matches of re in s (up to limit, every one when -1), as span arrays.
local function spans(re, s, limit, groups)
  if type(s) ~= "string" then error("text.regexp: the string to search must be a string", 3) end
  local found, err = raw.find(re._pattern, s, limit, groups)
  if not found then error(tostring(err), 3) end
  return found
end

local function texts(s, m)
  local out = {}
  for i = 1, #m, 2 do
    out[#out + 1] = m[i] >= 0 and sub(s, m[i] + 1, m[i + 1]) or ""
  end
  return out
end

function Regexp:match_string(s) return #spans(self, s, 1, false) > 0 end

function Regexp:find_string(s)
  local m = spans(self, s, 1, false)[1]
  return m and sub(s, m[1] + 1, m[2]) or nil
end

function Regexp:find_all_string(s)
  local out = {}
  for i, m in ipairs(spans(self, s, -1, false)) do out[i] = sub(s, m[1] + 1, m[2]) end
  return out
end

function Regexp:find_string_submatch(s)
  local m = spans(self, s, 1, true)[1]
  return m and texts(s, m) or nil
end

function Regexp:find_all_string_submatch(s)
  local out = {}
  for i, m in ipairs(spans(self, s, -1, true)) do out[i] = texts(s, m) end
  return out
end

function Regexp:find_string_index(s)
  local m = spans(self, s, 1, false)[1]
  return m and { m[1] + 1, m[2] } or nil
end

function Regexp:find_all_string_index(s)
  local found = spans(self, s, -1, false)
  if #found == 0 then return nil end
  local out = {}
  for i, m in ipairs(found) do out[i] = { m[1] + 1, m[2] } end
  return out
end

function Regexp:replace_all_string(s, repl)
  if type(s) ~= "string" or type(repl) ~= "string" then
    error("text.regexp: replace_all_string takes two strings", 2)
  end
  local out, err = raw.replace_all(self._pattern, s, repl)
  if not out then error(tostring(err), 2) end
  return out
end

function Regexp:split(s, n)
  if type(s) ~= "string" then error("text.regexp: split takes a string", 2) end
  n = n == nil and -1 or tointeger(n)
  if n == nil then error("text.regexp: split's n must be an integer", 2) end
  local parts, err = raw.split(self._pattern, s, n)
  if not parts then error(tostring(err), 2) end
  return parts
end

function Regexp:num_subexp() return self._count end

-- Go's SubexpNames: the whole match's name ("") first, "" for each unnamed group.
function Regexp:subexp_names()
  local out = {}
  for i, name in ipairs(self._names) do out[i] = name end
  return out
end

function Regexp:string() return self._pattern end

---------------------------------------------------------------- diffs

local OPERATIONS = { [0] = "equal", [1] = "delete", [2] = "insert" }
local Differ = {}
Differ.__index = Differ

local DIFF_DEFAULTS = {
  diff_timeout = 1.0, diff_edit_cost = 4, match_threshold = 0.5,
  match_distance = 1000, patch_delete_threshold = 0.5, patch_margin = 4,
}
local DIFF_INTEGERS = { diff_edit_cost = true, match_distance = true, patch_margin = true }

local diff = {}

function diff.new(options)
  if options ~= nil and type(options) ~= "table" then return invalid("text.diff.new: options must be a table") end
  local o = {}
  for name, default in pairs(DIFF_DEFAULTS) do
    local value = options and options[name]
    if value == nil then
      value = default
    elseif type(value) ~= "number" then
      return invalid("text.diff.new: " .. name .. " must be a number")
    elseif DIFF_INTEGERS[name] then
      value = tointeger(value)
      if value == nil or value < 0 then return invalid("text.diff.new: " .. name .. " must be a non-negative integer") end
    end
    o[name] = value
  end
  if o.match_threshold < 0 or o.match_threshold > 1 then
    return invalid("text.diff.new: match_threshold must be between 0 and 1")
  end
  return setmetatable({ _o = o }, Differ)
end

-- Call raw[name] with the differ's options and a, b.
local function call(d, name, a, b)
  local o = d._o
  return raw[name](o.diff_timeout, o.diff_edit_cost, o.match_threshold, o.match_distance,
    o.patch_delete_threshold, o.patch_margin, a, b)
end

local function two_texts(call, a, b)
  if type(a) ~= "string" or type(b) ~= "string" then
    return invalid("diff:" .. call .. ": both texts must be strings")
  end
  if not utf8len(a) or not utf8len(b) then return invalid("diff:" .. call .. ": both texts must be UTF-8") end
  return true
end

function Differ:compare(a, b)
  local ok, err = two_texts("compare", a, b)
  if not ok then return nil, err end
  local flat, ferr = call(self, "compare", a, b)
  if not flat then return nil, ferr end
  local out = {}
  for i = 1, #flat, 2 do
    out[#out + 1] = { operation = OPERATIONS[flat[i]], text = flat[i + 1] }
  end
  return out
end

-- Characters (not bytes) per operation.
function Differ:summarize(diffs)
  local summary = { insertions = 0, deletions = 0, equals = 0 }
  local field = { insert = "insertions", delete = "deletions", equal = "equals" }
  for _, d in ipairs(diffs or {}) do
    local name = type(d) == "table" and field[d.operation]
    if name and type(d.text) == "string" then
      summary[name] = summary[name] + (utf8len(d.text) or #d.text)
    end
  end
  return summary
end

local function check_diffs(call, diffs)
  if type(diffs) ~= "table" then return invalid("diff:" .. call .. ": diffs must be an array") end
  for i, d in ipairs(diffs) do
    if type(d) ~= "table" or not (d.operation == "equal" or d.operation == "delete" or d.operation == "insert")
      or type(d.text) ~= "string" then
      return invalid("diff:" .. call .. ": diff " .. i .. " is not {operation, text}")
    end
  end
  return true
end

-- go-diff's DiffPrettyText: insertions green, deletions red.
function Differ:pretty_text(diffs)
  local ok, err = check_diffs("pretty_text", diffs)
  if not ok then return nil, err end
  local out = {}
  for _, d in ipairs(diffs) do
    if d.operation == "insert" then
      out[#out + 1] = "\27[32m" .. d.text .. "\27[0m"
    elseif d.operation == "delete" then
      out[#out + 1] = "\27[31m" .. d.text .. "\27[0m"
    else
      out[#out + 1] = d.text
    end
  end
  return concat(out)
end

local ESCAPES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }

function Differ:pretty_html(diffs)
  local ok, err = check_diffs("pretty_html", diffs)
  if not ok then return nil, err end
  local out = {}
  for _, d in ipairs(diffs) do
    local escaped = gsub(d.text, '[&<>"]', ESCAPES)
    if d.operation == "insert" then
      out[#out + 1] = "<ins>" .. escaped .. "</ins>"
    elseif d.operation == "delete" then
      out[#out + 1] = "<del>" .. escaped .. "</del>"
    else
      out[#out + 1] = escaped
    end
  end
  return concat(out)
end

function Differ:patch_make(a, b)
  local ok, err = two_texts("patch_make", a, b)
  if not ok then return nil, err end
  return call(self, "patch_make", a, b)
end

-- Returns the patched text and whether every patch applied; nil, err for patches that do
-- not parse.
function Differ:patch_apply(patches, s)
  if type(patches) ~= "table" then return invalid("diff:patch_apply: patches must be an array") end
  for _, p in ipairs(patches) do
    if type(p) ~= "string" then return invalid("diff:patch_apply: patches must be patch_make's") end
  end
  if type(s) ~= "string" or not utf8len(s) then return invalid("diff:patch_apply: the text must be UTF-8") end
  return call(self, "patch_apply", concat(patches), s)
end

---------------------------------------------------------------- splitters

local Splitter = {}
Splitter.__index = Splitter

local function len(s) return utf8len(s) or #s end

local function trim(s) return (gsub(gsub(s, "^%s+", ""), "%s+$", "")) end

-- s cut at every sep (plain); "" cuts between characters.
local function cut(s, sep, keep)
  local parts = {}
  if sep == "" then
    for _, c in utf8.codes(s) do parts[#parts + 1] = utf8.char(c) end
    if #parts == 0 and #s > 0 then for i = 1, #s do parts[i] = sub(s, i, i) end end
    return parts
  end
  local at = 1
  while true do
    local i, j = find(s, sep, at, true)
    if not i then break end
    parts[#parts + 1] = sub(s, at, keep and j or i - 1)
    at = j + 1
  end
  parts[#parts + 1] = sub(s, at)
  return parts
end

-- Join splits into chunks of at most size characters, repeating up to overlap characters
-- of each chunk's end at the start of the next (langchaingo's mergeSplits).
local function merge(splits, sep, size, overlap)
  local docs, current, total = {}, {}, 0
  local seplen = len(sep)
  local function flush()
    local doc = trim(concat(current, sep))
    if doc ~= "" then docs[#docs + 1] = doc end
  end
  for _, split in ipairs(splits) do
    local slen = len(split)
    local with = total + slen + (#current > 0 and seplen or 0)
    if with > size and #current > 0 then
      flush()
      while #current > 0 and (total > overlap or (total + slen + (#current > 1 and seplen or 0) > size and total > 0)) do
        total = total - len(current[1]) - (#current > 1 and seplen or 0)
        table.remove(current, 1)
      end
    end
    current[#current + 1] = split
    total = total + slen + (#current > 1 and seplen or 0)
  end
  flush()
  return docs
end

local function recursive_split(self, s, separators)
  local sep, rest = separators[#separators], {}
  for i, c in ipairs(separators) do
    if c == "" or find(s, c, 1, true) then
      sep = c
      for k = i + 1, #separators do rest[#rest + 1] = separators[k] end
      break
    end
  end
  local out, good = {}, {}
  local joiner = self._keep and "" or sep
  for _, split in ipairs(cut(s, sep, self._keep)) do
    if len(split) < self._size then
      good[#good + 1] = split
    else
      if #good > 0 then
        for _, d in ipairs(merge(good, joiner, self._size, self._overlap)) do out[#out + 1] = d end
        good = {}
      end
      if #rest == 0 then
        out[#out + 1] = split
      else
        for _, d in ipairs(recursive_split(self, split, rest)) do out[#out + 1] = d end
      end
    end
  end
  if #good > 0 then
    for _, d in ipairs(merge(good, joiner, self._size, self._overlap)) do out[#out + 1] = d end
  end
  return out
end

local function options(call, o, flags)
  if o ~= nil and type(o) ~= "table" then return invalid(call .. ": options must be a table") end
  o = o or {}
  local size, overlap = o.chunk_size or 512, o.chunk_overlap or 100
  size, overlap = tointeger(size), tointeger(overlap)
  if not size or size <= 0 then return invalid(call .. ": chunk_size must be a positive integer") end
  if not overlap or overlap < 0 then return invalid(call .. ": chunk_overlap must be a non-negative integer") end
  if overlap >= size then return invalid(call .. ": chunk_overlap must be smaller than chunk_size") end
  local self = { _size = size, _overlap = overlap }
  for _, flag in ipairs(flags) do
    if o[flag] ~= nil and type(o[flag]) ~= "boolean" then return invalid(call .. ": " .. flag .. " must be a boolean") end
    self["_" .. flag] = o[flag] == true
  end
  return self
end

local splitter = {}

function splitter.recursive(o)
  local self, err = options("text.splitter.recursive", o, { "keep_separator" })
  if not self then return nil, err end
  self._keep = self._keep_separator
  local separators = { "\n\n", "\n", " ", "" }
  if o and o.separators ~= nil then
    if type(o.separators) ~= "table" or #o.separators == 0 then
      return invalid("text.splitter.recursive: separators must be a non-empty array of strings")
    end
    separators = {}
    for i, sep in ipairs(o.separators) do
      if type(sep) ~= "string" then return invalid("text.splitter.recursive: separators must be strings") end
      separators[i] = sep
    end
  end
  self._split = function(s) return recursive_split(self, s, separators) end
  return setmetatable(self, Splitter)
end

-- Markdown: cut into blocks (headings start sections, fenced code blocks and, with
-- join_table_rows, tables stay whole), pack blocks into chunks, and cut a block larger than
-- a chunk with the recursive splitter. With heading_hierarchy each chunk of a section starts
-- with the headings above it.
local function markdown_blocks(self, s)
  local blocks, current, fence, headings = {}, {}, nil, {}
  local function close()
    if #current > 0 then
      blocks[#blocks + 1] = { text = concat(current, "\n"), headings = { table.unpack(headings) } }
      current = {}
    end
  end
  for line in (s .. "\n"):gmatch("(.-)\r?\n") do
    local marker = line:match("^%s*(```+)") or line:match("^%s*(~~~+)")
    if fence then
      current[#current + 1] = line
      if marker and marker:sub(1, 1) == fence:sub(1, 1) and #marker >= #fence then
        fence = nil
        if self._code_blocks then close() end
      end
    elseif marker then
      if self._code_blocks then close() end
      fence = marker
      current[#current + 1] = line
    else
      local hashes, title = line:match("^(#+)%s+(.*)$")
      if hashes and #hashes <= 6 then
        close()
        local level = #hashes
        for k = #headings, level, -1 do headings[k] = nil end
        for k = 1, level - 1 do headings[k] = headings[k] or "" end
        headings[level] = line
        current[#current + 1] = line
      elseif line == "" and not (self._join_table_rows and current[#current] and current[#current]:match("^%s*|")) then
        close()
      else
        current[#current + 1] = line
      end
    end
  end
  close()
  return blocks
end

local function markdown_split(self, s)
  local inner = splitter.recursive({ chunk_size = self._size, chunk_overlap = self._overlap })
  local out, chunk = {}, {}
  local size = 0
  local function flush()
    if #chunk > 0 then out[#out + 1] = concat(chunk, "\n\n"); chunk, size = {}, 0 end
  end
  for _, block in ipairs(markdown_blocks(self, s)) do
    local text = block.text
    local starts_heading = text:match("^#+%s") ~= nil
    if self._heading_hierarchy and not starts_heading then
      local above = {}
      for _, h in ipairs(block.headings) do if h ~= "" then above[#above + 1] = h end end
      if #above > 0 and #chunk == 0 then text = concat(above, "\n") .. "\n\n" .. text end
    end
    local blen = len(text)
    if self._heading_hierarchy and starts_heading then flush() end
    if blen > self._size then
      flush()
      local fenced = text:match("^%s*```") or text:match("^%s*~~~")
      if self._code_blocks and fenced then
        out[#out + 1] = text
      else
        for _, piece in ipairs(inner:split_text(text)) do out[#out + 1] = piece end
      end
    else
      if size > 0 and size + 2 + blen > self._size then flush() end
      chunk[#chunk + 1] = text
      size = size + (size > 0 and 2 or 0) + blen
    end
  end
  flush()
  return out
end

function splitter.markdown(o)
  local self, err = options("text.splitter.markdown", o,
    { "code_blocks", "reference_links", "heading_hierarchy", "join_table_rows" })
  if not self then return nil, err end
  self._split = function(s) return markdown_split(self, s) end
  return setmetatable(self, Splitter)
end

function Splitter:split_text(s)
  if type(s) ~= "string" then return invalid("split_text: the text must be a string") end
  return self._split(s)
end

function Splitter:split_batch(pages)
  if type(pages) ~= "table" then return invalid("split_batch: pages must be an array") end
  local out = {}
  for i, page in ipairs(pages) do
    if type(page) ~= "table" or type(page.content) ~= "string" then
      return invalid("split_batch: page " .. i .. " needs a content string")
    end
    for _, chunk in ipairs(self._split(page.content)) do
      local metadata = {}
      for k, v in pairs(page.metadata or {}) do metadata[k] = v end
      out[#out + 1] = { content = chunk, metadata = metadata }
    end
  end
  return out
end

return { regexp = regexp, diff = diff, splitter = splitter }
