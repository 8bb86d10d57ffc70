return {
  string.format("%d|%5d|%-5d|%05d", 42, 42, 42, 42),
  string.format("%.3f|%e|%g|%g", math.pi, 12345.678, 0.0001, 1e20),
  string.format("%x|%X|%o|%c", 255, 255, 8, 65),
  string.format("%s|%10s|%-10s|%q", "a", "right", "left", "quote\"d\n"),
  string.format("%q", 1/3) ~= nil, string.format("%5.1s|", "xyz"), string.format("%%"),
  string.format("%i", 3.0), string.format("%a", 1.0),
}
