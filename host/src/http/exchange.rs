//! One request/response exchange between the server and the sandbox handling it: the request
//! as the handler sees it, and the response it writes through the `http` module.
//!
//! The server creates the exchange, the sandbox reaches it through the extensions its sandbox was handed ([`crate::engine::Extensions`]),
//! and once the function returns the server takes the response. The response is buffered: the
//! first write fixes status and headers (as a streamed response would), and the body may not
//! grow past the limit the server gives.

use std::sync::Mutex;

use bytes::Bytes;

/// The request, read in full before the handler runs.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// Percent-encoded as sent, without the query.
    pub path: String,
    /// Without '?'.
    pub query: String,
    /// Lower-case names, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The route's `{param}` values, percent-decoded.
    pub params: Vec<(String, String)>,
    pub host: String,
    pub remote_addr: String,
    pub body: Bytes,
}

/// What the handler wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Names as the handler gave them; one value per name (a later `set_header` replaces).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether anything was written: status, headers or body. An untouched response lets the
    /// server send the function's returned value, or its error.
    pub touched: bool,
    /// Whether the body was written to, which fixes status and headers.
    pub committed: bool,
}

impl Default for Response {
    fn default() -> Self {
        Response {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
            touched: false,
            committed: false,
        }
    }
}

/// Why the handler's write was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    #[error("headers already sent: set the status and headers before writing the body")]
    HeadersSent,
    #[error("invalid header {0}")]
    BadHeader(String),
    #[error("the response body would exceed its limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the response was sent when the handler returned")]
    Sent,
}

#[derive(Debug)]
pub struct Exchange {
    request: Request,
    /// `None` once taken: a coroutine the handler left running cannot change what was sent.
    response: Mutex<Option<Response>>,
    max_body: usize,
}

impl Exchange {
    /// An exchange for `request` whose response body may hold up to `max_body` bytes.
    pub fn new(request: Request, max_body: usize) -> Self {
        Exchange {
            request,
            response: Mutex::new(Some(Response::default())),
            max_body,
        }
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Change the response with `change`, unless it was sent.
    fn with_response<T>(
        &self,
        change: impl FnOnce(&mut Response) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let mut response = self.response.lock().unwrap_or_else(|e| e.into_inner());
        change(response.as_mut().ok_or(WriteError::Sent)?)
    }

    pub fn set_status(&self, status: u16) -> Result<(), WriteError> {
        self.with_response(|response| {
            if response.committed {
                return Err(WriteError::HeadersSent);
            }
            response.status = status;
            response.touched = true;
            Ok(())
        })
    }

    /// Set header `name` (replacing earlier values of it, whatever their case).
    pub fn set_header(&self, name: &str, value: &str) -> Result<(), WriteError> {
        if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(WriteError::BadHeader(format!("name {name:?}")));
        }
        if hyper::header::HeaderValue::from_str(value).is_err() {
            return Err(WriteError::BadHeader(format!("value {value:?} for {name}")));
        }
        self.with_response(|response| {
            if response.committed {
                return Err(WriteError::HeadersSent);
            }
            response
                .headers
                .retain(|(old, _)| !old.eq_ignore_ascii_case(name));
            response.headers.push((name.to_owned(), value.to_owned()));
            response.touched = true;
            Ok(())
        })
    }

    /// Set header `name` unless the handler set it, the headers are fixed or the response was
    /// sent (`name` and `value` must be valid).
    pub fn default_header(&self, name: &str, value: &str) {
        let _ = self.with_response(|response| {
            let set = response
                .headers
                .iter()
                .any(|(old, _)| old.eq_ignore_ascii_case(name));
            if !response.committed && !set {
                response.headers.push((name.to_owned(), value.to_owned()));
            }
            Ok(())
        });
    }

    pub fn write(&self, data: &[u8]) -> Result<(), WriteError> {
        self.with_response(|response| {
            if response.body.len() + data.len() > self.max_body {
                return Err(WriteError::TooLarge {
                    limit: self.max_body,
                });
            }
            response.body.extend_from_slice(data);
            response.committed = true;
            response.touched = true;
            Ok(())
        })
    }

    /// The response, once the handler is done; later writes fail with [`WriteError::Sent`].
    pub fn take_response(&self) -> Response {
        let mut response = self.response.lock().unwrap_or_else(|e| e.into_inner());
        response.take().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_write_fixes_status_and_headers() {
        assert!(
            !Exchange::new(Request::default(), 16)
                .take_response()
                .touched
        );
        let exchange = Exchange::new(Request::default(), 16);
        exchange.set_status(201).unwrap();
        exchange.set_header("X-One", "1").unwrap();
        exchange.set_header("x-one", "2").unwrap();
        exchange.write(b"hello").unwrap();
        assert_eq!(exchange.set_status(500), Err(WriteError::HeadersSent));
        assert_eq!(
            exchange.set_header("x-two", "2"),
            Err(WriteError::HeadersSent)
        );
        exchange.write(b" world").unwrap();
        let response = exchange.take_response();
        assert_eq!(response.status, 201);
        assert_eq!(response.headers, vec![("x-one".into(), "2".into())]);
        assert_eq!(response.body, b"hello world");
        // What a coroutine left running writes after the handler returned is refused.
        assert_eq!(exchange.write(b"late"), Err(WriteError::Sent));
        assert_eq!(exchange.set_status(200), Err(WriteError::Sent));
    }

    #[test]
    fn bad_headers_and_oversized_bodies_are_refused() {
        let exchange = Exchange::new(Request::default(), 4);
        assert!(matches!(
            exchange.set_header("bad name", "x"),
            Err(WriteError::BadHeader(_))
        ));
        assert!(matches!(
            exchange.set_header("x", "line\nbreak"),
            Err(WriteError::BadHeader(_))
        ));
        exchange.write(b"1234").unwrap();
        assert_eq!(exchange.write(b"5"), Err(WriteError::TooLarge { limit: 4 }));
    }
}
