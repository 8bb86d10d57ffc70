//! HTTP (reference §1.10, issue 6): `http.service` servers whose `http.router`s route requests
//! to `http.endpoint`s, each handled by a `function.lua` in a fresh sandbox.
//!
//! [`routes`] decides which endpoint answers a request; [`allowlist`] which hosts an entry may
//! reach with `http_client`.

pub mod allowlist;
pub mod routes;
