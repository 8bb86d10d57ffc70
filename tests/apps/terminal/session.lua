local io = require("io")
local funcs = require("funcs")

type Report = {what: string, err: string?}

local function main(): integer
    local args: {string} = io.args()
    io.print("args:", #args, table.concat(args, "|"))
    io.write("name? ")
    local name, err = io.readline()
    io.print("hello", name, err)
    local two = io.read(2)
    local rest = io.read(10)
    io.print("bytes:", two, rest)
    local eof, eof_err = io.readline()
    io.print("after the end:", eof, eof_err and eof_err:kind(), tostring(eof_err))
    io.eprint("to stderr", 42)
    assert(io.flush())
    -- Raw mode needs a terminal on stdin; a pipe (as in the tests) gets nil, Unavailable.
    local raw, raw_err = io.raw(true)
    io.print("raw:", raw, raw_err and raw_err:kind())

    -- Only this process has the terminal: a function it calls and a process it spawns do not.
    local from_function: Report = funcs.call("app:helper")
    io.print("function:", from_function.what, from_function.err)
    process.spawn("app:bystander", "app:processes", process.pid())
    local message = process.inbox():receive()
    local from_process = message:payload():data() :: Report
    io.print("process:", from_process.what, from_process.err)
    return #args
end

return { main = main }
