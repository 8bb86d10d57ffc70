-- Assertion helpers shared by the test entries (imported as `check`).
local check = {}

function check.eq(actual, expected, what)
  assert(actual == expected,
    what .. ": expected " .. tostring(expected) .. ", got " .. tostring(actual))
end

-- pcall(fn, ...) must fail with a message containing `needle` (plain text).
function check.raises(needle, fn, ...)
  local ok, msg = pcall(fn, ...)
  assert(not ok, "expected an error mentioning " .. needle)
  assert(tostring(msg):find(needle, 1, true), "error should mention " .. needle .. ", got: "
    .. tostring(msg))
end

return check
