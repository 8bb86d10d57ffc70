local function main(): string
    return "fine"
end

return { main = main }
