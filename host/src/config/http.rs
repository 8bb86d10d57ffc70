//! The fields of `http.service`, `http.router` and `http.endpoint` (Wippy: wippyai/docs en/http/router.md) →
//! [`HttpService`], [`HttpRouter`], [`HttpEndpoint`].
//!
//! ```yaml
//! - name: gateway
//!   kind: http.service
//!   addr: ":8080"                       # required: [host]:port ("" host = every interface)
//!   timeouts: { read: 5s, write: 30s, idle: 60s }
//!   lifecycle: { auto_start: true }
//! - name: api
//!   kind: http.router
//!   meta: { server: gateway }           # required: an http.service
//!   prefix: /api                        # default /
//!   middleware: [cors, body_limit]
//!   options: { cors.allow.origins: "*", body_limit.max_bytes: 1048576 }
//!   post_middleware: []                 # the reference runtime's post-match list: the same
//!   post_options: {}                    # middleware, which luabox runs after matching anyway
//! - name: hello
//!   kind: http.endpoint
//!   meta: { router: api }               # required: an http.router
//!   method: GET
//!   path: /hello/{name}                 # {param} segments; a last {rest...} takes the rest
//!   func: greet                         # required: a function.lua
//! ```
//!
//! References without `:` are in the entry's namespace; their kinds are checked once all files
//! are read (`validate.rs`).

use std::time::Duration;

use super::build::{self, Reference};
use super::entry::Spec;
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::entry_kind;
use super::kinds::suggest;
use super::lifecycle::{self, Lifecycle};
use super::yaml::{Key, Node, Problem};
use crate::units::parse_size;

/// `http.service`: an HTTP server.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpService {
    /// Where it listens, as written (`":8080"` is every interface).
    pub addr: String,
    pub timeouts: Timeouts,
    pub lifecycle: Lifecycle,
}

/// How long a connection may take; `None` leaves it unbounded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeouts {
    /// Reading a request's headers and body.
    pub read: Option<Duration>,
    /// Producing and writing the response.
    pub write: Option<Duration>,
    /// A kept-alive connection with no request.
    pub idle: Option<Duration>,
}

/// `http.router`: a group of endpoints under a path prefix, with middleware.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRouter {
    /// An `http.service` entry (`meta.server`).
    pub server: EntryId,
    /// Starts with '/', no trailing '/' except for the root.
    pub prefix: String,
    pub middleware: Vec<Middleware>,
}

/// A router's middleware, with its options (`options: {"cors.allow.origins": ...}`).
#[derive(Debug, Clone, PartialEq)]
pub enum Middleware {
    Cors(Cors),
    /// Requests whose body is larger get 413.
    BodyLimit {
        max_bytes: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cors {
    /// `*` or the origins allowed.
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub max_age: Option<Duration>,
}

/// `http.endpoint`: one method and path routed to a `function.lua`.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpEndpoint {
    /// An `http.router` entry (`meta.router`).
    pub router: EntryId,
    pub method: String,
    pub path: RoutePath,
    /// A `function.lua` entry.
    pub func: EntryId,
}

/// A route path: literal segments, `{param}` segments, and optionally a last `{rest...}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoutePath {
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

pub const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
];
const TIMEOUT_FIELDS: &[&str] = &["read", "write", "idle"];
const MIDDLEWARE: &[&str] = &["cors", "body_limit"];
const OPTIONS: &[&str] = &[
    "cors.allow.origins",
    "cors.allow.methods",
    "cors.allow.headers",
    "cors.max_age",
    "body_limit.max_bytes",
];
/// `body_limit` without `body_limit.max_bytes`.
pub const DEFAULT_MAX_BODY: u64 = 10 << 20;

pub fn service(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<HttpService>, Vec<Reference>) {
    let mut refs = Vec::new();
    let addr = fields::find(fields, "addr").and_then(|(_, node)| {
        let text = fields::non_empty_string("addr", node)
            .map_err(|p| problems.push(p))
            .ok()?;
        check_addr(&text)
            .map_err(|message| problems.push(problem(node.line, message)))
            .ok()?;
        Some(text)
    });
    let before = problems.len();
    let mut timeouts = Timeouts::default();
    if let Some((_, node)) = fields::find(fields, "timeouts") {
        fields::each_field("timeouts", node, problems, |key, value, field, _| {
            let slot = match key.text.as_str() {
                "read" => &mut timeouts.read,
                "write" => &mut timeouts.write,
                "idle" => &mut timeouts.idle,
                _ => return Err(fields::unknown("timeouts", key, TIMEOUT_FIELDS)),
            };
            *slot = Some(fields::duration(field, value)?);
            Ok(())
        });
    }
    let timeouts_ok = problems.len() == before;
    let lifecycle = match fields::find(fields, "lifecycle") {
        Some((_, node)) => lifecycle::parse(node, &id.ns, &mut refs, problems),
        None => Some(Lifecycle::default()),
    };
    let service = match (addr, lifecycle) {
        (Some(addr), Some(lifecycle)) if timeouts_ok => Some(HttpService {
            addr,
            timeouts,
            lifecycle,
        }),
        _ => None,
    };
    (service, refs)
}

/// `[host]:port`, the port a number (0 picks a free one).
fn check_addr(addr: &str) -> Result<(), String> {
    let port = addr.rsplit_once(':').map(|(_, port)| port);
    match port.map(str::parse::<u16>) {
        Some(Ok(_)) => Ok(()),
        _ => Err(format!(
            "field 'addr' must be [host]:port, such as \":8080\" or \"127.0.0.1:8080\", not \
             '{addr}'"
        )),
    }
}

/// A reference in the entry's `meta:` (`meta.server`, `meta.router`), at its line.
fn meta_reference(
    meta: Option<&Node>,
    name: &'static str,
    expect: &'static [&'static str],
    id: &EntryId,
    line: usize,
    refs: &mut Vec<Reference>,
    problems: &mut Vec<Problem>,
) -> Option<EntryId> {
    let Some(node) = meta.and_then(|meta| meta.get(name)) else {
        problems.push(problem(
            line,
            format!(
                "missing required field 'meta.{name}' (the {} it belongs to)",
                expect[0]
            ),
        ));
        return None;
    };
    let field = format!("meta.{name}");
    build::reference(&field, node, node.line, expect, &id.ns, refs, problems)
}

pub fn router(
    fields: &[(Key, Node)],
    meta: Option<&Node>,
    id: &EntryId,
    line: usize,
    problems: &mut Vec<Problem>,
) -> (Option<HttpRouter>, Vec<Reference>) {
    let mut refs = Vec::new();
    let before = problems.len();
    let server = meta_reference(
        meta,
        "server",
        &["http.service"],
        id,
        line,
        &mut refs,
        problems,
    );
    let prefix = match fields::find(fields, "prefix") {
        None => "/".to_owned(),
        Some((_, node)) => fields::string("prefix", node)
            .and_then(|text| normalise_prefix(&text).map_err(|message| problem(node.line, message)))
            .map_err(|p| problems.push(p))
            .unwrap_or_default(),
    };
    // Every luabox middleware runs once the route is known (a router's policy applies to its
    // own routes), so the reference runtime's post-match list joins the pre-match one.
    let mut middleware = middleware_list(fields, "middleware", "options", problems);
    middleware.extend(middleware_list(
        fields,
        "post_middleware",
        "post_options",
        problems,
    ));
    let router = server
        .filter(|_| problems.len() == before)
        .map(|server| HttpRouter {
            server,
            prefix,
            middleware,
        });
    (router, refs)
}

/// The middleware named in field `list`, configured by field `options`.
fn middleware_list(
    fields: &[(Key, Node)],
    list: &str,
    options: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Middleware> {
    let options_node = fields::find(fields, options).map(|(_, node)| node);
    let middleware = match fields::find(fields, list) {
        None => Vec::new(),
        Some((_, node)) if node.is_null() => Vec::new(),
        Some((_, node)) => match fields::string_list(list, node) {
            Ok(names) => names
                .into_iter()
                .filter_map(|(name, at)| {
                    middleware(&name, options_node, options, at)
                        .map_err(|p| problems.push(p))
                        .ok()
                })
                .collect(),
            Err(p) => {
                problems.push(p);
                Vec::new()
            }
        },
    };
    if let Some(node) = options_node {
        fields::each_field(options, node, problems, |key, _, _, _| {
            if OPTIONS.contains(&key.text.as_str()) {
                Ok(())
            } else {
                Err(fields::unknown(options, key, OPTIONS))
            }
        });
    }
    middleware
}

fn normalise_prefix(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok("/".to_owned());
    }
    if !trimmed.starts_with('/') || trimmed.contains(['{', '}', '?', '#']) {
        return Err(format!(
            "field 'prefix' must be a path such as /api (no parameters or query), not '{text}'"
        ));
    }
    Ok(trimmed.to_owned())
}

/// An option's value as a list of strings: a list, or one comma-separated string.
fn option_list(
    options: Option<&Node>,
    options_field: &str,
    name: &str,
    default: &[&str],
) -> Result<Vec<String>, Problem> {
    let Some(node) = options.and_then(|options| options.get(name)) else {
        return Ok(default.iter().map(|s| s.to_string()).collect());
    };
    let field = format!("{options_field}.{name}");
    if node.as_seq().is_some() {
        return Ok(fields::string_list(&field, node)?
            .into_iter()
            .map(|(item, _)| item)
            .collect());
    }
    Ok(fields::string(&field, node)?
        .split(',')
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect())
}

fn middleware(
    name: &str,
    options: Option<&Node>,
    field: &str,
    line: usize,
) -> Result<Middleware, Problem> {
    match name {
        "cors" => Ok(Middleware::Cors(Cors {
            allow_origins: option_list(options, field, "cors.allow.origins", &["*"])?,
            allow_methods: option_list(options, field, "cors.allow.methods", METHODS)?,
            allow_headers: option_list(options, field, "cors.allow.headers", &["*"])?,
            max_age: options
                .and_then(|options| options.get("cors.max_age"))
                .map(|node| fields::duration(&format!("{field}.cors.max_age"), node))
                .transpose()?,
        })),
        "body_limit" => {
            let max_bytes = match options.and_then(|options| options.get("body_limit.max_bytes")) {
                None => DEFAULT_MAX_BODY,
                Some(node) => {
                    let text = node.as_scalar().map(|s| s.text.clone()).unwrap_or_default();
                    parse_size(&text).map_err(|error| {
                        problem(
                            node.line,
                            format!("{field}.body_limit.max_bytes: {error:#}"),
                        )
                    })?
                }
            };
            Ok(Middleware::BodyLimit { max_bytes })
        }
        _ => {
            let mut message = format!(
                "unknown middleware '{name}' (luabox provides: {})",
                MIDDLEWARE.join(", ")
            );
            if let Some(near) = suggest(name, MIDDLEWARE.iter().copied()) {
                message.push_str(&format!("; did you mean '{near}'?"));
            }
            Err(problem(line, message))
        }
    }
}

pub fn endpoint(
    fields: &[(Key, Node)],
    meta: Option<&Node>,
    id: &EntryId,
    line: usize,
    problems: &mut Vec<Problem>,
) -> (Option<HttpEndpoint>, Vec<Reference>) {
    let mut refs = Vec::new();
    let before = problems.len();
    let router = meta_reference(
        meta,
        "router",
        &["http.router"],
        id,
        line,
        &mut refs,
        problems,
    );
    let method = fields::find(fields, "method").and_then(|(_, node)| {
        let text = fields::non_empty_string("method", node)
            .map_err(|p| problems.push(p))
            .ok()?
            .to_ascii_uppercase();
        if METHODS.contains(&text.as_str()) {
            Some(text)
        } else {
            problems.push(problem(
                node.line,
                format!("unknown method '{text}' (one of: {})", METHODS.join(", ")),
            ));
            None
        }
    });
    let path = fields::find(fields, "path").and_then(|(_, node)| {
        let text = fields::non_empty_string("path", node)
            .map_err(|p| problems.push(p))
            .ok()?;
        RoutePath::parse(&text)
            .map_err(|message| problems.push(problem(node.line, message)))
            .ok()
    });
    let func = fields::find(fields, "func").and_then(|(key, node)| {
        let text = fields::non_empty_string("func", node)
            .map_err(|p| problems.push(p))
            .ok()?;
        let target = EntryId::resolve(&text, &id.ns)
            .map_err(|e| problems.push(problem(node.line, format!("func: {e}"))))
            .ok()?;
        refs.push(Reference {
            label: "func".into(),
            target: target.clone(),
            line: key.line,
            expect: &["function.lua"],
        });
        Some(target)
    });
    let endpoint = match (router, method, path, func) {
        (Some(router), Some(method), Some(path), Some(func)) if problems.len() == before => {
            Some(HttpEndpoint {
                router,
                method,
                path,
                func,
            })
        }
        _ => None,
    };
    (endpoint, refs)
}

impl RoutePath {
    pub fn parse(text: &str) -> Result<RoutePath, String> {
        let bad = |why: &str| format!("field 'path' {why}: '{text}'");
        let Some(rest) = text.strip_prefix('/') else {
            return Err(bad("must start with '/'"));
        };
        if text.contains(['?', '#']) {
            return Err(bad("may not hold a query or fragment"));
        }
        let mut segments = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        for (at, part) in parts.iter().enumerate() {
            let last = at + 1 == parts.len();
            let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(inner) => {
                    let (name, rest) = match inner.strip_suffix("...") {
                        Some(name) => (name, true),
                        None => (inner, false),
                    };
                    let valid = !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !valid {
                        return Err(bad(&format!("has a bad parameter '{{{inner}}}'")));
                    }
                    if names.contains(&name) {
                        return Err(bad(&format!("names parameter '{name}' twice")));
                    }
                    names.push(name);
                    if rest && !last {
                        return Err(bad(&format!("has '{{{inner}}}' before its last segment")));
                    }
                    if rest {
                        Segment::Rest(name.to_owned())
                    } else {
                        Segment::Param(name.to_owned())
                    }
                }
                None if part.contains(['{', '}']) => {
                    return Err(bad("mixes text and a parameter in one segment"));
                }
                None if part.is_empty() && !last => return Err(bad("has an empty segment")),
                None => Segment::Literal((*part).to_owned()),
            };
            segments.push(segment);
        }
        Ok(RoutePath { segments })
    }
}

impl std::fmt::Display for RoutePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("/");
        }
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => write!(f, "/{text}")?,
                Segment::Param(name) => write!(f, "/{{{name}}}")?,
                Segment::Rest(name) => write!(f, "/{{{name}...}}")?,
            }
        }
        Ok(())
    }
}

entry_kind! {
    /// `http.service`.
    Service: "http.service",
    required: ["addr"],
    optional: ["timeouts", "lifecycle"],
    role: Service,
    build: |cx| {
        let (service, found) = service(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        service.map(Spec::HttpService)
    },
}

entry_kind! {
    /// `http.router`.
    Router: "http.router",
    required: [],
    optional: ["prefix", "middleware", "options", "post_middleware", "post_options"],
    build: |cx| {
        let (router, found) = router(cx.fields, cx.meta, cx.id, cx.line, cx.problems);
        cx.refs.extend(found);
        router.map(Spec::HttpRouter)
    },
}

entry_kind! {
    /// `http.endpoint`.
    Endpoint: "http.endpoint",
    required: ["method", "path", "func"],
    optional: [],
    build: |cx| {
        let (endpoint, found) = endpoint(cx.fields, cx.meta, cx.id, cx.line, cx.problems);
        cx.refs.extend(found);
        endpoint.map(Spec::HttpEndpoint)
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_paths() {
        let path = RoutePath::parse("/users/{id}/files/{rest...}").unwrap();
        assert_eq!(
            path.segments,
            vec![
                Segment::Literal("users".into()),
                Segment::Param("id".into()),
                Segment::Literal("files".into()),
                Segment::Rest("rest".into()),
            ]
        );
        assert_eq!(path.to_string(), "/users/{id}/files/{rest...}");
        assert_eq!(RoutePath::parse("/").unwrap().segments, vec![]);
        for (bad, why) in [
            ("users", "must start with '/'"),
            ("/a/{rest...}/b", "before its last segment"),
            ("/a/{id}/{id}", "names parameter 'id' twice"),
            ("/a/x{id}", "mixes text and a parameter"),
            ("/a/{}", "bad parameter"),
            ("/a//b", "empty segment"),
            ("/a?b=1", "query"),
        ] {
            let error = RoutePath::parse(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn post_middleware_joins_the_router_middleware_with_its_own_options() {
        use crate::config::testing::*;
        let server = "  - {name: gateway, kind: http.service, addr: \"127.0.0.1:0\"}\n";
        let loaded = one_file(&format!(
            "{server}\
             \x20 - name: api\n    kind: http.router\n    meta: {{server: gateway}}\n\
             \x20   middleware: [body_limit]\n    options: {{body_limit.max_bytes: 1KiB}}\n\
             \x20   post_middleware: [cors]\n\
             \x20   post_options: {{cors.allow.origins: \"https://a.example\"}}\n",
        ))
        .app();
        let crate::config::Spec::HttpRouter(router) = &entry(&loaded, "app:api").spec else {
            panic!("not a router");
        };
        assert_eq!(router.middleware.len(), 2);
        assert_eq!(
            router.middleware[0],
            Middleware::BodyLimit { max_bytes: 1024 }
        );
        let Middleware::Cors(cors) = &router.middleware[1] else {
            panic!("not cors: {:?}", router.middleware[1]);
        };
        assert_eq!(cors.allow_origins, ["https://a.example"]);
        let unknown = one_file(&format!(
            "{server}\
             \x20 - name: api\n    kind: http.router\n    meta: {{server: gateway}}\n\
             \x20   post_middleware: [endpoint_firewall]\n\
             \x20   post_options: {{endpoint_firewall.action: access}}\n",
        ));
        assert_eq!(
            unknown.errors(),
            [
                "_index.yaml:7: entry 'app:api': unknown middleware 'endpoint_firewall' (luabox \
                 provides: cors, body_limit)",
                "_index.yaml:8: entry 'app:api': unknown field 'post_options.endpoint_firewall.action' \
                 (expected one of: cors.allow.origins, cors.allow.methods, cors.allow.headers, \
                 cors.max_age, body_limit.max_bytes)",
            ]
        );
    }

    #[test]
    fn prefixes_and_addresses() {
        assert_eq!(normalise_prefix("/api/").unwrap(), "/api");
        assert_eq!(normalise_prefix("").unwrap(), "/");
        assert!(normalise_prefix("api").is_err());
        assert!(check_addr(":8080").is_ok());
        assert!(check_addr("127.0.0.1:0").is_ok());
        assert!(check_addr("localhost").unwrap_err().contains("[host]:port"));
    }
}
