type User = {name: string}

local function main()
  -- the primitive types cast
  assert(integer("42") == 42 and math.type(integer("42")) == "integer")
  assert(integer(3.0) == 3 and math.type(integer(3.0)) == "integer")
  assert(number("1.5") == 1.5 and number(2) == 2)
  assert(string(7) == "7" and string(true) == "true" and string("s") == "s")
  assert(boolean("true") == true and boolean("false") == false and boolean(false) == false)
  local ok, err = pcall(integer, "4.5")
  assert(not ok and err == "cannot cast string \"4.5\" to integer", err)
  ok, err = pcall(string, {})
  assert(not ok and err == "cannot cast table to string", err)
  ok, err = pcall(boolean, "yes")
  assert(not ok and err == "cannot cast string \"yes\" to boolean", err)

  -- `::` and `as` are unchecked: the value passes as it is
  local data: any = {name = 42}
  local a = data :: User
  local b = data as User
  assert(a == data and b == data)
  -- `!` asserts non-nil to the checker only
  local maybe: User? = {name = "x"}
  assert((maybe!).name == "x")
  -- `string` is still the string library
  assert(string.upper("a") == "A" and ("b"):upper() == "B")
  return true
end

return { main = main }
