--! max-payload: 1048576
return ("x"):rep(2 * 1024 * 1024)
