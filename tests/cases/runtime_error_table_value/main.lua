error({code = "E42"})
