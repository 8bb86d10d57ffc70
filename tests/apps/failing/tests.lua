return {
  passes = function() return true end,
  raises = function() error("assertion failed: 1 == 2") end,
  returns_false = function() return false end,
  returns_error = function() return nil, errors.new({ kind = errors.CONFLICT, message = "stale" }) end,
}
