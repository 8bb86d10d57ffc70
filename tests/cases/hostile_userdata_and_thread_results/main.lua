return {co = coroutine.create(print)}
