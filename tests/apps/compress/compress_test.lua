local compress = require("compress")

local FORMATS = { "gzip", "deflate", "zlib", "brotli", "zstd" }
local TEXT = string.rep("The quick brown fox jumps over the lazy dog. ", 200)

local function gzip()
  local json = require("json")
  -- Compress for an HTTP response.
  local body = json.encode({ items = { TEXT, TEXT }, total = 2 })
  local compressed, err = compress.gzip.encode(body)
  assert(compressed, tostring(err))
  assert(#compressed < #body and compressed:sub(1, 2) == "\x1f\x8b", "a gzip member")
  -- Maximum and fast compression.
  local archived = compress.gzip.encode(body, { level = 9 })
  local fast = compress.gzip.encode(body, { level = 1 })
  assert(#archived <= #fast)
  -- Decompress, and with a size limit.
  assert(compress.gzip.decode(compressed) == body)
  assert(compress.gzip.decode(archived, { max_size = 10 * 1024 * 1024 }) == body)
  assert(compress.gzip.decode(fast) == body)
  -- Two members one after the other read as one stream, as gzip tools read them.
  local two = compress.gzip.encode("one ") .. compress.gzip.encode("two")
  assert(compress.gzip.decode(two) == "one two")
  return true
end

local function brotli()
  local html = "<html><body>" .. TEXT .. "</body></html>"
  local compressed = compress.brotli.encode(html, { level = 11 })
  assert(compress.brotli.decode(compressed) == html)
  local moderate = compress.brotli.encode(html, { level = 4 })
  assert(compress.brotli.decode(moderate, { max_size = 50 * 1024 * 1024 }) == html)
  -- Level 0 is brotli's fastest, and valid.
  assert(compress.brotli.decode(compress.brotli.encode(html, { level = 0 })) == html)
  local decompressed, err = compress.brotli.decode(compressed)
  assert(decompressed == html and err == nil)
  return true
end

local function zstd()
  local binary = string.rep("\0\1\2\3\255\254", 1000)
  local compressed = compress.zstd.encode(binary)
  assert(compressed:sub(1, 4) == "\x28\xb5\x2f\xfd", "a zstd frame")
  local archived = compress.zstd.encode(binary, { level = 19 })
  local fast = compress.zstd.encode(binary, { level = 1 })
  for _, packed in ipairs({ compressed, archived, fast }) do
    local decompressed, err = compress.zstd.decode(packed)
    assert(decompressed == binary, tostring(err))
  end
  assert(compress.zstd.decode(compress.zstd.encode(binary, { level = 22 })) == binary)
  return true
end

local function dictionaries()
  local json = require("json")
  local samples = {}
  for i = 1, 300 do
    samples[i] = json.encode({ id = i, name = "user-" .. i, role = "reader", active = true })
  end
  local dict, err = compress.zstd.train_dict(samples, { size = 4096 })
  assert(dict, tostring(err))
  assert(#dict <= 4096)
  local data = json.encode({ id = 1000, name = "user-1000", role = "reader", active = true })
  local packed = compress.zstd.encode(data, { dict = dict })
  local original = compress.zstd.decode(packed, { dict = dict })
  assert(original == data)
  assert(#packed < #compress.zstd.encode(data), "the dictionary helps small payloads")
  -- Decoding without the dictionary fails.
  local none, derr = compress.zstd.decode(packed)
  assert(none == nil and derr:kind() == errors.INVALID, tostring(derr))
  -- inspect_dict reads the header; an explicit id is kept.
  local info = compress.zstd.inspect_dict(dict)
  assert(math.type(info.id) == "integer" and info.id > 0)
  assert(info.content_size > 0 and info.content_size < #dict)
  local labelled = compress.zstd.train_dict(samples, { size = 4096, id = 77, level = 3 })
  assert(compress.zstd.inspect_dict(labelled).id == 77)
  -- Training is a pure function of the samples.
  assert(compress.zstd.train_dict(samples, { size = 4096 }) == dict)
  -- Bad options and samples.
  local bad
  bad, err = compress.zstd.train_dict(samples, { size = 100 })
  assert(bad == nil and err:kind() == errors.INVALID)
  bad, err = compress.zstd.train_dict({ "short" })
  assert(bad == nil and err:kind() == errors.INVALID)
  bad, err = compress.zstd.train_dict({ "long enough sample", 42 })
  assert(bad == nil and err:kind() == errors.INVALID)
  bad, err = compress.zstd.train_dict(samples, { level = 23 })
  assert(bad == nil and err:kind() == errors.INVALID)
  bad, err = compress.zstd.inspect_dict("not a dictionary")
  assert(bad == nil and err:kind() == errors.INVALID)
  return true
end

local function deflate_and_zlib()
  local deflated = compress.deflate.encode(TEXT, { level = 6 })
  assert(compress.deflate.decode(deflated) == TEXT)
  local zlibbed = compress.zlib.encode(TEXT, { level = 6 })
  assert(zlibbed:byte(1) == 0x78, "a zlib header")
  assert(compress.zlib.decode(zlibbed) == TEXT)
  -- zlib is deflate with a header and checksum: the two do not read each other.
  assert(compress.zlib.decode(deflated) == nil)
  return true
end

local function choosing()
  local json = require("json")
  local body = json.encode({ text = TEXT })
  for _, accept in ipairs({ "gzip, deflate, br", "gzip", "identity" }) do
    local sent, encoding
    if accept:find("br") then
      encoding, sent = "br", compress.brotli.encode(body)
    elseif accept:find("gzip") then
      encoding, sent = "gzip", compress.gzip.encode(body)
    else
      sent = body
    end
    local received = sent
    if encoding == "br" then received = compress.brotli.decode(sent) end
    if encoding == "gzip" then received = compress.gzip.decode(sent) end
    assert(received == body, accept)
  end
  return true
end

local function expect(kind, value, err)
  assert(value == nil, "expected an error")
  assert(errors.is(err, kind), tostring(err))
  return err
end

local function errors_()
  local ranges = { gzip = { 1, 9 }, deflate = { 1, 9 }, zlib = { 1, 9 }, brotli = { 0, 11 }, zstd = { 1, 22 } }
  for _, name in ipairs(FORMATS) do
    local f = compress[name]
    local low, high = ranges[name][1], ranges[name][2]
    -- Every level of the range works; one past each end is Invalid.
    assert(f.decode(f.encode("abc", { level = low })) == "abc", name)
    assert(f.decode(f.encode("abc", { level = high })) == "abc", name)
    expect(errors.INVALID, f.encode("abc", { level = low - 1 }))
    expect(errors.INVALID, f.encode("abc", { level = high + 1 }))
    expect(errors.INVALID, f.encode("abc", { level = 1.5 }))
    expect(errors.INVALID, f.encode("abc", "fast"))
    -- Empty input, both ways.
    expect(errors.INVALID, f.encode(""))
    expect(errors.INVALID, f.decode(""))
    -- Corrupt and truncated data.
    local err = expect(errors.INVALID, f.decode("definitely not compressed data"))
    assert(err:retryable() == false)
    local packed = f.encode(TEXT)
    expect(errors.INVALID, f.decode(packed:sub(1, #packed // 2)))
    -- Arguments of the wrong type.
    expect(errors.INVALID, f.encode(nil))
    expect(errors.INVALID, f.decode(42))
    expect(errors.INVALID, f.decode(packed, { max_size = 0 }))
    expect(errors.INVALID, f.decode(packed, { max_size = "big" }))
  end
  -- Only zstd takes a dictionary.
  expect(errors.INVALID, compress.zstd.encode("abc", { dict = 5 }))
  assert(compress.gzip.encode("abc", { dict = "ignored" }))
  return true
end

local function bombs()
  -- 1 MiB of zeros packs into a few KiB; unpacking stops at the bound, never holding it all.
  local zeros = string.rep("\0", 1024 * 1024 - 64)
  for _, name in ipairs(FORMATS) do
    local f = compress[name]
    local packed = assert(f.encode(zeros))
    assert(#packed < 64 * 1024, name)
    -- max_size is a bound.
    local err = expect(errors.INTERNAL, f.decode(packed, { max_size = 1000 }))
    assert(err:message():find("limit of 1000 bytes"), err:message())
    assert(err:retryable() ~= true)
    -- Within both bounds it decodes.
    assert(#f.decode(packed) == #zeros)
    assert(f.decode(f.encode("small"), { max_size = 5 }) == "small")
  end
  -- Concatenated gzip members and zstd frames make an 8 MiB bomb of the same small piece: the
  -- sandbox's max_payload (1 MiB here) bounds it even under a larger max_size.
  for _, name in ipairs({ "gzip", "zstd" }) do
    local f = compress[name]
    local bomb = string.rep(f.encode(zeros), 8)
    local err = expect(errors.INTERNAL, f.decode(bomb))
    assert(err:message():find("limit of 1048576 bytes"), err:message())
    err = expect(errors.INTERNAL, f.decode(bomb, { max_size = 1024 * 1024 * 1024 * 4 }))
    assert(err:message():find("limit of 1048576 bytes"), err:message())
  end
  return true
end

return {
  gzip = gzip,
  brotli = brotli,
  zstd = zstd,
  dictionaries = dictionaries,
  deflate_and_zlib = deflate_and_zlib,
  choosing = choosing,
  errors = errors_,
  bombs = bombs,
}
