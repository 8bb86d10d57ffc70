-- The host copies an error message (and a log line) to show it: past 64 KiB it is cut, with a
-- note of how much, whatever the sandbox's memory limit.
error(string.rep("x", 1000000))
