local ch = channel.new()
return ch:receive()
