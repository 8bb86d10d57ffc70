local contract = require("contract")

local function doc_examples()
  -- Opening a binding and calling its methods.
  local greeter, err = contract.open("app:greeter_impl")
  assert(greeter, tostring(err))
  assert(greeter:greet() == "Hello!")
  assert(greeter:greet_with_name("Alice") == "Hello, Alice")
  assert(contract.is(greeter, "app:greeter") and not contract.is(greeter, "app:service"))

  -- Scope: context values for the implementation; query parameters are converted.
  local svc = contract.open("app:greeter_impl", { tenant = "acme" })
  assert(svc:greet() == "Hello from acme!")
  local q = contract.open("app:greeter_impl?tenant=beta&suffix=%21&debug=true")
  assert(q:greet() == "Hello from beta!" and q:greet_with_name("Bo") == "Hello, Bo!")
  local over = contract.open("app:greeter_impl?tenant=beta", { tenant = "gamma" })
  assert(over:greet() == "Hello from gamma!", "the scope table wins over query parameters")

  -- Getting a contract.
  local c = assert(contract.get("app:greeter"))
  assert(c:id() == "app:greeter")
  local methods = c:methods()
  assert(#methods == 3 and methods[1].name == "greet" and methods[1].description == "Returns a greeting message")
  local m = assert(c:method("greet_with_name"))
  assert(m.input_schemas[1].format == "application/schema+json")
  local none, merr = c:method("nope")
  assert(none == nil and merr:kind() == errors.NOT_FOUND)

  -- Finding implementations.
  local bindings = contract.find_implementations("app:greeter")
  assert(#bindings == 2 and bindings[1] == "app:greeter_impl" and bindings[2] == "app:loud_greeter")
  assert(#c:implementations() == 2)

  -- Async calls.
  local future = greeter:greet_with_name_async("Bob")
  assert(future:result() == "Hello, Bob")
  local ch = greeter:greet_async():response()
  local value, ok = ch:receive()
  assert(ok and value == "Hello!")

  -- Opening via the contract: the default binding, a named one, with scope and context.
  assert(c:open():greet() == "Hello!")
  assert(c:open("app:loud_greeter"):greet() == "Hello!")
  assert(c:open(nil, { tenant = "t1" }):greet() == "Hello from t1!")
  local wrapped = c:with_context({ tenant = "ctx" })
  assert(wrapped:open():greet() == "Hello from ctx!")
  assert(c:open():greet() == "Hello!", "with_context leaves the contract as it was")
  return true
end

local function retries_and_errors()
  -- A retryable failure is tried again, up to max_attempts.
  local flaky = contract.open("app:flaky_impl", nil, { retry = { max_attempts = 5, initial_delay = 1 } })
  local got, gerr = flaky:call("a", 3)
  assert(got == 3, tostring(got) .. " " .. tostring(gerr))
  local c = contract.get("app:service")
  local inst = c:with_options({ retry = { max_attempts = 2, initial_delay = "1ms" } }):open("app:flaky_impl")
  local v, err = inst:call("b", 5)
  assert(v == nil and err:kind() == errors.UNAVAILABLE and tostring(err):find("try again 2"), tostring(err))
  -- A failure that is not retryable surfaces at once.
  v, err = flaky:call("c", 3, errors.INVALID)
  assert(v == nil and tostring(err):find("try again 1"), tostring(err))
  -- Errors.
  local function fails(kind, value, e, what)
    assert(value == nil and e, what)
    assert(e:kind() == kind, what .. ": " .. tostring(e:kind()) .. " " .. tostring(e))
  end
  fails(errors.NOT_FOUND, contract.open("app:nope"), select(2, contract.open("app:nope")), "unknown binding")
  v, err = contract.open("app:greeter")
  fails(errors.INVALID, v, err, "a definition is not a binding")
  v, err = contract.get("app:nope")
  fails(errors.NOT_FOUND, v, err, "unknown contract")
  v, err = contract.open("")
  fails(errors.INVALID, v, err, "empty id")
  v, err = contract.get("app:service"):open()
  fails(errors.NOT_FOUND, v, err, "no default binding")
  assert(tostring(err):find("app:flaky_impl"), tostring(err))
  v, err = contract.get("app:service"):open("app:greeter_impl")
  fails(errors.INVALID, v, err, "a binding of another contract")
  -- An unbound method is not there; a bound one of another binding is not either.
  local greeter = contract.open("app:loud_greeter")
  assert(greeter.greet_with_name == nil and greeter.unbound == nil)
  v, err = contract.open("app:flaky_impl", nil, { retry = { max_attempts = 0 } }):call("d", 1)
  fails(errors.INVALID, v, err, "bad retry option")
  return true
end

return { doc_examples = doc_examples, retries_and_errors = retries_and_errors }
