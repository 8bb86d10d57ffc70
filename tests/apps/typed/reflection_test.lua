type User = {name: string, age: integer}
type Status = "pending" | "active" | "done"
type Point = {x: number, y: number}
type Handler = (number, string) -> boolean

local function main()
  assert(Point:kind() == "record" and Point:name() == "Point")
  assert(Number:kind() == "number" and Integer:name() == "integer")
  local fields = {}
  for name, t in User:fields() do
    fields[#fields + 1] = name .. ":" .. t:kind()
  end
  assert(table.concat(fields, ",") == "name:string,age:integer", table.concat(fields, ","))
  assert(User.name:kind() == "string")

  local variants = {}
  for v in Status:variants() do
    variants[#variants + 1] = tostring(v)
  end
  assert(table.concat(variants, " ") == '"pending" "active" "done"', table.concat(variants, " "))
  assert(Status:is("active") == "active" and Status:is("gone") == nil)

  local params = {}
  for p in Handler:params() do
    params[#params + 1] = p:kind()
  end
  assert(table.concat(params, ",") == "number,string" and Handler:ret():kind() == "boolean")

  -- typeof: a declared variable's type, else the value's
  local arr: {number} = {1, 2, 3}
  assert(typeof(arr):kind() == "array" and typeof(arr):elem():kind() == "number")
  local map: {[string]: number} = {}
  assert(typeof(map):key():kind() == "string" and typeof(map):val():kind() == "number")
  local opt: number? = nil
  assert(typeof(opt):kind() == "optional" and typeof(opt):inner():kind() == "number")
  assert(typeof(1) == Integer and typeof(1.5) == Number and typeof("s") == String)

  -- comparison is subtyping
  assert(Number == Number and Integer <= Number and Integer < Number)
  assert(not (Number <= Integer) and not (Number < Number))

  -- types as table keys
  local handlers = {[Number] = "number", [String] = "string"}
  assert(handlers[typeof(2.5)] == "number" and handlers[typeof("x")] == "string")

  -- a type is not changed by accident
  local ok = pcall(function() Point.extra = 1 end)
  assert(not ok)
  return true
end

return { main = main }
