-- An error message is Lua bytes; the report to the host is UTF-8, with other bytes as \xNN.
error("bad \xff\xfe byte, still é")
