-- Types a library declares and hands to its importers.
type Address = {
  city: string,
  zip?: string @pattern("^%d%d%d%d%d$"),
}

type User = {
  name: string @min_len(1),
  age: integer @min(0) @max(150),
  address?: Address,
}

local M = {}
M.User = User
M.Address = Address

function M.adult(user: User): boolean
  return user.age >= 18
end

return M
