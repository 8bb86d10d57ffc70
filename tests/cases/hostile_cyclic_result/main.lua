local t = {name = "loop"}
t.self = {parent = t}
return t
