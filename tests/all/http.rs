//! HTTP serving through `luabox run`: a real server on a free port and a real HTTP client
//! (tests/apps/http): routing and params, JSON in and out, each error status, CORS, concurrent
//! clients, a fresh sandbox per request, graceful shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::util::{luabox, repo};

/// A `luabox run` of an app, with the address its server listens on.
struct Server {
    child: Child,
    base: String,
    log: std::path::PathBuf,
    _logs: tempfile::TempDir,
}

impl Server {
    fn start(app: &Path) -> Server {
        let logs = tempfile::tempdir().unwrap();
        let log = logs.path().join("run.log");
        let child = Command::new(env!("CARGO_BIN_EXE_luabox"))
            .args(["run", app.to_str().unwrap()])
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("luabox run starts");
        let started = Instant::now();
        let base = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(at) = text.find("listening on http://") {
                let rest = &text[at + "listening on ".len()..];
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                break rest[..end].to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Server {
            child,
            base,
            log,
            _logs: logs,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, and the exit code.
    fn stop(mut self) -> i32 {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap().code().unwrap_or(-1)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn app() -> Server {
    Server::start(Path::new(&repo("tests/apps/http")))
}

/// Status, headers (lower-case names) and body of a response, whatever its status.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Json {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

fn send(request: ureq::Request, body: Option<&str>) -> Reply {
    let result = match body {
        Some(body) => request.send_string(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .map(|name| {
            let value = response.header(&name).unwrap_or_default().to_owned();
            (name.to_ascii_lowercase(), value)
        })
        .collect();
    Reply {
        status,
        headers,
        body: response.into_string().unwrap(),
    }
}

fn get(url: &str) -> Reply {
    send(ureq::get(url), None)
}

#[test]
fn routes_params_and_json_in_and_out() {
    let server = app();
    let hello = get(&server.url("/api/hello/ada%20lovelace"));
    assert_eq!(hello.status, 200);
    assert_eq!(hello.header("content-type"), Some("application/json"));
    assert_eq!(hello.json(), json!({"message": "hello ada lovelace"}));

    let echo = send(
        ureq::post(&server.url("/api/echo?page=2&tag=a&tag=b%20c"))
            .set("Content-Type", "application/json; charset=utf-8")
            .set("Accept", "text/html, application/*")
            .set("X-Custom", "custom value"),
        Some(r#"{"user": {"id": 7, "tags": ["x"]}, "n": 1.5}"#),
    );
    assert_eq!(echo.status, 201, "{}", echo.body);
    assert_eq!(echo.header("x-echo"), Some("yes"));
    let echo = echo.json();
    assert_eq!(
        echo["body"],
        json!({"user": {"id": 7, "tags": ["x"]}, "n": 1.5})
    );
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/api/echo");
    assert_eq!(echo["page"], "2");
    assert_eq!(echo["tags"], json!(["a", "b c"]));
    assert_eq!(echo["query"], json!({"page": "2", "tag": "a"}));
    assert_eq!(echo["header"], "custom value");
    assert_eq!(echo["is_json"], true);
    assert_eq!(echo["accepts_json"], true);
    assert_eq!(echo["length"], 44);
    assert_eq!(echo["host"], server.base.trim_start_matches("http://"));
    assert_eq!(echo["has_remote"], true);

    let not_json = send(ureq::post(&server.url("/api/echo")), Some("{nope"));
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()["kind"], "Invalid");
    assert!(
        not_json.json()["error"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{}",
        not_json.body
    );

    // The most specific route wins; {rest...} takes what remains.
    assert_eq!(
        get(&server.url("/items/special")).body,
        "GET /items/special id=nil"
    );
    assert_eq!(get(&server.url("/items/42")).body, "GET /items/42 id=42");
    let deleted = send(ureq::delete(&server.url("/items/9")), None);
    assert_eq!(deleted.body, "DELETE /items/9 id=9");
    assert_eq!(deleted.header("content-type"), Some("text/plain"));
    assert_eq!(get(&server.url("/files/a/b/c.txt")).status, 200);

    // HEAD is served by the GET endpoint, without a body.
    let head = send(ureq::head(&server.url("/items/42")), None);
    assert_eq!(head.status, 200);
    assert_eq!(head.body, "");
    assert_eq!(head.header("content-length"), Some("20"));
    assert_eq!(server.stop(), 0);
}

#[test]
fn each_failure_gets_its_status() {
    let server = app();
    let missing = get(&server.url("/nowhere"));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), json!({"error": "no route for /nowhere"}));

    let wrong_method = send(ureq::put(&server.url("/items/1")), Some(""));
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET, DELETE"));

    // A failed handler's message and traceback go to the log, not to the client.
    let failed_body = json!({"error": "the handler failed (the server log has the error)"});
    let raised = get(&server.url("/raise"));
    assert_eq!(raised.status, 500);
    assert_eq!(raised.json(), failed_body);
    let log = server.log();
    assert!(
        log.contains("handler exploded") && log.contains("stack traceback"),
        "{log}"
    );

    let nothing = get(&server.url("/nothing"));
    assert_eq!(nothing.status, 500);
    assert_eq!(nothing.json(), json!({"error": "no response sent"}));

    let value = get(&server.url("/value"));
    assert_eq!(value.status, 200);
    assert_eq!(value.json(), json!({"ok": true, "n": 3}));

    let failed = get(&server.url("/failed"));
    assert_eq!(failed.status, 500);
    assert_eq!(failed.json(), failed_body);
    assert!(server.log().contains("no such thing"));

    let written = get(&server.url("/written-then-raise"));
    assert_eq!(written.status, 202);
    assert!(
        written
            .body
            .starts_with("partial late header: nil Invalid http: set_header: headers already sent"),
        "{}",
        written.body
    );

    let spin = get(&server.url("/spin"));
    assert_eq!(spin.status, 504);
    assert!(spin.body.contains("web:spin"), "{}", spin.body);

    // The api router's body_limit is 1024 bytes; the plain router has the 10 MiB default.
    let big = "x".repeat(2000);
    let over = send(ureq::post(&server.url("/api/echo")), Some(&big));
    assert_eq!(over.status, 413);
    assert!(over.body.contains("1024 bytes"), "{}", over.body);
    let under = send(ureq::post(&server.url("/upload")), Some(&big));
    assert_eq!(under.body, "got 2000 bytes");

    // The server still answers, and the failures were logged with the entries.
    assert_eq!(get(&server.url("/api/hello/x")).status, 200);
    let log = server.log();
    assert!(
        log.contains("endpoint=web:raise.get") && log.contains("entry=web:raise"),
        "{log}"
    );
    assert!(log.contains("handler exploded"), "{log}");
    assert!(log.contains("entry=web:spin"), "{log}");
    assert_eq!(server.stop(), 0);
}

/// A body sent without Content-Length (chunked) is cut off at the limit too.
#[test]
fn a_chunked_body_over_the_limit_gets_413() {
    let server = app();
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    let chunk = "y".repeat(600);
    let request = format!(
        "POST /api/echo HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n\
         258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = vec![0; 4096];
    let n = stream.read(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert_eq!(server.stop(), 0);
}

#[test]
fn cors_preflight_and_responses() {
    let server = app();
    let preflight = send(
        ureq::request("OPTIONS", &server.url("/api/echo"))
            .set("Origin", "https://app.example")
            .set("Access-Control-Request-Method", "POST")
            .set("Access-Control-Request-Headers", "content-type, x-custom"),
        None,
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET, POST")
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("content-type, x-custom")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("600"));
    assert_eq!(preflight.header("vary"), Some("Origin"));

    let stranger = send(
        ureq::request("OPTIONS", &server.url("/api/echo"))
            .set("Origin", "https://evil.example")
            .set("Access-Control-Request-Method", "POST"),
        None,
    );
    assert_eq!(stranger.header("access-control-allow-origin"), None);

    let actual = send(
        ureq::get(&server.url("/api/hello/cors")).set("Origin", "https://app.example"),
        None,
    );
    assert_eq!(actual.status, 200);
    assert_eq!(
        actual.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    // The plain router has no cors middleware: no allowance.
    let plain = send(
        ureq::get(&server.url("/items/1")).set("Origin", "https://app.example"),
        None,
    );
    assert_eq!(plain.header("access-control-allow-origin"), None);
    assert_eq!(server.stop(), 0);
}

#[test]
fn many_clients_at_once_each_in_a_fresh_sandbox() {
    let server = app();
    let clients: Vec<_> = (0..16)
        .map(|client| {
            let url = server.url("");
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                for request in 0..40 {
                    let name = format!("c{client}r{request}");
                    let reply = send(agent.get(&format!("{url}/api/hello/{name}")), None);
                    assert_eq!(reply.json(), json!({"message": format!("hello {name}")}));
                    let counter = send(agent.get(&format!("{url}/counter")), None);
                    assert_eq!(counter.body, "1", "a global survived to another request");
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("client thread");
    }
    assert_eq!(server.stop(), 0);
}

#[test]
fn stopping_drains_requests_in_flight() {
    let server = app();
    let url = server.url("/slow");
    let slow = std::thread::spawn(move || get(&url));
    std::thread::sleep(Duration::from_millis(300));
    let base = server.base.clone();
    assert_eq!(server.stop(), 0);
    let reply = slow.join().unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "slow done"));
    let refused = ureq::get(&format!("{base}/api/hello/x")).call();
    assert!(
        matches!(refused, Err(ureq::Error::Transport(_))),
        "the server still answers after stopping"
    );
}

#[test]
fn the_http_module_outside_a_request_and_unlisted() {
    let app = repo("tests/apps/http");
    let outside = luabox(&["call", "web:outside", "--dir", &app], "");
    assert_eq!(outside.code, 0, "{}", outside.stderr);
    let outside: Json = serde_json::from_str(&outside.stdout).unwrap();
    assert_eq!(outside["req"], true);
    assert_eq!(outside["kind"], "Invalid");
    assert!(
        outside["message"]
            .as_str()
            .unwrap()
            .contains("not handling an HTTP request"),
        "{outside}"
    );
    let unlisted = luabox(&["call", "web:unlisted", "--dir", &app], "");
    let unlisted: Json = serde_json::from_str(&unlisted.stdout).unwrap();
    assert_eq!(unlisted["ok"], false);
    assert!(
        unlisted["err"].as_str().unwrap().contains("http"),
        "{unlisted}"
    );
}

#[test]
fn a_port_in_use_stops_the_start_with_the_entry_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = crate::util::app_dir(&[(
        "_index.yaml",
        &format!(
            "namespace: web\nentries:\n  - name: gateway\n    kind: http.service\n    addr: \
             127.0.0.1:{port}\n    lifecycle: {{auto_start: true}}\n"
        ),
    )]);
    let run = luabox(&["run", dir.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "http.service 'web:gateway' cannot listen on 127.0.0.1:{port}"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn issue_19_a_body_that_is_not_utf8_is_printed_and_refused_as_a_header_not_a_trap() {
    let server = app();
    let reply = match ureq::post(&server.url("/bytes")).send_bytes(b"\xff\xfe") {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    assert_eq!(reply.status(), 200);
    let body: Json = serde_json::from_str(&reply.into_string().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"printed": true, "header_set": false, "refused": true, "size": 2})
    );
    assert!(server.log().contains("got\t\\xFF\\xFE"), "{}", server.log());
}

/// Send `request` on a fresh connection and read until the peer closes, a response head has
/// arrived, or `wait` passes; the bytes read.
fn raw(server: &Server, request: &[u8], wait: Duration) -> Vec<u8> {
    raw_until(server, request, wait, true)
}

/// [`raw`], reading on past the first response head unless `head_only`.
fn raw_until(server: &Server, request: &[u8], wait: Duration, head_only: bool) -> Vec<u8> {
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    // The server may answer and close before all of an oversized request is written.
    let _ = stream.write_all(request);
    let mut out = Vec::new();
    let mut buf = [0; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if head_only && out.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    out
}

fn status_line(response: &[u8]) -> String {
    let text = String::from_utf8_lossy(response);
    text.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn issue_19_http_abuse_ends_in_clear_statuses_and_the_server_keeps_serving() {
    let server = app();
    let wait = Duration::from_secs(10);
    let normal = b"GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_eq!(status_line(&raw(&server, normal, wait)), "HTTP/1.1 200 OK");

    // Oversized headers: one huge, or too many.
    let mut huge = b"GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 1 << 20));
    huge.extend_from_slice(b"\r\n\r\n");
    let mut many = b"GET /items/1 HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..500 {
        many.extend_from_slice(format!("X-{i}: a\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    for request in [huge, many] {
        assert_eq!(
            status_line(&raw(&server, &request, wait)),
            "HTTP/1.1 431 Request Header Fields Too Large"
        );
    }

    // Smuggling: two lengths are refused; with a length and chunked encoding the chunked body
    // is read and the connection closed, so the request hidden after it never runs.
    let two_lengths = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\
                        Content-Length: 5\r\n\r\nabcde";
    assert_eq!(
        status_line(&raw(&server, two_lengths, wait)),
        "HTTP/1.1 400 Bad Request"
    );
    let smuggled = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\
                     Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nDELETE /items/2 HTTP/1.1\r\n\
                     Host: x\r\n\r\n";
    let response = String::from_utf8_lossy(&raw_until(&server, smuggled, wait, false)).into_owned();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("connection: close"), "{response}");
    assert_eq!(response.matches("HTTP/1.1 ").count(), 1, "{response}");

    // A huge body past the router's limit.
    let mut body =
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'{', 1 << 16));
    assert_eq!(
        status_line(&raw(&server, &body, wait)),
        "HTTP/1.1 413 Payload Too Large"
    );

    // Slowloris: headers never finished are cut at the read timeout (5 s in this app) and
    // answered with nothing.
    let slow = raw(
        &server,
        b"GET /items/1 HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(30),
    );
    assert!(slow.is_empty(), "{}", String::from_utf8_lossy(&slow));

    // 5,000 connections held open; the server still answers a normal request.
    let addr = server.base.trim_start_matches("http://").to_owned();
    let held: Vec<TcpStream> = (0..5_000)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    assert_eq!(status_line(&raw(&server, normal, wait)), "HTTP/1.1 200 OK");
    drop(held);
}
