return {
  empty = {}, array = {1, 2, 3}, sparse = {[1] = "a", [3] = "c"}, mixed = {1, 2, x = "y"},
  nested = {a = {b = {c = {true, false}}}}, int = 3, float = 3.0, neg = -129, big = math.mininteger,
  keys = {[10] = "ten", [true] = "yes", [1.5] = "float"}, nan = 0/0, inf = math.huge,
  bytes = "\0\1\2", text = "naïve"}
