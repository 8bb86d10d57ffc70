//! The `cors` middleware of an `http.router`: answers preflight requests and adds
//! `Access-Control-Allow-Origin` to the router's responses for allowed origins (Fetch standard,
//! "CORS protocol").
//!
//! An origin is allowed when the router's `cors.allow.origins` holds `*` or the origin itself
//! (compared without case). With `*` the response allows any origin (`*`), otherwise it echoes
//! the origin and adds `Vary: Origin` so caches keep responses for different origins apart.
//! A preflight from an origin that is not allowed gets no CORS headers, which makes the
//! browser refuse the real request.

use hyper::header::{HeaderMap, HeaderValue};

use crate::config::http::Cors;

impl Cors {
    /// The value of `Access-Control-Allow-Origin` for a request from `origin`, if allowed.
    fn allow_origin(&self, origin: &str) -> Option<HeaderValue> {
        if self.allow_origins.iter().any(|allowed| allowed == "*") {
            return Some(HeaderValue::from_static("*"));
        }
        self.allow_origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
            .then(|| HeaderValue::from_str(origin).ok())
            .flatten()
    }

    fn echoes_origin(&self) -> bool {
        !self.allow_origins.iter().any(|allowed| allowed == "*")
    }

    /// Headers for an actual (non-preflight) response to a request from `origin`.
    pub fn response_headers(&self, origin: &str, headers: &mut HeaderMap) {
        if let Some(allowed) = self.allow_origin(origin) {
            headers.insert("access-control-allow-origin", allowed);
        }
        if self.echoes_origin() {
            headers.append("vary", HeaderValue::from_static("Origin"));
        }
    }

    /// Headers answering a preflight from `origin` that asks for `requested_headers`.
    pub fn preflight_headers(
        &self,
        origin: &str,
        requested_headers: Option<&str>,
        headers: &mut HeaderMap,
    ) {
        self.response_headers(origin, headers);
        if !headers.contains_key("access-control-allow-origin") {
            return;
        }
        if let Ok(methods) = HeaderValue::from_str(&self.allow_methods.join(", ")) {
            headers.insert("access-control-allow-methods", methods);
        }
        let allow_headers = if self.allow_headers.iter().any(|h| h == "*") {
            // Echo what was asked: `*` is not honoured by every browser for every header.
            requested_headers.map(str::to_owned)
        } else {
            Some(self.allow_headers.join(", "))
        };
        if let Some(value) = allow_headers.and_then(|value| HeaderValue::from_str(&value).ok()) {
            headers.insert("access-control-allow-headers", value);
        }
        if let Some(max_age) = self.max_age {
            headers.insert(
                "access-control-max-age",
                HeaderValue::from(max_age.as_secs()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str]) -> Cors {
        Cors {
            allow_origins: origins.iter().map(|o| o.to_string()).collect(),
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["*".into()],
            max_age: Some(std::time::Duration::from_secs(600)),
        }
    }

    #[test]
    fn listed_origins_are_echoed_with_vary() {
        let cors = cors(&["https://app.example"]);
        let mut headers = HeaderMap::new();
        cors.preflight_headers("https://APP.example", Some("content-type"), &mut headers);
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://APP.example"
        );
        assert_eq!(headers["vary"], "Origin");
        assert_eq!(headers["access-control-allow-methods"], "GET, POST");
        assert_eq!(headers["access-control-allow-headers"], "content-type");
        assert_eq!(headers["access-control-max-age"], "600");
    }

    #[test]
    fn other_origins_get_no_allowance() {
        let cors = cors(&["https://app.example"]);
        let mut headers = HeaderMap::new();
        cors.preflight_headers("https://evil.example", None, &mut headers);
        assert!(!headers.contains_key("access-control-allow-origin"));
        assert!(!headers.contains_key("access-control-allow-methods"));
    }

    #[test]
    fn a_star_allows_every_origin_without_vary() {
        let mut headers = HeaderMap::new();
        cors(&["*"]).response_headers("https://any.example", &mut headers);
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert!(!headers.contains_key("vary"));
    }
}
