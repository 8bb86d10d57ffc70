//! HTTP (reference §1.10, issue 6): `http.service` servers whose `http.router`s route requests
//! to `http.endpoint`s, each handled by a `function.lua` in a fresh sandbox.
//!
//! [`routes`] decides which endpoint answers a request.

pub mod routes;
