return {ok = 1, cb = function() end}
