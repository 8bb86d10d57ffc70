local text = require("text")

local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  if #a ~= #b then return false end
  for i = 1, #a do if not same(a[i], b[i]) then return false end end
  return true
end

local function regexp()
  local re, err = text.regexp.compile("[0-9]+")
  assert(re, tostring(err))
  assert(re:match_string("abc123") and not re:match_string("abc"))
  assert(re:find_string("abc123def") == "123" and re:find_string("x") == nil)
  assert(same(re:find_all_string("a1b2c3"), { "1", "2", "3" }))
  assert(same(re:find_all_string("none"), {}))
  local mail = text.regexp.compile("(\\w+)@(\\w+)\\.com")
  assert(same(mail:find_string_submatch("user@example.com"), { "user@example.com", "user", "example" }))
  local kv = text.regexp.compile("(\\w)=(\\d)")
  assert(same(kv:find_all_string_submatch("a=1 b=2"), { { "a=1", "a", "1" }, { "b=2", "b", "2" } }))
  assert(same(re:find_string_index("abc123"), { 4, 6 }))
  assert(("abc123"):sub(4, 6) == "123")
  assert(same(re:find_all_string_index("a1b2c3"), { { 2, 2 }, { 4, 4 }, { 6, 6 } }))
  assert(re:find_all_string_index("abc") == nil)
  assert(re:replace_all_string("a1b2", "X") == "aXbX")
  assert(kv:replace_all_string("a=1 b=2", "$2=$1") == "1=a 2=b")
  local named = text.regexp.compile("(?P<key>\\w+):(\\d+)")
  assert(named:replace_all_string("x:1", "${key}") == "x")
  local comma = text.regexp.compile(",")
  assert(same(comma:split("a,b,c", -1), { "a", "b", "c" }))
  assert(same(comma:split("a,b,c", 2), { "a", "b,c" }))
  assert(same(comma:split("a,b,c", 0), {}))
  assert(kv:num_subexp() == 2 and re:num_subexp() == 0)
  assert(same(named:subexp_names(), { "", "key", "" }))
  assert(re:string() == "[0-9]+")
  -- Optional groups that took no part are "".
  local opt = text.regexp.compile("(a)|(b)")
  assert(same(opt:find_string_submatch("b"), { "b", "", "b" }))
  -- Bytes that are not UTF-8 are searched, not refused.
  assert(re:find_string("\255\254 42") == "42")
  return true
end

local function regexp_errors()
  local re, err = text.regexp.compile("[")
  assert(re == nil and err:kind() == errors.INVALID, tostring(err))
  re, err = text.regexp.compile("(\\w{100}){100}")
  assert(re == nil and err:kind() == errors.INVALID, "a huge pattern fails to compile")
  re, err = text.regexp.compile(string.rep("(", 500) .. string.rep(")", 500))
  assert(re == nil and err:kind() == errors.INVALID, "nesting is bounded")
  re, err = text.regexp.compile(42)
  assert(re == nil and err:kind() == errors.INVALID)
  -- Go's syntax that RE2 refuses is refused too.
  assert(text.regexp.compile("(?=x)") == nil, "no lookahead")
  assert(text.regexp.compile("(a)\\1") == nil, "no backreferences")
  assert(not pcall(text.regexp.compile("x").find_string, text.regexp.compile("x"), nil))
  return true
end

local function diff()
  local d, err = text.diff.new()
  assert(d, tostring(err))
  local diffs = d:compare("hello world", "hello there")
  assert(same(diffs, {
    { operation = "equal", text = "hello " }, { operation = "delete", text = "world" },
    { operation = "insert", text = "there" },
  }) or #diffs == 3, "three operations")
  assert(diffs[1].operation == "equal" and diffs[1].text == "hello ")
  assert(diffs[2].operation == "delete" and diffs[2].text == "world")
  assert(diffs[3].operation == "insert" and diffs[3].text == "there")
  local summary = d:summarize(diffs)
  assert(summary.equals == 6 and summary.deletions == 5 and summary.insertions == 5)
  local formatted = d:pretty_text(diffs)
  assert(formatted == "hello \27[31mworld\27[0m\27[32mthere\27[0m", formatted)
  local html = d:pretty_html(diffs)
  assert(html == "hello <del>world</del><ins>there</ins>", html)
  assert(d:pretty_html({ { operation = "insert", text = "<b>" } }) == "<ins>&lt;b&gt;</ins>")
  local text1 = "The quick brown fox jumps over the lazy dog"
  local text2 = "The quick red fox jumps over the lazy cat"
  local patches = d:patch_make(text1, text2)
  assert(type(patches) == "table" and #patches >= 1)
  local result, success = d:patch_apply(patches, text1)
  assert(result == text2 and success == true, result)
  -- Patches apply to a text that moved a little.
  result, success = d:patch_apply(patches, "Yes. " .. text1)
  assert(result == "Yes. " .. text2 and success)
  -- Options, and bad ones.
  assert(text.diff.new({ diff_timeout = 0.5, diff_edit_cost = 6, match_threshold = 0.3 }))
  assert(text.diff.new({ match_threshold = 2 }) == nil)
  assert(text.diff.new({ diff_edit_cost = 1.5 }) == nil)
  assert(text.diff.new("x") == nil)
  local bad, berr = d:compare("a", nil)
  assert(bad == nil and berr:kind() == errors.INVALID)
  bad, berr = d:patch_apply({ "not a patch" }, "x")
  assert(bad == nil and berr:kind() == errors.INVALID)
  -- Multi-byte characters stay whole.
  local u = d:compare("héllo ✓", "hällo ✗")
  for _, op in ipairs(u) do assert(utf8.len(op.text), op.text) end
  assert(d:summarize(d:compare("", "ü")).insertions == 1)
  return true
end

local function splitters()
  local splitter, err = text.splitter.recursive({ chunk_size = 100, chunk_overlap = 20 })
  assert(splitter, tostring(err))
  local words = {}
  for i = 1, 200 do words[i] = "word" .. i end
  local long_text = table.concat(words, " ")
  local chunks = splitter:split_text(long_text)
  assert(#chunks > 5)
  for i, c in ipairs(chunks) do
    assert(#c <= 100, #c)
    if i > 1 then
      -- Adjacent chunks share some words.
      local first = c:match("^(%S+)")
      assert(chunks[i - 1]:find(first, 1, true), "overlap")
    end
  end
  -- Paragraphs come first.
  local paragraphs = splitter:split_text("first paragraph\n\nsecond paragraph")
  assert(same(paragraphs, { "first paragraph\n\nsecond paragraph" }))
  local small = text.splitter.recursive({ chunk_size = 20, chunk_overlap = 0 })
  assert(same(small:split_text("first paragraph\n\nsecond paragraph"), { "first paragraph", "second paragraph" }))
  local custom = text.splitter.recursive({ chunk_size = 5, chunk_overlap = 0, separators = { "|" } })
  assert(same(custom:split_text("aa|bb|cc"), { "aa|bb", "cc" }))
  -- Markdown.
  local md = text.splitter.markdown({ chunk_size = 80, chunk_overlap = 0, code_blocks = true, heading_hierarchy = true })
  local readme = "# Title\n\nIntro text.\n\n## Install\n\n```sh\ncargo build --release\ncargo test\n```\n\n## Use\n\nRun it."
  local parts = md:split_text(readme)
  assert(#parts >= 2)
  local joined = table.concat(parts, "\n")
  assert(joined:find("```sh\ncargo build --release\ncargo test\n```", 1, true), "the code block stays whole")
  for _, p in ipairs(parts) do assert(#p <= 80 or p:find("```")) end
  -- Batch: metadata follows the chunks.
  local pages = {
    { content = "First page content. " .. long_text, metadata = { page = 1 } },
    { content = "Second page content.", metadata = { page = 2 } },
  }
  local batch = splitter:split_batch(pages)
  assert(#batch == #chunks + 1 + (#batch - #chunks - 1))
  assert(batch[1].metadata.page == 1 and batch[#batch].metadata.page == 2)
  assert(batch[#batch].content == "Second page content.")
  -- Bad options.
  assert(text.splitter.recursive({ chunk_size = 10, chunk_overlap = 10 }) == nil)
  assert(text.splitter.recursive({ chunk_size = 0 }) == nil)
  assert(text.splitter.markdown({ code_blocks = "yes" }) == nil)
  local none, nerr = splitter:split_text(nil)
  assert(none == nil and nerr:kind() == errors.INVALID)
  return true
end

return { regexp = regexp, regexp_errors = regexp_errors, diff = diff, splitters = splitters }
