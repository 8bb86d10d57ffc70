# The exception tag that setjmp/longjmp lowered to wasm exceptions throw. zig's wasi libc
# references it without defining it, so the guest defines it once here.
.globl __c_longjmp
.tagtype __c_longjmp i32
__c_longjmp:
