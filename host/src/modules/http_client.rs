//! `wit/http-client.wit`, the `http_client` Lua module: outbound HTTP requests, allowed only to
//! the hosts the entry lists in `allowed_hosts` ([`crate::http::allowlist`]), and to those the
//! operator allows every entry on this host with [`ALLOW_OUTBOUND`] (for a trusted app, such as
//! a Wippy app, whose entries declare no `allowed_hosts`).
//!
//! `send` checks the request (method, URL, headers, options) and the allowlist at once, so a
//! refused request never opens a connection, then starts it as a pending operation and returns
//! its handle; the sandbox waits for it as data (docs/architecture.md §3). Redirects are followed here, not by
//! reqwest (its client has `redirect::Policy::none()`), at most [`MAX_REDIRECTS`] of them, and
//! every hop's URL is checked against the allowlist before it is requested: an allowed host
//! cannot bounce a sandbox to one that is not.
//!
//! Bounds: the whole request (redirects and body included) ends after its `timeout` (default
//! [`DEFAULT_TIMEOUT`]), and the response body may not exceed `max_response_body` (default
//! [`DEFAULT_MAX_BODY`]) nor the sandbox's `max_payload`, since the body crosses into the sandbox
//! as one payload. Error kinds: `Invalid` (a bad request or option, a body over the limit),
//! `PermissionDenied` (a host not allowed), `Timeout`, `Unavailable` (connection failures),
//! `Internal` (too many redirects, a redirect without a usable Location).
//!
//! ```lua
//! local http_client = require("http_client")
//! local resp, err = http_client.get("https://api.example.com/v1/items", {query = {page = 2}})
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use rmpv::Value;

use super::host_error;
use crate::bindings::luabox::sandbox::http_client::{self, Request};
use crate::bindings::{Duration as WitDuration, HostError};
use crate::codec::{ErrorObject, encode_values};
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use crate::http::allowlist::HostPattern;
use crate::units::go_duration;

host_module!(HttpClient, "http_client", http_client);

/// The timeout of a request that sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The response body limit of a request that sets none (the sandbox's `max_payload` may lower it).
pub const DEFAULT_MAX_BODY: u64 = 16 << 20;
/// Redirects followed before a request fails (as browsers and Go's client do).
pub const MAX_REDIRECTS: usize = 10;

/// One client for every sandbox, so connections are pooled across requests. It never follows
/// redirects itself (each hop must pass the allowlist) and ignores proxy environment variables,
/// so a request goes to the host that was checked.
static CLIENT: LazyLock<Result<reqwest::Client, String>> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("luabox/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| format!("http_client: cannot build the HTTP client: {error}"))
});

impl http_client::Host for SandboxState {
    fn send(&mut self, request: Request) -> wasmtime::Result<Result<u64, HostError>> {
        let max_payload = u64::from(self.max_payload());
        let guard = Guard {
            entry: self.entry().to_owned(),
            allowed: super::grants(self)
                .map_or_else(|| Arc::from([]), |grants| grants.allowed_hosts.clone()),
            operator: operator_hosts().unwrap_or_default(),
        };
        let prepared = match Prepared::new(request, max_payload) {
            Ok(prepared) => prepared,
            Err(error) => return Ok(Err(error)),
        };
        if let Err(error) = guard.check(&prepared.url, None) {
            return Ok(Err(error));
        }
        let client = match &*CLIENT {
            Ok(client) => client.clone(),
            Err(message) => return Ok(Err(host_error(ErrorKind::Internal, message.clone()))),
        };
        let operation = async move {
            let timeout = prepared.timeout;
            let description = format!("{} {}", prepared.method, prepared.url);
            let outcome = tokio::time::timeout(timeout, fetch(&client, prepared, &guard))
                .await
                .unwrap_or_else(|_| {
                    Err(host_error(
                        ErrorKind::Timeout,
                        format!(
                            "http_client: {description} timed out after {}",
                            humantime::format_duration(timeout)
                        ),
                    ))
                });
            match outcome {
                Ok(response) => encode_values(vec![response]),
                Err(error) => encode_values(vec![
                    Value::Nil,
                    ErrorObject::new(&error.kind, error.message).to_msgpack(),
                ]),
            }
        };
        Ok(Ok(self.pending().start(operation)?))
    }
}

/// The operator's switch: host patterns (comma-separated, as in `allowed_hosts`; `*` for any
/// host on the default ports, `*://*:*` for anything) every entry may reach, on top of its own.
pub const ALLOW_OUTBOUND: &str = "LUABOX_ALLOW_OUTBOUND";

static OPERATOR_HOSTS: LazyLock<Result<Vec<HostPattern>, String>> = LazyLock::new(|| {
    let Ok(text) = std::env::var(ALLOW_OUTBOUND) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|pattern| !pattern.is_empty())
        .map(|pattern| HostPattern::parse(pattern).map_err(|e| format!("{ALLOW_OUTBOUND}: {e}")))
        .collect()
});

/// The hosts the operator allows every entry ([`ALLOW_OUTBOUND`]); an error names a pattern
/// that does not parse (checked when an app loads).
pub fn operator_hosts() -> Result<&'static [HostPattern], String> {
    OPERATOR_HOSTS.as_deref().map_err(Clone::clone)
}

/// Who may reach what: the entry's `allowed_hosts` and the operator's, named in refusals.
struct Guard {
    entry: String,
    allowed: Arc<[HostPattern]>,
    operator: &'static [HostPattern],
}

impl Guard {
    /// Whether `url` may be requested; `from` is the URL that redirected to it, if any.
    fn check(&self, url: &Url, from: Option<&Url>) -> Result<(), HostError> {
        let (scheme, host, port) = target(url)?;
        if self
            .allowed
            .iter()
            .chain(self.operator)
            .any(|pattern| pattern.allows(scheme, host, port))
        {
            return Ok(());
        }
        let hint = if self.allowed.is_empty() {
            " (the entry has none: outbound HTTP is denied unless allowed_hosts lists the host, \
             or the operator allows it to every entry with LUABOX_ALLOW_OUTBOUND)"
        } else {
            ""
        };
        let redirect = match from {
            Some(from) => format!("redirect from '{from}' refused: "),
            None => String::new(),
        };
        Err(host_error(
            ErrorKind::PermissionDenied,
            format!(
                "http_client: {redirect}host '{host}:{port}' is not in allowed_hosts of entry \
                 '{}'{hint}",
                self.entry
            ),
        ))
    }
}

/// The scheme, host and effective port of an http(s) URL; anything else is `Invalid`.
fn target(url: &Url) -> Result<(&str, &str, u16), HostError> {
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(host_error(
            ErrorKind::Invalid,
            format!("http_client: unsupported URL scheme '{scheme}' in '{url}' (http or https)"),
        ));
    }
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) if !host.is_empty() => Ok((scheme, host, port)),
        _ => Err(host_error(
            ErrorKind::Invalid,
            format!("http_client: the URL '{url}' has no host"),
        )),
    }
}

/// A request checked and ready to send.
#[derive(Debug)]
struct Prepared {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    timeout: Duration,
    max_body: u64,
}

impl Prepared {
    /// Check the guest's request: every problem is an `Invalid` error naming what is wrong.
    fn new(request: Request, max_payload: u64) -> Result<Prepared, HostError> {
        let invalid =
            |message: String| host_error(ErrorKind::Invalid, format!("http_client: {message}"));
        let method = Method::from_bytes(request.method.as_bytes())
            .map_err(|_| invalid(format!("invalid method {:?}", request.method)))?;
        let mut url = Url::parse(&request.url)
            .map_err(|error| invalid(format!("invalid URL {:?}: {error}", request.url)))?;
        target(&url)?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| invalid(format!("invalid value for header '{name}'")))?;
            headers.append(header, value);
        }
        let timeout = match request.timeout {
            None => DEFAULT_TIMEOUT,
            Some(timeout) => timeout_of(&timeout).ok_or_else(|| {
                invalid(format!(
                    "invalid timeout {} (a positive number of seconds or a duration such as \
                     \"5s\")",
                    match &timeout {
                        WitDuration::Nanos(nanos) => format!("{nanos}ns"),
                        WitDuration::Text(text) => format!("{text:?}"),
                    }
                ))
            })?,
        };
        let max_body = request
            .max_response_body
            .unwrap_or(DEFAULT_MAX_BODY)
            .min(max_payload);
        Ok(Prepared {
            method,
            url,
            headers,
            body: request.body,
            timeout,
            max_body,
        })
    }

    /// The request to send after `status` redirected this one to `next`: 303 (and 301/302 after
    /// anything but GET or HEAD, as browsers do) becomes a GET without a body; 307 and 308 keep
    /// the method and body. Credentials are not carried to another origin.
    fn redirected(mut self, status: StatusCode, next: Url) -> Prepared {
        let to_get = status == StatusCode::SEE_OTHER && self.method != Method::HEAD
            || matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                && self.method != Method::GET
                && self.method != Method::HEAD;
        if to_get {
            self.method = Method::GET;
            self.body = None;
            for name in ["content-type", "content-length", "content-encoding"] {
                self.headers.remove(name);
            }
        }
        if next.origin() != self.url.origin() {
            for name in ["authorization", "cookie", "proxy-authorization"] {
                self.headers.remove(name);
            }
        }
        self.url = next;
        self
    }
}

/// A guest duration as a timeout: positive, and text in Go's form ("5s", "1m30s").
fn timeout_of(duration: &WitDuration) -> Option<Duration> {
    let timeout = match duration {
        WitDuration::Nanos(nanos) => Duration::from_nanos(u64::try_from(*nanos).ok()?),
        WitDuration::Text(text) => go_duration(text.trim())?,
    };
    (!timeout.is_zero()).then_some(timeout)
}

/// Send `request`, following redirects through `guard`, and read the response into the map the
/// guest receives.
async fn fetch(
    client: &reqwest::Client,
    mut request: Prepared,
    guard: &Guard,
) -> Result<Value, HostError> {
    let mut redirects = 0;
    loop {
        let mut builder = client
            .request(request.method.clone(), request.url.clone())
            .headers(request.headers.clone());
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = builder
            .send()
            .await
            .map_err(|error| send_error(&request, &error))?;
        let status = response.status();
        if !is_followed_redirect(status) {
            return read(response, &request).await;
        }
        if redirects == MAX_REDIRECTS {
            return Err(host_error(
                ErrorKind::Internal,
                format!(
                    "http_client: {} {}: stopped after {MAX_REDIRECTS} redirects",
                    request.method, request.url
                ),
            ));
        }
        let next = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(|location| request.url.join(location).ok())
            .ok_or_else(|| {
                host_error(
                    ErrorKind::Internal,
                    format!(
                        "http_client: {} answered {status} without a usable Location header",
                        request.url
                    ),
                )
            })?;
        guard.check(&next, Some(&request.url))?;
        redirects += 1;
        request = request.redirected(status, next);
    }
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The error for a request that got no response.
fn send_error(request: &Prepared, error: &reqwest::Error) -> HostError {
    let mut message = format!("http_client: {} {}: {error}", request.method, request.url);
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    let kind = if error.is_builder() {
        ErrorKind::Invalid
    } else if error.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Unavailable
    };
    host_error(kind, message)
}

/// Read the body (at most `request.max_body` bytes) and build `{status_code, url, body,
/// body_size, headers}`.
async fn read(mut response: reqwest::Response, request: &Prepared) -> Result<Value, HostError> {
    let too_large = || {
        host_error(
            ErrorKind::Invalid,
            format!(
                "http_client: the response body of {} {} is larger than {} bytes (the request's \
                 max_response_body, at most the sandbox's max_payload)",
                request.method, request.url, request.max_body
            ),
        )
    };
    if request.method != Method::HEAD
        && response
            .content_length()
            .is_some_and(|length| length > request.max_body)
    {
        return Err(too_large());
    }
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let status = response.status().as_u16();
    let url = response.url().to_string();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| {
        let mut failed = send_error(request, &error);
        failed.message = format!("{} (reading the response body)", failed.message);
        failed
    })? {
        if body.len() as u64 + chunk.len() as u64 > request.max_body {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let headers = headers
        .into_iter()
        .map(|(name, value)| (Value::from(name), Value::from(value)))
        .collect();
    Ok(Value::Map(vec![
        (Value::from("status_code"), Value::from(status)),
        (Value::from("url"), Value::from(url)),
        (Value::from("body_size"), Value::from(body.len() as u64)),
        (Value::from("body"), Value::Binary(body)),
        (Value::from("headers"), Value::Map(headers)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> Request {
        Request {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            query: Vec::new(),
            body: None,
            timeout: None,
            max_response_body: None,
        }
    }

    fn prepare(request: Request) -> Result<Prepared, String> {
        Prepared::new(request, 1 << 30).map_err(|e| format!("{}: {}", e.kind, e.message))
    }

    fn guard(patterns: &[&str]) -> Guard {
        Guard {
            entry: "app:fetch".into(),
            allowed: patterns
                .iter()
                .map(|p| HostPattern::parse(p).unwrap())
                .collect(),
            operator: &[],
        }
    }

    #[test]
    fn query_pairs_are_encoded_after_the_urls_own_query() {
        let mut with_query = request("http://example.com/search?lang=en");
        with_query.query = vec![
            ("q".into(), "a b&c=d".into()),
            ("tag".into(), "ü".into()),
            ("tag".into(), "2".into()),
        ];
        let prepared = prepare(with_query).unwrap();
        assert_eq!(
            prepared.url.as_str(),
            "http://example.com/search?lang=en&q=a+b%26c%3Dd&tag=%C3%BC&tag=2"
        );
        // No query option leaves the URL as it was, without a dangling '?'.
        let plain = prepare(request("http://example.com/a")).unwrap();
        assert_eq!(plain.url.as_str(), "http://example.com/a");
    }

    #[test]
    fn defaults_and_limits() {
        let prepared = prepare(request("https://example.com")).unwrap();
        assert_eq!(prepared.timeout, DEFAULT_TIMEOUT);
        assert_eq!(prepared.max_body, DEFAULT_MAX_BODY);
        let mut bigger = request("https://example.com");
        bigger.max_response_body = Some(1 << 40);
        let capped = Prepared::new(bigger, 1024).unwrap();
        assert_eq!(
            capped.max_body, 1024,
            "never above the sandbox's max_payload"
        );
        let mut timed = request("https://example.com");
        timed.timeout = Some(WitDuration::Text("1.5s".into()));
        assert_eq!(prepare(timed).unwrap().timeout, Duration::from_millis(1500));
        let mut nanos = request("https://example.com");
        nanos.timeout = Some(WitDuration::Nanos(2_000_000_000));
        assert_eq!(prepare(nanos).unwrap().timeout, Duration::from_secs(2));
    }

    #[test]
    fn bad_requests_are_invalid_and_named() {
        let cases: Vec<(Request, &str)> = vec![
            (request("not a url"), "invalid URL \"not a url\""),
            (
                request("ftp://example.com/f"),
                "unsupported URL scheme 'ftp'",
            ),
            (
                request("file:///etc/passwd"),
                "unsupported URL scheme 'file'",
            ),
            (
                Request {
                    method: "GE T".into(),
                    ..request("http://example.com")
                },
                "invalid method \"GE T\"",
            ),
            (
                Request {
                    headers: vec![("bad name".into(), "v".into())],
                    ..request("http://example.com")
                },
                "invalid header name \"bad name\"",
            ),
            (
                Request {
                    headers: vec![("x-a".into(), "line\nbreak".into())],
                    ..request("http://example.com")
                },
                "invalid value for header 'x-a'",
            ),
            (
                Request {
                    timeout: Some(WitDuration::Text("soon".into())),
                    ..request("http://example.com")
                },
                "invalid timeout \"soon\"",
            ),
            (
                Request {
                    timeout: Some(WitDuration::Nanos(0)),
                    ..request("http://example.com")
                },
                "invalid timeout 0ns",
            ),
            (
                Request {
                    timeout: Some(WitDuration::Nanos(-5)),
                    ..request("http://example.com")
                },
                "invalid timeout -5ns",
            ),
        ];
        for (request, expected) in cases {
            let error = prepare(request).unwrap_err();
            assert!(error.starts_with("Invalid: http_client: "), "{error}");
            assert!(error.contains(expected), "{error} lacks {expected}");
        }
    }

    #[test]
    fn the_allowlist_names_the_host_and_the_entry() {
        let url = Url::parse("http://evil.example/x").unwrap();
        let error = guard(&["api.example.com"]).check(&url, None).unwrap_err();
        assert_eq!(error.kind, "PermissionDenied");
        assert_eq!(
            error.message,
            "http_client: host 'evil.example:80' is not in allowed_hosts of entry 'app:fetch'"
        );
        let none = guard(&[]).check(&url, None).unwrap_err();
        assert!(
            none.message.contains("the entry has none"),
            "{}",
            none.message
        );
        let from = Url::parse("https://api.example.com/r").unwrap();
        let hop = guard(&["api.example.com"])
            .check(&url, Some(&from))
            .unwrap_err();
        assert!(
            hop.message
                .starts_with("http_client: redirect from 'https://api.example.com/r' refused"),
            "{}",
            hop.message
        );
        let allowed = Url::parse("https://api.example.com/v1").unwrap();
        assert!(guard(&["api.example.com"]).check(&allowed, None).is_ok());
        let port = Url::parse("https://api.example.com:8443/v1").unwrap();
        assert!(guard(&["api.example.com"]).check(&port, None).is_err());
    }

    #[test]
    fn redirects_rewrite_the_method_like_browsers() {
        let post = || {
            let mut post = request("https://a.example/form");
            post.method = "POST".into();
            post.body = Some(b"x=1".to_vec());
            post.headers = vec![
                ("content-type".into(), "text/plain".into()),
                ("authorization".into(), "Bearer t".into()),
            ];
            prepare(post).unwrap()
        };
        let same = Url::parse("https://a.example/done").unwrap();
        let other = Url::parse("https://b.example/done").unwrap();

        let seen = post().redirected(StatusCode::SEE_OTHER, same.clone());
        assert_eq!(seen.method, Method::GET);
        assert!(seen.body.is_none() && !seen.headers.contains_key("content-type"));
        assert!(seen.headers.contains_key("authorization"), "same origin");

        let kept = post().redirected(StatusCode::TEMPORARY_REDIRECT, other);
        assert_eq!(kept.method, Method::POST);
        assert_eq!(kept.body.as_deref(), Some(&b"x=1"[..]));
        assert!(!kept.headers.contains_key("authorization"), "other origin");

        let found = post().redirected(StatusCode::FOUND, same);
        assert_eq!(found.method, Method::GET);
    }
}
