local shared = {1}
return {a = shared, b = shared}
