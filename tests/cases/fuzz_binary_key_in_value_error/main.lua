-- Found by tests/fuzz.rs: a value error names the path of the bad value, and a key of binary
-- bytes in that path made the message invalid UTF-8, which trapped the sandbox as it reported.
return { ["\xff\xfe"] = { f = print } }
