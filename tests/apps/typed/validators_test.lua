type Age = integer @min(0) @max(150)
type Name = string @min_len(1) @max_len(5)
type Code = string @pattern("^[A-Z][A-Z][A-Z]$")
type Scores = {number @min(0) @max(100)}
type Id = integer @min(1) | string @min_len(1)

local function message(t, v)
  local value, err = t:is(v)
  return value == nil and err:message() or "ok"
end

local function main()
  assert(message(Age, 30) == "ok")
  assert(message(Age, -1) == "Age: expected integer at least 0 (@min), got integer -1",
    message(Age, -1))
  assert(message(Age, 151) == "Age: expected integer at most 150 (@max), got integer 151")
  assert(message(Age, 1.5) == "Age: expected integer, got number 1.5", message(Age, 1.5))
  assert(message(Name, "") == "Name: expected string of length at least 1 (@min_len), got string \"\"",
    message(Name, ""))
  assert(message(Name, "abcdef"):find("of length at most 5", 1, true))
  assert(message(Code, "ABC") == "ok")
  assert(message(Code, "abc"):find("matching \"^[A-Z][A-Z][A-Z]$\"", 1, true), message(Code, "abc"))
  assert(message(Scores, {10, 100}) == "ok")
  assert(message(Scores, {10, 101}) == "Scores: [2]: expected number at most 100 (@max), got integer 101",
    message(Scores, {10, 101}))
  assert(message(Id, 5) == "ok" and message(Id, "x") == "ok")
  assert(message(Id, 0) == "Id: expected integer | string, got integer 0", message(Id, 0))
  -- an annotation with validators on a local is erased: no check where it is assigned
  local x: number @min(0) = -5
  assert(x == -5)
  return true
end

return { main = main }
