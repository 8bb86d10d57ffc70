--! modules: time
local time = require("time")
local r = {}
-- a stopped timer never fires
local stopped = time.timer("20ms")
r.stop_pending = stopped:stop()
local first = channel.select({ stopped:channel():case_receive(), time.after("60ms"):case_receive() })
r.stopped_fired = first.channel == stopped:channel()
-- a reset timer fires once, at the new time
local t = time.timer("10s")
r.reset_pending = t:reset("10ms")
local started = time.now()
t:response():receive()
r.waited_at_least_10ms = time.now():sub(started):milliseconds() >= 10
r.after_fire_stop = t:stop()
-- bad durations raise
r.zero = select(2, pcall(time.timer, 0))
r.negative = select(2, pcall(time.after, "-1s"))
r.garbage = select(2, pcall(time.ticker, "soon"))
return r
