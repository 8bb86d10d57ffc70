return {
  idiv = 7 // 2, fdiv = 7 / 2, mod = -7 % 3, pow = 2^10, band = 0xF0 & 0x3C, bor = 1 | 4,
  shl = 1 << 62, xor = 5 ~ 3, bnot = ~0, maxint = math.maxinteger, wrap = math.maxinteger + 1 == math.mininteger,
  type_i = math.type(1), type_f = math.type(1.0), tointeger = math.tointeger(3.0),
  floor = math.floor(-3.5), ceil = math.ceil(3.2), abs = math.abs(-4), huge = math.huge > 1e308,
  fmod = math.fmod(7, 3), ult = math.ult(1, -1), sqrt = math.sqrt(16), pi = math.floor(math.pi * 100),
  int_float_eq = 1 == 1.0, str2num = tonumber("0x10") + tonumber("1e2"), base = tonumber("z", 36),
}
