--! timeout: 200ms
while true do end
