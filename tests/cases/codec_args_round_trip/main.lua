--! args: [{"list": [1, 2.5, "x", true, {"deep": [[[]]]}], "n": -9007199254740993}]
return function(v) return v end
