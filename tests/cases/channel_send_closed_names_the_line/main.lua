local ch = channel.new(1)
ch:close()
ch:send("late")
