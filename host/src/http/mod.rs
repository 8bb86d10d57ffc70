//! HTTP (Wippy: wippyai/docs en/http/router.md, issue 6): `http.service` servers whose `http.router`s route requests
//! to `http.endpoint`s, each handled by a `function.lua` in a fresh sandbox.
//!
//! [`server`] listens and manages connections; [`handler`] answers one request, using
//! [`routes`] to pick the endpoint, [`cors`] for the router's CORS middleware and an
//! [`exchange`] to let the function read the request and write the response; [`allowlist`]
//! decides which hosts an entry may reach with `http_client`.

pub mod allowlist;
pub mod cors;
pub mod exchange;
pub mod handler;
pub mod routes;
pub mod server;
