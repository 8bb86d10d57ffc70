local util = {}

function util.upper(s)
  return string.upper(s)
end

return util
