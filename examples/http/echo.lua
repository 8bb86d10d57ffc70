-- POST /echo: answers with the JSON body it got, the `tag` query parameter and the user agent.
-- A body that is not JSON gets a 400 with the decoder's message.
local http = require("http")

local function handler()
  local req = http.request()
  local res = http.response()
  local body, err = req:body_json()
  if not body then
    res:set_status(http.STATUS.BAD_REQUEST)
    res:write_json({ error = tostring(err) })
    return
  end
  res:set_status(http.STATUS.OK)
  res:write_json({ got = body, tag = req:query("tag"), agent = req:header("User-Agent") })
end

return { handler = handler }
