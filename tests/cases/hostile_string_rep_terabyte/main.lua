return ("x"):rep(1e12)
