--! args: [1]
return "plain", 2
