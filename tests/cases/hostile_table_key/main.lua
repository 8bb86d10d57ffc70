return {[{}] = 1}
