type Point = {x: number, y: number}
type Node = {value: integer, next: Node?}
type Entry = {id: string, tags: {string}, counts: {[string]: integer}}

local function main()
  -- T(v) returns v when it is a T, and raises naming what is wrong
  local p = {x = 1, y = 2.5}
  assert(Point(p) == p)
  local ok, err = pcall(Point, {x = 1})
  assert(not ok and err == "Point: field 'y' is missing", err)
  ok, err = pcall(Point, {x = 1, y = "2"})
  assert(not ok and err == "Point: field 'y': expected number, got string \"2\"", err)
  ok, err = pcall(Point, 7)
  assert(not ok and err == "Point: expected {x: number, y: number}, got integer 7", err)

  -- T:is(v): v, nil or nil and an Invalid error
  local same, none = Point:is(p)
  assert(same == p and none == nil)
  local value, why = Point:is({})
  assert(value == nil and errors.is(why, errors.INVALID), tostring(why))
  assert(why:message() == "Point: field 'x' is missing", why:message())

  -- a type may name itself: a list of any length
  assert(Node:is({value = 1, next = {value = 2, next = {value = 3}}}))
  local _, deep = Node:is({value = 1, next = {value = 2, next = {value = "three"}}})
  assert(deep:message() == "Node: field 'next': field 'next': field 'value': expected integer, "
    .. "got string \"three\"", deep:message())

  -- arrays and maps check every element
  assert(Entry:is({id = "a", tags = {"x", "y"}, counts = {x = 1}}))
  local _, bad_tag = Entry:is({id = "a", tags = {"x", 2}, counts = {}})
  assert(bad_tag:message() == "Entry: field 'tags'[2]: expected string, got integer 2",
    bad_tag:message())
  local _, bad_count = Entry:is({id = "a", tags = {}, counts = {x = 1.5}})
  assert(bad_count:message() == "Entry: field 'counts'[x]: expected integer, got number 1.5",
    bad_count:message())

  -- fields a record does not name are allowed
  assert(Point:is({x = 0, y = 0, z = 0}))
  return true
end

return { main = main }
