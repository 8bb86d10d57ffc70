local models = require("models")

-- A type that names a library's type through the library's table.
type Team = {lead: models.User, members: {models.User}}

local function main()
  local ada = models.User({name = "ada", age = 36, address = {city = "London", zip = "12345"}})
  assert(models.adult(ada))
  local _, err = models.User:is({name = "", age = 3})
  assert(err:message() == "User: field 'name': expected string of length at least 1 (@min_len), "
    .. "got string \"\"", err:message())
  local _, zip = models.User:is({name = "x", age = 3, address = {city = "c", zip = "1"}})
  assert(zip:message():find("field 'address': field 'zip'", 1, true), zip:message())
  assert(Team:is({lead = ada, members = {ada}}))
  local _, member = Team:is({lead = ada, members = {{name = "bob", age = -1}}})
  assert(member:message():find("field 'members'[1]: field 'age'", 1, true), member:message())
  return true
end

return { main = main }
