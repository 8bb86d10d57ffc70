--! memory: 1MiB
return 1
