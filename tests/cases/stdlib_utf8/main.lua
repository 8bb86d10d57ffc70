local s = "héllo wörld ✓"
local codes = {}
for _, c in utf8.codes("aé✓") do codes[#codes + 1] = c end
return {len = utf8.len(s), bytes = #s, char = utf8.char(72, 233, 10003), codes = codes,
  offset = utf8.offset(s, 3), codepoint = utf8.codepoint(s, 2), invalid = utf8.len("\xff") == nil}
