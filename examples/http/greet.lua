-- GET /hello/{name} -> {"message": "hello NAME"}
local http = require("http")

local function handler()
  local req = http.request()
  local res = http.response()
  res:write_json({ message = "hello " .. req:param("name") })
end

return { handler = handler }
