//! `http_client` end to end: the entries of `tests/apps/http_client` called with `luabox call`
//! against a small HTTP/1.1 server on 127.0.0.1 that this file starts per test and that records
//! every request it receives, so a refused request can be shown never to have left the sandbox.
//!
//! The server's paths: `/echo` answers a JSON object of the request (method, path, query,
//! headers, body); `/status/N` answers status N with repeated and mixed-case headers;
//! `/redirect?code=N&to=URL` redirects (`to` last, taken verbatim); `/loop` redirects to
//! itself; `/slow?ms=N` answers after N ms; `/big?n=N[&chunked]` answers N bytes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::util::{luabox, luabox_with_env, repo};

/// The test server: its base URL and the request lines it has received.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    /// The most requests that were in progress at once.
    peak: Arc<AtomicUsize>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the test server");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let peak = Arc::new(AtomicUsize::new(0));
        let active = Arc::new(AtomicUsize::new(0));
        let (log, high) = (seen.clone(), peak.clone());
        // The thread ends with the test process; each connection gets its own thread, so a slow
        // answer does not hold up the others.
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, high, active) = (log.clone(), high.clone(), active.clone());
                thread::spawn(move || {
                    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                    high.fetch_max(now, Ordering::SeqCst);
                    let _ = serve(stream, port, &log);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Server { port, seen, peak }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The request lines received so far ("GET /echo?x=1").
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Answer one request (connections are not kept alive).
fn serve(stream: TcpStream, port: u16, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    log.lock().unwrap().push(format!("{method} {target}"));
    let mut headers = serde_json::Map::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.to_ascii_lowercase(), value.trim().to_owned());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.insert(name, Json::from(value));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap_or("")
    };
    let mut out = stream;
    let respond = |out: &mut TcpStream, status: u16, extra: &str, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\
             X-Echo-Method: {method}\r\n{extra}\r\n",
            body.len()
        );
        out.write_all(head.as_bytes())?;
        if method != "HEAD" {
            out.write_all(body)?;
        }
        out.flush()
    };
    match path {
        "/echo" => {
            let echoed = json!({
                "method": method,
                "path": path,
                "query": query,
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            let extra = "Content-Type: application/json\r\n";
            respond(&mut out, 200, extra, echoed.to_string().as_bytes())
        }
        "/loop" => respond(&mut out, 302, "Location: /loop\r\n", b""),
        "/redirect" => {
            let to = query.split_once("to=").map_or("/echo", |(_, to)| to);
            let code: u16 = param("code").parse().unwrap_or(302);
            respond(&mut out, code, &format!("Location: {to}\r\n"), b"")
        }
        "/slow" => {
            thread::sleep(Duration::from_millis(param("ms").parse().unwrap_or(5000)));
            respond(&mut out, 200, "", b"slow")
        }
        "/big" => {
            let n: usize = param("n").parse().unwrap_or(0);
            if query.contains("chunked") {
                // No Content-Length: the limit must be enforced while the body streams in.
                let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\
                            Connection: close\r\n\r\n";
                out.write_all(head.as_bytes())?;
                for _ in 0..n / 100 {
                    out.write_all(format!("64\r\n{}\r\n", "x".repeat(100)).as_bytes())?;
                }
                out.write_all(b"0\r\n\r\n")?;
                out.flush()
            } else {
                respond(&mut out, 200, "", &vec![b'x'; n])
            }
        }
        _ if path.starts_with("/status/") => {
            let code = path["/status/".len()..].parse().unwrap_or(500);
            let extra =
                format!("X-Multi: one\r\nX-Multi: two\r\nX-Upper-Case: V\r\nX-Port: {port}\r\n");
            respond(&mut out, code, &extra, format!("status {code}").as_bytes())
        }
        _ => respond(&mut out, 404, "", b"no such path"),
    }
}

/// `luabox call app:ENTRY ARGS... --json` on the test app: `Ok(result)` or `Err(error object)`.
fn call(entry: &str, args: &[Json]) -> Result<Json, Json> {
    let dir = repo("tests/apps/http_client");
    let id = format!("app:{entry}");
    let args: Vec<String> = args.iter().map(Json::to_string).collect();
    let mut argv = vec!["call", id.as_str()];
    argv.extend(args.iter().map(String::as_str));
    argv.extend(["--dir", &dir, "--json"]);
    let run = luabox(&argv, "");
    let printed: Json = serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|_| panic!("no JSON from {argv:?}: {}{}", run.stdout, run.stderr));
    if printed["ok"] == json!(true) {
        assert_eq!(run.code, 0);
        Ok(printed["result"].clone())
    } else {
        assert_ne!(run.code, 0);
        Err(printed["error"].clone())
    }
}

/// `app:fetch` with (method, url, options).
fn fetch(method: &str, url: &str, options: Json) -> Result<Json, Json> {
    call("fetch", &[json!(method), json!(url), options])
}

fn expect_error(result: Result<Json, Json>, kind: &str, message: &str) -> String {
    let error = result.expect_err("the request fails");
    let text = error["message"].as_str().unwrap_or_default().to_owned();
    assert_eq!(error["kind"], json!(kind), "{error}");
    assert!(text.contains(message), "{text:?} lacks {message:?}");
    text
}

/// The JSON `/echo` answered.
fn echoed(response: &Json) -> Json {
    serde_json::from_str(response["body"].as_str().expect("a body")).expect("echo JSON")
}

#[test]
fn get_sends_the_query_and_headers() {
    let server = Server::start();
    let response = fetch(
        "get",
        &server.url("/echo?lang=en"),
        json!({
            "query": {"q": "a b&c", "page": 2},
            "headers": {"X-Token": "secret", "Accept": ["text/plain", "application/json"]},
        }),
    )
    .unwrap();
    assert_eq!(response["status_code"], json!(200));
    assert_eq!(
        response["url"],
        json!(server.url("/echo?lang=en&page=2&q=a+b%26c"))
    );
    let echo = echoed(&response);
    assert_eq!(echo["method"], json!("GET"));
    assert_eq!(echo["query"], json!("lang=en&page=2&q=a+b%26c"));
    assert_eq!(echo["headers"]["x-token"], json!("secret"));
    assert!(
        echo["headers"]["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("luabox/")
    );
    assert_eq!(
        response["body_size"],
        json!(response["body"].as_str().unwrap().len())
    );
    assert_eq!(
        response["headers"]["content-type"],
        json!("application/json")
    );
}

#[test]
fn post_sends_the_body() {
    let server = Server::start();
    let body = "{\"name\":\"ada\"}";
    let response = fetch(
        "POST",
        &server.url("/echo"),
        json!({"body": body, "headers": {"Content-Type": "application/json"}}),
    )
    .unwrap();
    let echo = echoed(&response);
    assert_eq!(echo["method"], json!("POST"));
    assert_eq!(echo["body"], json!(body));
    assert_eq!(
        echo["headers"]["content-length"],
        json!(body.len().to_string())
    );
    assert_eq!(echo["headers"]["content-type"], json!("application/json"));
}

#[test]
fn shortcuts_use_their_methods_and_uri_helpers_round_trip() {
    let server = Server::start();
    let result = call("shortcuts", &[json!(server.url(""))]).unwrap();
    for (name, method) in [
        ("get", "GET"),
        ("post", "POST"),
        ("put", "PUT"),
        ("delete", "DELETE"),
        ("patch", "PATCH"),
        ("head", "HEAD"),
    ] {
        assert_eq!(result["seen"][name]["status"], json!(200), "{name}");
        assert_eq!(result["seen"][name]["method"], json!(method), "{name}");
    }
    // HEAD answers headers only.
    assert_eq!(result["seen"]["head"]["body_size"], json!(0));
    assert_eq!(result["encoded"], json!("a%20b%26c%3Dd%2F%C3%A9~"));
    assert_eq!(result["decoded"], json!("a b&c=d/é~+"));
    assert_eq!(
        result["bad_decode"],
        json!("Invalid: http_client: decode_uri: malformed escape at byte 3 of \"50%\"")
    );
    assert_eq!(server.seen().len(), 6);
}

#[test]
fn status_codes_and_response_headers_come_back_as_they_are() {
    let server = Server::start();
    for code in [201, 404, 500] {
        let response = fetch("GET", &server.url(&format!("/status/{code}")), json!({})).unwrap();
        assert_eq!(response["status_code"], json!(code));
        assert_eq!(response["body"], json!(format!("status {code}")));
        assert_eq!(response["headers"]["x-multi"], json!("one, two"));
        assert_eq!(response["headers"]["x-upper-case"], json!("V"));
        assert!(response["headers"].get("X-Upper-Case").is_none());
    }
}

#[test]
fn a_host_outside_allowed_hosts_is_refused_before_any_connection() {
    let server = Server::start();
    // localhost is the same machine, but only 127.0.0.1 is allowed: names are compared, not
    // addresses.
    let url = format!("http://localhost:{}/echo", server.port);
    expect_error(
        fetch("GET", &url, json!({})),
        "PermissionDenied",
        &format!(
            "http_client: host 'localhost:{}' is not in allowed_hosts of entry 'app:fetch'",
            server.port
        ),
    );
    // The pattern's scheme counts too: app:shortcuts allows http only.
    let https = format!("https://127.0.0.1:{}/echo", server.port);
    let error = call("shortcuts", &[json!(https.trim_end_matches("/echo"))]);
    expect_error(
        error,
        "PermissionDenied",
        "not in allowed_hosts of entry 'app:shortcuts'",
    );
    assert_eq!(server.seen(), Vec::<String>::new());
}

#[test]
fn an_entry_without_allowed_hosts_reaches_nothing() {
    let server = Server::start();
    let message = expect_error(
        call(
            "no_hosts",
            &[json!("GET"), json!(server.url("/echo")), json!({})],
        ),
        "PermissionDenied",
        &format!(
            "host '127.0.0.1:{}' is not in allowed_hosts of entry 'app:no_hosts'",
            server.port
        ),
    );
    assert!(message.contains("the entry has none"), "{message}");
    assert_eq!(server.seen(), Vec::<String>::new());
}

#[test]
fn the_operator_may_allow_outbound_http_to_every_entry() {
    // One switch for a trusted app whose entries declare no allowed_hosts (a Wippy app).
    let server = Server::start();
    let dir = repo("tests/apps/http_client");
    let url = json!(server.url("/echo")).to_string();
    let argv = [
        "call",
        "app:no_hosts",
        "\"GET\"",
        &url,
        "{}",
        "--dir",
        &dir,
        "--json",
    ];
    let run = luabox_with_env(&argv, "", &[("LUABOX_ALLOW_OUTBOUND", "127.0.0.1:*")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let printed: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(printed["result"]["status_code"], json!(200), "{printed}");
    assert_eq!(server.seen(), ["GET /echo"]);

    let run = luabox_with_env(&argv, "", &[("LUABOX_ALLOW_OUTBOUND", "ftp://x")]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("LUABOX_ALLOW_OUTBOUND: invalid host pattern 'ftp://x'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_redirect_to_a_host_not_allowed_is_refused() {
    let server = Server::start();
    let outside = format!("http://localhost:{}/echo", server.port);
    let start = server.url(&format!("/redirect?to={outside}"));
    expect_error(
        fetch("GET", &start, json!({})),
        "PermissionDenied",
        &format!(
            "redirect from '{start}' refused: host 'localhost:{}' is not in allowed_hosts of \
             entry 'app:fetch'",
            server.port
        ),
    );
    // The redirect was received; the hop it pointed to never was.
    assert_eq!(server.seen(), vec![format!("GET /redirect?to={outside}")]);
}

#[test]
fn redirects_within_allowed_hosts_are_followed() {
    let server = Server::start();
    // 302 after GET, to a relative Location.
    let response = fetch("GET", &server.url("/redirect?to=/echo?hop=1"), json!({})).unwrap();
    assert_eq!(response["status_code"], json!(200));
    assert_eq!(response["url"], json!(server.url("/echo?hop=1")));
    assert_eq!(echoed(&response)["method"], json!("GET"));
    // 307 keeps the method and the body; 303 turns a POST into a GET without one.
    let absolute = server.url("/echo");
    let kept = fetch(
        "POST",
        &server.url(&format!("/redirect?code=307&to={absolute}")),
        json!({"body": "payload"}),
    )
    .unwrap();
    assert_eq!(echoed(&kept)["method"], json!("POST"));
    assert_eq!(echoed(&kept)["body"], json!("payload"));
    let seen_other = fetch(
        "POST",
        &server.url("/redirect?code=303&to=/echo"),
        json!({"body": "payload"}),
    )
    .unwrap();
    assert_eq!(echoed(&seen_other)["method"], json!("GET"));
    assert_eq!(echoed(&seen_other)["body"], json!(""));
}

#[test]
fn a_redirect_loop_stops_after_ten_hops() {
    let server = Server::start();
    expect_error(
        fetch("GET", &server.url("/loop"), json!({})),
        "Internal",
        "stopped after 10 redirects",
    );
    assert_eq!(
        server.seen().len(),
        11,
        "the first request and ten redirects"
    );
}

#[test]
fn a_slow_server_times_out() {
    let server = Server::start();
    let started = Instant::now();
    expect_error(
        fetch(
            "GET",
            &server.url("/slow?ms=5000"),
            json!({"timeout": "300ms"}),
        ),
        "Timeout",
        "timed out after 300ms",
    );
    // Integer seconds, as in the reference.
    expect_error(
        fetch("GET", &server.url("/slow?ms=5000"), json!({"timeout": 1})),
        "Timeout",
        "timed out after 1s",
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the timeouts did not wait the 5s"
    );
    // A request that finishes in time is unaffected.
    let quick = fetch("GET", &server.url("/slow?ms=10"), json!({"timeout": "5s"})).unwrap();
    assert_eq!(quick["body"], json!("slow"));
}

#[test]
fn an_oversize_response_is_refused() {
    let server = Server::start();
    let options = json!({"max_response_body": 1000});
    let fits = fetch("GET", &server.url("/big?n=1000"), options.clone()).unwrap();
    assert_eq!(fits["body_size"], json!(1000));
    // Refused by its Content-Length, and while streaming a chunked body that has none.
    for path in ["/big?n=5000", "/big?n=5000&chunked"] {
        expect_error(
            fetch("GET", &server.url(path), options.clone()),
            "Invalid",
            "is larger than 1000 bytes",
        );
    }
    // Without the option, the entry's max_payload (1 KiB) is the limit.
    expect_error(
        call(
            "small_payload",
            &[json!("GET"), json!(server.url("/big?n=2000")), json!({})],
        ),
        "Invalid",
        "is larger than 1024 bytes",
    );
}

#[test]
fn bad_options_are_invalid_and_named() {
    let server = Server::start();
    let url = server.url("/echo");
    for (options, message) in [
        (
            json!({"timeuot": 5}),
            "http_client: unknown option 'timeuot' (known: body, headers, max_response_body, \
             query, timeout)",
        ),
        (
            json!({"form": {"a": "b"}}),
            "option 'form' is not supported by luabox",
        ),
        (
            json!({"body": {"a": 1}}),
            "option 'body' must be a string, got table",
        ),
        (
            json!({"timeout": -1}),
            "option 'timeout' must be a positive number",
        ),
        (json!({"timeout": "soon"}), "invalid timeout \"soon\""),
        (
            json!({"max_response_body": 1.5}),
            "option 'max_response_body'",
        ),
        (
            json!({"headers": {"bad name": "x"}}),
            "invalid header name \"bad name\"",
        ),
        (
            json!({"headers": "x"}),
            "option 'headers' must be a table, got string",
        ),
    ] {
        expect_error(fetch("GET", &url, options), "Invalid", message);
    }
    expect_error(
        fetch("GET", "ftp://127.0.0.1/file", json!({})),
        "Invalid",
        "unsupported URL scheme 'ftp'",
    );
    expect_error(
        fetch("GET", "not a url", json!({})),
        "Invalid",
        "invalid URL",
    );
    expect_error(
        fetch("GE T", &url, json!({})),
        "Invalid",
        "the method must be a word",
    );
    assert_eq!(server.seen(), Vec::<String>::new());
}

#[test]
fn a_connection_failure_is_unavailable() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    expect_error(
        fetch("GET", &format!("http://127.0.0.1:{port}/"), json!({})),
        "Unavailable",
        &format!("GET http://127.0.0.1:{port}/"),
    );
}

#[test]
fn requests_from_spawned_coroutines_run_at_once() {
    let server = Server::start();
    let result = call("parallel", &[json!(server.url("/slow?ms=500")), json!(3)]).unwrap();
    assert_eq!(result, json!([200, 200, 200]));
    assert_eq!(
        server.peak.load(Ordering::SeqCst),
        3,
        "all three were in flight together"
    );
}

#[test]
fn an_entry_without_the_module_cannot_require_it() {
    let error = call("no_module", &[]).unwrap_err();
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("http_client") && message.contains("not allowed in entry 'app:no_module'"),
        "{message}"
    );
}
