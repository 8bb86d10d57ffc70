-- Shared text helpers, imported by alias (`imports: {text: text}`).
local text = {}

function text.title(s)
  return (s:gsub("^%l", string.upper))
end

function text.join(list)
  if #list <= 1 then
    return list[1] or ""
  end
  return table.concat(list, ", ", 1, #list - 1) .. " and " .. list[#list]
end

return text
