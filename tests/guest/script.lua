-- A script for Debian's lua5.4 (tests/test_debian_programs.py): the
-- interpreter's core (tables, closures, coroutines, string patterns and
-- formats, integer and float maths, string.pack, sorting), its io and os
-- libraries, stdin, and the arguments.  Output is compared with qemu-user's.

print(string.format("args: %d [%s]", #arg, table.concat(arg, ",")))

-- Integers, floats, and their formatting.
local fib = {1, 1}
for i = 3, 90 do fib[i] = fib[i - 1] + fib[i - 2] end
print("fib(90)", fib[90], math.type(fib[90]))
print("maths", 7 // 2, 7 % -3, 2 ^ 0.5, math.pi, -0.0, 1e300 * 1e10, math.maxinteger + 1 == math.mininteger)
print(string.format("%5.2f|%-8s|%x|%q|%g", 3.14159, "left", 48879, "a\nb\"c", 1 / 3))
print("tostring", tostring(10 / 2), tostring(3), 0x7fffffff * 3, 255 // 1.0)

-- Strings: patterns, gsub with functions, byte and char.
local text = "The quick brown fox jumps over the lazy dog"
local words = {}
for w in text:gmatch("%a+") do words[#words + 1] = w:lower() end
table.sort(words, function(a, b) return #a < #b or (#a == #b and a < b) end)
print("sorted", table.concat(words, " "))
print("gsub", (text:gsub("(%w+)", function(w) return w:reverse() end)))
print("find", text:find("fox"), text:match("(%a+) dog"), ("%d"):rep(3, "-"))
print("bytes", string.byte("Lua", 1, -1), string.char(72, 105), utf8.char(228, 8364), utf8.len("äö€"))

-- string.pack / unpack (little-endian, sizes of the guest's C types).
local packed = string.pack("<i4 d z", -2, 0.5, "packed")
print("pack", #packed, string.unpack("<i4 d z", packed))

-- Closures and metatables.
local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c1, c2 = counter(), counter()
c1(); c1()
print("closures", c1(), c2())
local Vec = {}
Vec.__index = Vec
Vec.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, Vec) end
Vec.__tostring = function(v) return string.format("(%g, %g)", v.x, v.y) end
print("metatables", tostring(setmetatable({x = 1, y = 2}, Vec) + setmetatable({x = 0.5, y = -4}, Vec)))

-- Coroutines: a generator of primes.
local primes = coroutine.wrap(function()
  local found = {}
  for n = 2, math.huge do
    local prime = true
    for _, p in ipairs(found) do
      if p * p > n then break end
      if n % p == 0 then prime = false; break end
    end
    if prime then found[#found + 1] = n; coroutine.yield(n) end
  end
end)
local first = {}
for i = 1, 25 do first[i] = primes() end
print("primes", table.concat(first, " "))

-- Errors and pcall.
print("pcall", pcall(function() error({code = 42}) end), select(2, pcall(error, "plain")))
print("error msg", select(2, pcall(function() local t = nil; return t.x end)))

-- A table with many keys (the garbage collector and the hash part).
local squares = {}
for i = 1, 20000 do squares["k" .. i] = i * i end
local sum = 0
for _, v in pairs(squares) do sum = sum + v end
collectgarbage()
print("table sum", sum)

-- io: stdin, a file written and read back, os.
local input = io.read("a")
local lines = 0
for _ in input:gmatch("[^\n]*\n") do lines = lines + 1 end
print("stdin", #input, lines)
local path = os.tmpname()
local f = assert(io.open(path, "w"))
f:write("first line\n", 12345, "\n", string.rep("x", 5000), "\n")
f:close()
f = assert(io.open(path, "r"))
print("file", f:read("l"), f:read("n"), #f:read("a"))
f:close()
print("remove", os.remove(path), io.open(path) == nil)
print("getenv", os.getenv("LUA_TEST_VALUE"), os.getenv("NO_SUCH_VARIABLE_HERE"))
print("date", os.date("!%Y-%m-%d %H:%M:%S", 1234567890), os.time({year = 2000, month = 1, day = 1, hour = 12}))
print("clock is a number", type(os.clock()) == "number")
io.stderr:write("a line on stderr\n")
os.exit(3)
