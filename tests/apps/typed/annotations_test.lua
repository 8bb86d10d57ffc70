-- Annotations everywhere a Wippy program writes them; the code runs as if they were not there,
-- and every line stays where it was written.
type Named = {name: string}

local function add(a: number, b: number): number
  return a + b
end

local function div_mod(a: integer, b: integer): (integer, integer)
  return a // b, a % b
end

local function fetch(ok: boolean): (string?, error?)
  if ok then return "data", nil end
  return nil, errors.new("failed")
end

local function sum(...: number): number
  local total: number = 0
  for _, v: number in ipairs({...}) do
    total = total + v
  end
  return total
end

local function greet<T: Named>(obj: T): string
  return "Hello, " .. obj.name
end

local double: (number) -> number = function(x: number): number
  return x * 2
end

local Counter = {}
function Counter.new(start: integer): {count: integer}
  return {count = start}
end
function Counter:bump(by: integer?): integer
  self.count = self.count + (by or 1)
  return self.count
end

local function fails_on_line_44(): never
  error("here")
end

local function main()
  assert(add(1, 2) == 3)
  local q, r = div_mod(7, 2)
  assert(q == 3 and r == 1)
  assert(fetch(true) == "data" and select(2, fetch(false)) ~= nil)
  assert(sum(1, 2, 3) == 6)
  assert(greet({name = "ada"}) == "Hello, ada")
  assert(double(4) == 8)
  local c = setmetatable(Counter.new(1), {__index = Counter})
  assert(c:bump() == 2 and c:bump(3) == 5)
  local ok, err = pcall(fails_on_line_44)
  assert(not ok and err:find("annotations_test.lua:44: here", 1, true), err)
  return true
end

return { main = main }
