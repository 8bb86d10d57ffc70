//! Which endpoint answers a request: the route table of one `http.service`, built from the
//! `http.router`s on it (their prefixes) and the `http.endpoint`s on those (method and path).
//!
//! A request path matches a route when every segment matches: a literal one exactly, a
//! `{param}` any one non-empty segment (percent-decoded, it becomes the parameter), a last
//! `{rest...}` whatever remains (one or more segments). When several routes match, the most
//! specific wins, segment by segment from the left: a literal beats a parameter, which beats
//! the rest. A path some route matches, but not with the request's method, is "method not
//! allowed" (405) with the methods that would be; no match at all is "not found" (404).
//!
//! Two endpoints of one server with the same method and the same path shape (parameter names
//! aside) would be ambiguous: [`conflicts`] reports them when the app loads.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;

use crate::config::http::{HttpEndpoint, RoutePath, Segment};
use crate::config::{ConfigError, Entry, EntryId, Spec};

/// One endpoint, as its server sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub endpoint: EntryId,
    pub router: EntryId,
    pub method: String,
    /// The router's prefix followed by the endpoint's path.
    pub path: RoutePath,
    pub func: EntryId,
}

#[derive(Debug, Default)]
pub struct Routes {
    routes: Vec<Route>,
}

/// What a request matched.
#[derive(Debug, PartialEq)]
pub enum Matched<'a> {
    Found {
        route: &'a Route,
        /// `{param}` values by name, percent-decoded (`{rest...}` is not exposed, as in the
        /// reference runtime).
        params: Vec<(String, String)>,
    },
    MethodNotAllowed {
        allowed: Vec<String>,
    },
    NotFound,
}

impl Routes {
    /// The routes of `server`, in load order.
    pub fn of_server<'a>(entries: impl IntoIterator<Item = &'a Entry>, server: &EntryId) -> Routes {
        let entries: Vec<&Entry> = entries.into_iter().collect();
        let routers: HashMap<&EntryId, &crate::config::http::HttpRouter> = entries
            .iter()
            .filter_map(|entry| match &entry.spec {
                Spec::HttpRouter(router) if &router.server == server => Some((&entry.id, router)),
                _ => None,
            })
            .collect();
        let routes = entries
            .iter()
            .filter_map(|entry| match &entry.spec {
                Spec::HttpEndpoint(endpoint) => {
                    let router = routers.get(&endpoint.router)?;
                    Some(route(&entry.id, endpoint, &router.prefix))
                }
                _ => None,
            })
            .collect();
        Routes { routes }
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route for `method` and `path` (the request's path, without its query).
    pub fn find(&self, method: &str, path: &str) -> Matched<'_> {
        let segments: Vec<&str> = split(path);
        let mut best: Option<(&Route, Vec<u8>)> = None;
        let mut allowed: Vec<String> = Vec::new();
        for route in &self.routes {
            let Some(rank) = rank(&route.path, &segments) else {
                continue;
            };
            if route.method != method {
                if !allowed.contains(&route.method) {
                    allowed.push(route.method.clone());
                }
                continue;
            }
            if best.as_ref().is_none_or(|(_, best)| rank > *best) {
                best = Some((route, rank));
            }
        }
        match best {
            Some((route, _)) => Matched::Found {
                route,
                params: params(&route.path, &segments),
            },
            None if allowed.is_empty() => Matched::NotFound,
            None => Matched::MethodNotAllowed { allowed },
        }
    }
}

fn route(id: &EntryId, endpoint: &HttpEndpoint, prefix: &str) -> Route {
    let mut segments: Vec<Segment> = split(prefix)
        .into_iter()
        .map(|literal| Segment::Literal(literal.to_owned()))
        .collect();
    segments.extend(endpoint.path.segments.iter().cloned());
    Route {
        endpoint: id.clone(),
        router: endpoint.router.clone(),
        method: endpoint.method.clone(),
        path: RoutePath { segments },
        func: endpoint.func.clone(),
    }
}

/// The segments of a path; "/" has none, and a trailing '/' adds none.
fn split(path: &str) -> Vec<&str> {
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

/// How specifically `path` matches `segments` (higher is more specific), or `None`.
fn rank(path: &RoutePath, segments: &[&str]) -> Option<Vec<u8>> {
    let mut rank = Vec::with_capacity(path.segments.len());
    for (at, pattern) in path.segments.iter().enumerate() {
        match pattern {
            Segment::Rest(_) => {
                if segments.len() <= at {
                    return None;
                }
                rank.push(0);
                return Some(rank);
            }
            Segment::Literal(text) => {
                if segments.get(at).map(|s| decode(s)).as_deref() != Some(text.as_str()) {
                    return None;
                }
                rank.push(2);
            }
            Segment::Param(_) => {
                if segments.get(at).is_none_or(|s| s.is_empty()) {
                    return None;
                }
                rank.push(1);
            }
        }
    }
    (segments.len() == path.segments.len()).then_some(rank)
}

fn params(path: &RoutePath, segments: &[&str]) -> Vec<(String, String)> {
    path.segments
        .iter()
        .zip(segments)
        .filter_map(|(pattern, value)| match pattern {
            Segment::Param(name) => Some((name.clone(), decode(value))),
            _ => None,
        })
        .collect()
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// The same path shape: what two routes with one method cannot share.
fn shape(path: &RoutePath) -> Vec<Option<&str>> {
    path.segments
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => Some(text.as_str()),
            Segment::Param(_) => None,
            Segment::Rest(_) => Some("{...}"),
        })
        .collect()
}

/// Endpoints of one server that would answer the same requests, as configuration errors at
/// the later one.
pub fn conflicts(entries: &[Entry]) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    for server in entries
        .iter()
        .filter(|e| matches!(e.spec, Spec::HttpService(_)))
    {
        let routes = Routes::of_server(entries, &server.id);
        let mut seen: HashMap<(&str, Vec<Option<&str>>), &Route> = HashMap::new();
        for route in routes.routes() {
            let key = (route.method.as_str(), shape(&route.path));
            match seen.get(&key) {
                Some(first) => {
                    let location = entries
                        .iter()
                        .find(|e| e.id == route.endpoint)
                        .map(|e| e.location.clone())
                        .unwrap_or_else(|| server.location.clone());
                    errors.push(ConfigError::new(
                        location,
                        Some(route.endpoint.to_string()),
                        format!(
                            "{} {} on {} is already routed to endpoint '{}'",
                            route.method, route.path, server.id, first.endpoint
                        ),
                    ));
                }
                None => {
                    seen.insert(key, route);
                }
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(table: &[(&str, &str)]) -> Routes {
        Routes {
            routes: table
                .iter()
                .enumerate()
                .map(|(n, (method, path))| Route {
                    endpoint: format!("app:e{n}").parse().unwrap(),
                    router: "app:r".parse().unwrap(),
                    method: method.to_string(),
                    path: RoutePath::parse(path).unwrap(),
                    func: "app:f".parse().unwrap(),
                })
                .collect(),
        }
    }

    fn found(routes: &Routes, method: &str, path: &str) -> (String, Vec<(String, String)>) {
        match routes.find(method, path) {
            Matched::Found { route, params } => (route.endpoint.name.clone(), params),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn the_most_specific_route_wins() {
        let table = routes(&[
            ("GET", "/users/{id}"),
            ("GET", "/users/me"),
            ("GET", "/files/{rest...}"),
            ("GET", "/files/{dir}/index"),
            ("GET", "/"),
        ]);
        let param = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            found(&table, "GET", "/users/42"),
            ("e0".into(), vec![param("id", "42")])
        );
        assert_eq!(found(&table, "GET", "/users/me"), ("e1".into(), vec![]));
        assert_eq!(
            found(&table, "GET", "/users/a%20b/"),
            ("e0".into(), vec![param("id", "a b")])
        );
        assert_eq!(found(&table, "GET", "/files/a/b/c").0, "e2");
        assert_eq!(
            found(&table, "GET", "/files/docs/index"),
            ("e3".into(), vec![param("dir", "docs")])
        );
        assert_eq!(found(&table, "GET", "/").0, "e4");
        assert_eq!(table.find("GET", "/files"), Matched::NotFound);
        assert_eq!(table.find("GET", "/users/42/x"), Matched::NotFound);
        assert_eq!(
            table.find("DELETE", "/users/42"),
            Matched::MethodNotAllowed {
                allowed: vec!["GET".into()]
            }
        );
    }

    #[test]
    fn endpoints_get_their_routers_prefix() {
        let endpoint = HttpEndpoint {
            router: "app:api".parse().unwrap(),
            method: "GET".into(),
            path: RoutePath::parse("/hello/{name}").unwrap(),
            func: "app:greet".parse().unwrap(),
        };
        let route = route(&"app:hello".parse().unwrap(), &endpoint, "/api/v1");
        assert_eq!(route.path.to_string(), "/api/v1/hello/{name}");
        let root = super::route(&"app:hello".parse().unwrap(), &endpoint, "/");
        assert_eq!(root.path.to_string(), "/hello/{name}");
    }

    #[test]
    fn ambiguous_endpoints_are_named_at_load() {
        let app = crate::config::testing::TestApp::new(&[(
            "_index.yaml",
            "namespace: web\nentries:\n\
             \x20 - {name: gateway, kind: http.service, addr: \":0\"}\n\
             \x20 - {name: api, kind: http.router, meta: {server: gateway}, prefix: /api}\n\
             \x20 - {name: root, kind: http.router, meta: {server: gateway}}\n\
             \x20 - {name: a, kind: http.endpoint, meta: {router: api}, method: GET, path: \"/u/{id}\", func: f}\n\
             \x20 - {name: b, kind: http.endpoint, meta: {router: root}, method: GET, path: \"/api/u/{name}\", func: f}\n\
             \x20 - {name: c, kind: http.endpoint, meta: {router: api}, method: POST, path: \"/u/{id}\", func: f}\n\
             \x20 - {name: f, kind: function.lua, source: \"return function() end\", method: run}\n",
        )])
        .app();
        let errors: Vec<String> = conflicts(&app.entries)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].ends_with(
                "_index.yaml:7: entry 'web:b': GET /api/u/{name} on web:gateway is already routed \
                 to endpoint 'web:a'"
            ),
            "{}",
            errors[0]
        );
    }
}
