//! What each Lua entry kind means at run time. A `function.lua` entry becomes a
//! [`function::Function`]: its chunk, the libraries it reaches through `imports:`
//! ([`library::closure`]), the modules linked for them, its method, limits and pool.

pub mod function;
pub mod library;
pub mod process;
pub mod workflow;
