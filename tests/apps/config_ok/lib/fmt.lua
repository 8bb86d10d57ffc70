return {
  wrap = function(s) return "<" .. s .. ">" end,
}
