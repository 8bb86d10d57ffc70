local base64 = require("base64")

local function main()
  assert(base64.encode("hello") == "aGVsbG8=")
  assert(base64.encode("") == "")
  assert(base64.encode("\0\255\128") == "AP+A")
  assert(base64.decode("aGVsbG8=") == "hello")
  assert(base64.decode("AP+A") == "\0\255\128", "binary data round-trips")
  local all = {}
  for i = 0, 255 do
    all[#all + 1] = string.char(i)
  end
  all = table.concat(all)
  assert(base64.decode(base64.encode(all)) == all)

  local out, err = base64.decode("not base64!")
  assert(out == nil and errors.is(err, errors.INVALID), tostring(err))
  assert(tostring(err):find("base64.decode"), tostring(err))
  out, err = base64.decode("aGVsbG8")
  assert(out == nil and err, "padding is required")
  out, err = base64.decode(42)
  assert(out == nil and errors.is(err, errors.INVALID))
  return true
end

return { main = main }
