//! Outbound access for `http_client` (issue 6): denied unless the entry lists the host in
//! `allowed_hosts`. A pattern is `[scheme://]host[:port]`, in the style of Spin's
//! `allowed_outbound_hosts`:
//!
//! - scheme: `http`, `https` or `*`; without one, http and https;
//! - host: a name or IP address (case-insensitive; IPv6 in brackets), `*` for any host, or
//!   `*.example.com` for every subdomain of example.com (not example.com itself);
//! - port: a number or `*`; without one, the scheme's default port (80, 443).
//!
//! ```yaml
//! allowed_hosts: ["api.example.com", "https://*.cdn.example", "127.0.0.1:*"]
//! ```

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    scheme: Option<Scheme>,
    host: HostMatch,
    port: PortMatch,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostMatch {
    Any,
    Exact(String),
    /// `*.suffix`: any name ending in `.suffix`.
    SubdomainOf(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortMatch {
    Any,
    Default,
    Exact(u16),
}

impl Scheme {
    fn parse(text: &str) -> Option<Scheme> {
        match text.to_ascii_lowercase().as_str() {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

impl HostPattern {
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        let bad = |why: &str| {
            format!(
                "invalid host pattern '{text}': {why} (expected [scheme://]host[:port], such as \
                 \"api.example.com\", \"https://*.example.com\" or \"127.0.0.1:*\")"
            )
        };
        let (scheme, rest) = match text.split_once("://") {
            Some(("*", rest)) => (None, rest),
            Some((scheme, rest)) => (
                Some(
                    Scheme::parse(scheme)
                        .ok_or_else(|| bad("the scheme must be http, https or *"))?,
                ),
                rest,
            ),
            None => (None, text),
        };
        if rest.contains(['/', '?', '#', '@']) {
            return Err(bad("it may not hold a path, query or user"));
        }
        let (host, port) = split_host_port(rest).ok_or_else(|| bad("the host is malformed"))?;
        let port = match port {
            None => PortMatch::Default,
            Some("*") => PortMatch::Any,
            Some(port) => PortMatch::Exact(
                port.parse()
                    .map_err(|_| bad("the port must be a number or *"))?,
            ),
        };
        let host = host.to_ascii_lowercase();
        let host = if host == "*" {
            HostMatch::Any
        } else if let Some(suffix) = host.strip_prefix("*.") {
            if suffix.is_empty() || suffix.contains('*') {
                return Err(bad("'*' may only stand for a whole host or its subdomains"));
            }
            HostMatch::SubdomainOf(suffix.to_owned())
        } else if host.is_empty() || host.contains('*') {
            return Err(bad("'*' may only stand for a whole host or its subdomains"));
        } else {
            HostMatch::Exact(host)
        };
        Ok(HostPattern {
            scheme,
            host,
            port,
            text: text.to_owned(),
        })
    }

    /// Whether a request to `scheme://host:port` is allowed (`port` is the effective port).
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let Some(scheme) = Scheme::parse(scheme) else {
            return false;
        };
        if self.scheme.is_some_and(|own| own != scheme) {
            return false;
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let host_ok = match &self.host {
            HostMatch::Any => true,
            HostMatch::Exact(own) => own.trim_start_matches('[').trim_end_matches(']') == host,
            HostMatch::SubdomainOf(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.ends_with('.') && head.len() > 1),
        };
        let port_ok = match self.port {
            PortMatch::Any => true,
            PortMatch::Exact(own) => own == port,
            PortMatch::Default => match self.scheme {
                Some(own) => own.default_port() == port,
                None => port == scheme.default_port(),
            },
        };
        host_ok && port_ok
    }
}

/// `host` and the optional `port` of `host[:port]` (IPv6 hosts in brackets).
fn split_host_port(text: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let host = &text[..inside.len() + 2];
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, Some(port))),
        Some(_) => None,
        None => Some((text, None)),
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(pattern: &str, scheme: &str, host: &str, port: u16) -> bool {
        HostPattern::parse(pattern)
            .unwrap()
            .allows(scheme, host, port)
    }

    #[test]
    fn hosts_schemes_and_ports() {
        assert!(allows("api.example.com", "https", "API.example.com", 443));
        assert!(allows("api.example.com", "http", "api.example.com", 80));
        assert!(!allows("api.example.com", "https", "api.example.com", 8443));
        assert!(!allows("api.example.com", "https", "evil.example.com", 443));
        assert!(allows(
            "https://api.example.com",
            "https",
            "api.example.com",
            443
        ));
        assert!(!allows(
            "https://api.example.com",
            "http",
            "api.example.com",
            80
        ));
        assert!(!allows(
            "https://api.example.com",
            "http",
            "api.example.com",
            443
        ));
        assert!(allows("127.0.0.1:*", "http", "127.0.0.1", 38211));
        assert!(!allows("127.0.0.1:*", "http", "127.0.0.2", 80));
        assert!(allows("*.example.com", "https", "a.b.example.com", 443));
        assert!(!allows("*.example.com", "https", "example.com", 443));
        assert!(!allows("*.example.com", "https", "badexample.com", 443));
        assert!(allows("*://*:*", "http", "anything", 1));
        assert!(allows("[::1]:8080", "http", "[::1]", 8080));
        assert!(!allows("localhost:8080", "ftp", "localhost", 8080));
    }

    #[test]
    fn malformed_patterns_are_explained() {
        for (pattern, why) in [
            ("ftp://x", "scheme must be http, https or *"),
            ("x.com/path", "path"),
            ("x.com:http", "port must be a number"),
            ("a*.com", "'*' may only stand"),
            ("", "'*' may only stand"),
        ] {
            let error = HostPattern::parse(pattern).unwrap_err();
            assert!(error.contains(why), "{pattern}: {error}");
        }
    }
}
