local function main()
    return 1 +* 2
end

return { main = main }
