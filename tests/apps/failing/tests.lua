return {
  passes = function() return true end,
  raises = function() error("assertion failed: 1 == 2") end,
  returns_false = function() return false end,
  loops = function() while true do end end,
  bombs = function() local t = {} for i = 1, math.huge do t[i] = ("x"):rep(1024) .. i end end,
  returns_error = function() return nil, errors.new({ kind = errors.CONFLICT, message = "stale" }) end,
}
