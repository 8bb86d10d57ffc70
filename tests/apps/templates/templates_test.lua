local templates = require("templates")

local function eq(got, want, what)
  assert(got == want, (what or "value") .. ":\n got: " .. tostring(got) .. "\nwant: " .. tostring(want))
end

-- Renders `name` of `set_id` and fails the test on an error.
local function render(set_id, name, data)
  local set = assert(templates.get(set_id))
  local text, err = set:render(name, data)
  assert(text, tostring(err))
  assert(set:release() == true)
  return text
end

-- Each code block of wippyai/docs en/lua/text/template.md, in order.
local function doc_examples()
  -- Acquiring template sets.
  local set, err = templates.get("templates_tests:emails")
  assert(set and err == nil, tostring(err))
  assert(set:release() == true)

  -- Rendering templates.
  local set = templates.get("templates_tests:emails")
  local html, err = set:render("welcome", {
    user = { name = "Alice", email = "alice@example.com" },
    activation_url = "https://example.com/activate?token=abc",
  })
  assert(err == nil, tostring(err))
  set:release()
  eq(html, '<p>Welcome, Alice &lt;alice@example.com&gt;</p>\n'
    .. '<a href="https://example.com/activate?token=abc">Activate</a>\n', "welcome")

  -- Set methods: release() returns a boolean, and a released set cannot render.
  local set = templates.get("emails") -- relative ids resolve in the entry's namespace
  assert(set:release() == true)
  assert(set:release() == false)
  local text, err = set:render("welcome", {})
  assert(text == nil and err:kind() == errors.INTERNAL, tostring(err))

  -- Variables.
  eq(render("emails", "items", { user = { name = "Ada", email = "ada@x" }, items = { { name = "a", price = 5 } } }),
    '\n    <li>a - $5</li>\n    <p>0. a</p>\n<b>Ada ada@x 5</b>\n', "variables and loops")

  -- Conditionals.
  eq(render("emails", "order", { order = { shipped = true } }), "<p>Shipped!</p>")
  eq(render("emails", "order", { order = { processing = true } }), "<p>Processing...</p>")
  eq(render("emails", "order", { order = {} }), "<p>Received.</p>")

  -- Inheritance.
  eq(render("emails", "page"),
    "<html>\n<head><title>My Page</title></head>\n<body><p>Content</p></body>\n</html>\n", "page")

  -- Includes.
  eq(render("emails", "main"), "<header>Example Inc.</header>\n\n<main>Content</main>\n<footer>Example Inc.</footer>\n", "main")
  return true
end

-- The code blocks of wippyai/docs en/system/template.md: inheritance, meta.name, and the
-- entries' fields as the registry shows them.
local function system_page()
  eq(render("views", "home", { name = "Ada" }),
    "<html>\n<body>\n  <h1>Welcome, Ada</h1>\n</body>\n</html>\n", "home")
  eq(render("views", "page"),
    "<html>\n<head><title>My Page</title></head>\n<body><p>Content here</p></body>\n</html>\n", "page")
  -- "email-welcome-v2" is "welcome" in its set; others include it by that name.
  eq(render("views", "welcome", { user = "Ada" }), "[header]\nHello Ada!\n")
  eq(render("views", "uses_welcome", { user = "Bo" }), "[header]\nHello Bo!\n")
  local set = templates.get("views")
  local text, err = set:render("email-welcome-v2", {})
  assert(text == nil and err:kind() == errors.NOT_FOUND, tostring(err))
  -- Extra fields stay data for code that reads the registry (data_func, meta.type: view.page).
  local registry = require("registry")
  local page = assert(registry.get("templates_tests:page"))
  eq(page.kind, "template.jet")
  eq(page.data.set, "emails")
  eq(page.data.data_func, "templates_tests:page_data")
  eq(page.meta.type, "view.page")
  return true
end

-- Jet beyond the page: operators, functions, pipelines, range forms, try, blocks with
-- parameters, content and recursion.
local function jet_syntax()
  local text = render("emails", "jet", {
    list = { 1, 2, 3 }, name = "ada", dict = { b = 2, a = 1 }, empty = {},
  })
  eq(text, table.concat({
    "n=3 sum=5 ratio=3 f=3 neg=-3",
    "cmp=true ternary=big",
    "str=ab upper=ADA lower=abc rep=abab",
    "slot=xx trim=[t] pre=true",
    "split=b replace=bbb url=a+b%26c",
    'json={&#34;k&#34;:&#34;\\u003cv\\u003e&#34;} raw=[1,"two"] a:1 b:2 i0 i1 i2 empty-else',
    "caught isset=true,false",
    "x=2 slice=el byte=65",
    "",
  }, "\n"), "jet")
  eq(render("emails", "blocks", {
    name = "Sarah",
    tree = { { text = "a", children = { { text = "b", children = {} } } } },
  }), table.concat({
    "[T:B] [only:none]",
    '<a href="https://example.com">Example</a>',
    "<strong>Batman</strong>",
    "<ul><li>a<ul><li>b</li></ul></li></ul>",
    "<div><h1>Hey Sarah!</h1></div>",
    "",
  }, "\n"), "blocks")
  -- Output is HTML-escaped unless a raw writer comes last.
  eq(render("emails", "escaping", { text = [[<a href="x">'&'</a>]] }),
    [[&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;|<a href="x">'&'</a>|<a href="x">'&'</a>|]]
    .. [[\u003Ca href\u003D\"x\"\u003E\'\u0026\'\u003C/a\u003E]], "escaping")
  return true
end

local function errors_()
  local function fails(kind, pattern, text, err)
    assert(text == nil, "expected a failure, got " .. tostring(text))
    assert(err:kind() == kind, "kind " .. tostring(err:kind()) .. ": " .. tostring(err))
    assert(tostring(err):find(pattern, 1, true), "message: " .. tostring(err))
  end
  fails(errors.INVALID, "must not be empty", templates.get(""))
  fails(errors.INVALID, "must be a string", templates.get(42))
  fails(errors.NOT_FOUND, "no template set 'templates_tests:nope'", templates.get("nope"))
  fails(errors.NOT_FOUND, "is a template.jet, not a template.set", templates.get("welcome"))
  local set = templates.get("emails")
  fails(errors.INVALID, "must not be empty", set:render(""))
  fails(errors.INVALID, "the data must be a table", set:render("welcome", 5))
  fails(errors.NOT_FOUND, "no template 'missing' in set 'templates_tests:emails'", set:render("missing"))
  -- Render errors name the template's file and line.
  fails(errors.INTERNAL, "views/welcome.jet:1: cannot read field 'name' of a number",
    set:render("welcome", { user = 5 }))
  fails(errors.INTERNAL, "_index.yaml:90: division by zero", set:render("broken_at_render", { missing = {}, zero = 0 }))
  fails(errors.INTERNAL, "_index.yaml:89: undefined variable 'missing'", set:render("broken_at_render", {}))
  local err = select(2, set:render("welcome", { user = 5 }))
  assert(err:retryable() == false)
  set:release()
  return true
end

-- An output bomb stops at the sandbox's max_payload (64KiB for this entry).
local function bounds()
  local set = templates.get("emails")
  local text, err = set:render("bomb", { chunk = string.rep("x", 1000) })
  assert(text == nil and err:kind() == errors.INTERNAL, tostring(err))
  assert(tostring(err):find("the output is larger than 65536 bytes", 1, true), tostring(err))
  -- Within the cap it renders.
  local text = assert(set:render("escaping", { text = string.rep("<", 1000) }))
  eq(#text, 4 * 1000 + 1000 + 1000 + 6 * 1000 + 3)
  return true
end

local function other_namespace()
  local set, err = templates.get("templates_other:private")
  assert(set == nil and err:kind() == errors.PERMISSION_DENIED, tostring(err))
  return true
end

-- A set of another namespace listed in the entry's resources: opens.
local function granted_namespace()
  eq(render("templates_other:private", "secret"), "secret")
  return true
end

return {
  granted_namespace = granted_namespace,
  doc_examples = doc_examples,
  system_page = system_page,
  jet_syntax = jet_syntax,
  errors = errors_,
  bounds = bounds,
  other_namespace = other_namespace,
}
