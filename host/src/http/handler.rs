//! What an `http.service` does with one request: route it, apply the router's middleware, read
//! the body, run the endpoint's function in a fresh sandbox, and turn what it wrote (or how it
//! failed) into the response.
//!
//! | outcome | response |
//! |---|---|
//! | no route for the path | 404 |
//! | the path has routes, none for the method | 405 with `Allow` |
//! | body over the router's limit | 413 (before the function runs) |
//! | body slower than the `read` timeout | 408 |
//! | the function wrote a response | that response |
//! | it wrote nothing and returned a value | the value as JSON, 200 |
//! | it wrote nothing and failed (raised, or returned `nil, err`) | 500 `{"error": ...}` |
//! | it wrote nothing and returned nothing | 500 `{"error": "no response sent"}` |
//! | it ran past its deadline or the `write` timeout | 504 |
//!
//! A failed function is logged with the endpoint and function ids even when it wrote a
//! response. A `HEAD` request with no `HEAD` endpoint is served by the `GET` endpoint, without
//! the body.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;

use super::exchange::{self, Exchange};
use super::routes::{Matched, Route, Routes};
use crate::app::App;
use crate::codec::{decode_values, msgpack_to_json};
use crate::config::http::{Cors, DEFAULT_MAX_BODY, HttpService, Middleware};
use crate::config::{EntryId, Spec};
use crate::error::CallError;
use crate::error::RunError;

/// The largest response body a function may write.
const MAX_RESPONSE_BODY: usize = 64 << 20;

/// Everything one server needs to answer requests, shared by its connections.
pub struct Site {
    app: Arc<App>,
    server: EntryId,
    routes: Routes,
    routers: HashMap<EntryId, RouterPolicy>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

/// What a router's middleware asks of the requests it routes.
#[derive(Debug, Default)]
struct RouterPolicy {
    cors: Option<Cors>,
    max_body: Option<u64>,
}

pub type Body = Full<Bytes>;

impl Site {
    pub fn new(app: Arc<App>, server: EntryId, service: &HttpService) -> Site {
        let routes = Routes::of_server(app.registry().entries(), &server);
        let routers = app
            .registry()
            .entries()
            .filter_map(|entry| match &entry.spec {
                Spec::HttpRouter(router) if router.server == server => {
                    let mut policy = RouterPolicy::default();
                    for middleware in &router.middleware {
                        match middleware {
                            Middleware::Cors(cors) => policy.cors = Some(cors.clone()),
                            Middleware::BodyLimit { max_bytes } => {
                                policy.max_body = Some(*max_bytes)
                            }
                        }
                    }
                    Some((entry.id.clone(), policy))
                }
                _ => None,
            })
            .collect();
        Site {
            app,
            server,
            routes,
            routers,
            read_timeout: service.timeouts.read,
            write_timeout: service.timeouts.write,
        }
    }

    pub fn server(&self) -> &EntryId {
        &self.server
    }

    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    /// Answer one request from `remote`.
    pub async fn handle(&self, request: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        let origin = header_text(&request, header::ORIGIN).map(str::to_owned);
        if request.method() == Method::OPTIONS
            && let (Some(origin), Some(wanted)) = (
                origin.as_deref(),
                header_text(&request, header::ACCESS_CONTROL_REQUEST_METHOD),
            )
            && let Matched::Found { route, .. } = self.routes.find(wanted, request.uri().path())
            && let Some(cors) = self.policy(route).cors.as_ref()
        {
            let mut response = empty(StatusCode::NO_CONTENT);
            let requested = header_text(&request, header::ACCESS_CONTROL_REQUEST_HEADERS);
            cors.preflight_headers(origin, requested, response.headers_mut());
            return response;
        }
        let head = request.method() == Method::HEAD;
        let path = request.uri().path().to_owned();
        let mut matched = self.routes.find(request.method().as_str(), &path);
        if head && !matches!(matched, Matched::Found { .. }) {
            matched = self.routes.find("GET", &path);
        }
        let (route, params) = match matched {
            Matched::Found { route, params } => (route, params),
            Matched::MethodNotAllowed { allowed } => {
                let mut response = error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format!("method {} is not allowed for {path}", request.method()),
                );
                if let Ok(allow) = HeaderValue::from_str(&allowed.join(", ")) {
                    response.headers_mut().insert(header::ALLOW, allow);
                }
                return response;
            }
            Matched::NotFound => {
                return error(StatusCode::NOT_FOUND, format!("no route for {path}"));
            }
        };
        let policy = self.policy(route);
        let mut response = self.run(route, params, request, remote, policy).await;
        if let (Some(cors), Some(origin)) = (&policy.cors, origin.as_deref()) {
            cors.response_headers(origin, response.headers_mut());
        }
        if head {
            let length = response.body().size_hint().exact().unwrap_or(0);
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            *response.body_mut() = Full::default();
        }
        response
    }

    fn policy(&self, route: &Route) -> &RouterPolicy {
        static NONE: RouterPolicy = RouterPolicy {
            cors: None,
            max_body: None,
        };
        self.routers.get(&route.router).unwrap_or(&NONE)
    }

    async fn run(
        &self,
        route: &Route,
        params: Vec<(String, String)>,
        request: Request<Incoming>,
        remote: SocketAddr,
        policy: &RouterPolicy,
    ) -> Response<Body> {
        let max_body = policy.max_body.unwrap_or(DEFAULT_MAX_BODY);
        let (parts, body) = request.into_parts();
        let body = match self.read_body(body, &parts.headers, max_body).await {
            Ok(body) => body,
            Err(response) => return response,
        };
        let request = exchange::Request {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            params,
            host: parts
                .headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok())
                .or_else(|| parts.uri.authority().map(|a| a.as_str()))
                .unwrap_or_default()
                .to_owned(),
            remote_addr: remote.to_string(),
            body,
        };
        let exchange = Arc::new(Exchange::new(request, MAX_RESPONSE_BODY));
        let call = self.app.call_http(&route.func, exchange.clone());
        let result = match self.write_timeout {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .unwrap_or(Err(CallError::TimedOut(limit))),
            None => call.await,
        };
        self.respond(route, result, &exchange)
    }

    /// The body, or the response refusing it.
    async fn read_body(
        &self,
        body: Incoming,
        headers: &hyper::HeaderMap,
        max_body: u64,
    ) -> Result<Bytes, Response<Body>> {
        let too_large = || {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than this route's limit of {max_body} bytes"),
            )
        };
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok())
            .and_then(|length| length.parse::<u64>().ok());
        if declared.is_some_and(|length| length > max_body) {
            return Err(too_large());
        }
        let limit = usize::try_from(max_body).unwrap_or(usize::MAX);
        let collect = Limited::new(body, limit).collect();
        let collected = match self.read_timeout {
            Some(limit) => match tokio::time::timeout(limit, collect).await {
                Ok(collected) => collected,
                Err(_) => {
                    return Err(error(
                        StatusCode::REQUEST_TIMEOUT,
                        format!(
                            "the request body did not arrive within the read timeout of {}",
                            humantime::format_duration(limit)
                        ),
                    ));
                }
            },
            None => collect.await,
        };
        match collected {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(cause) if cause.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
            Err(cause) => Err(error(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {cause}"),
            )),
        }
    }

    fn respond(
        &self,
        route: &Route,
        result: Result<Vec<u8>, CallError>,
        exchange: &Exchange,
    ) -> Response<Body> {
        let written = exchange.take_response();
        if let Err(failure) = &result {
            tracing::error!(
                server = %self.server,
                endpoint = %route.endpoint,
                entry = %route.func,
                "request failed: {failure}"
            );
        }
        match result {
            Err(CallError::TimedOut(_) | CallError::Run(RunError::Deadline { .. })) => error(
                StatusCode::GATEWAY_TIMEOUT,
                format!("the handler {} did not finish in time", route.func),
            ),
            Err(CallError::Run(busy @ RunError::Busy { .. })) => {
                error(StatusCode::SERVICE_UNAVAILABLE, busy.to_string())
            }
            _ if written.touched => written_response(written),
            // The client learns that it failed, not how: the message and Lua traceback (file
            // names, lines, values) are in the log line above.
            Err(_) => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the handler failed (the server log has the error)".into(),
            ),
            Ok(values) => match decode_values(&values).ok().and_then(|mut values| {
                (!values.is_empty() && !values[0].is_nil()).then(|| values.swap_remove(0))
            }) {
                Some(value) => json_response(StatusCode::OK, &msgpack_to_json(&value)),
                None => error(StatusCode::INTERNAL_SERVER_ERROR, "no response sent".into()),
            },
        }
    }
}

fn header_text<B>(request: &Request<B>, name: header::HeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

fn written_response(written: exchange::Response) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(written.body)));
    *response.status_mut() = StatusCode::from_u16(written.status).unwrap_or(StatusCode::OK);
    for (name, value) in written.headers {
        // Both were checked when the handler set them.
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::default());
    *response.status_mut() = status;
    response
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A response with body `{"error": message}`.
pub fn error(status: StatusCode, message: String) -> Response<Body> {
    json_response(status, &json!({ "error": message }))
}
