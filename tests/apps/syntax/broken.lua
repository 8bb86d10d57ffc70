local function main()
  local total = 0
  for i = 1, 10 do
    total = total +* i
  end
  return total
end

return { main = main }
