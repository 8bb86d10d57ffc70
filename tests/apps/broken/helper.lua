return { main = function() return "helped" end }
