--! timeout: 200ms
xpcall(function() while true do end end, function() while true do end end)
