--! modules: http_client
-- What http_client refuses without reaching the network: bytes that are not UTF-8 where the host
-- takes text (they would trap the sandbox if they crossed), and, in a script run outside an
-- entry with allowed_hosts, every host.
local http_client = require("http_client")
local function outcome(resp, err)
  return resp and "ok" or (err:kind() .. ": " .. tostring(err))
end
return {
  outcome(http_client.get("http://example.com/", { query = { q = "\xff" } })),
  outcome(http_client.get("http://example.com/\xff")),
  outcome(http_client.get("http://example.com/", { headers = { ["\xfe"] = "x" } })),
  outcome(http_client.get("http://example.com/")),
  outcome(http_client.request(nil, "http://example.com/")),
  outcome(http_client.get("http://example.com/", 5)),
  http_client.encode_uri("\xff/"),
  http_client.decode_uri("%41%e2%82%ac"),
}
