return {
  main = function()
    return require("http_client")
  end,
}
