//! The hybrid service end to end: the examples of google/api/http.proto (fixtures/rest/)
//! scaffolded by `protogen new`, handlers written (tests/rest/handlers.rs), the server binary
//! started, then every route called over REST with a real HTTP client, the same handlers over
//! gRPC-Web with raw frames, /openapi.json checked by an OpenAPI 3.1 validator, and a headless
//! Chromium page calling both. Also: rules the server cannot honour fail the api crate's build.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, Value};
use serde_json::{json, Value as Json};

mod common;

const HANDLER: &str = "shop-server/src/handlers/library_v1_library_service.rs";

fn scaffold(dir: &Path, fixture: &str) -> PathBuf {
    common::copy_dir(&common::project_root().join(fixture), &dir.join("proto"));
    common::new_shop(dir)
}

/// The running server binary; SIGTERM on drop.
struct Server {
    child: Child,
    grpc: String,
    http: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

fn start_server(workspace: &Path, cors_origin: &str, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(common::generated_target_dir().join("debug/shop-server"))
        .current_dir(workspace)
        .env("SHOP_ADDR", "127.0.0.1:0")
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("CORS_ORIGINS", cors_origin)
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let grpc = lines.next().unwrap().unwrap();
    let http = lines.next().unwrap().unwrap();
    assert!(grpc.starts_with("shop-server listening on"), "{grpc}");
    assert!(http.starts_with("shop-server HTTP"), "{http}");
    let last = |line: &str| line.rsplit(' ').next().unwrap().to_owned();
    Server {
        grpc: format!("http://{}", last(&grpc)),
        http: format!("http://{}", last(&http)),
        child,
    }
}

/// Status, content type and body of one HTTP call; 4xx and 5xx are answers, not errors.
fn call(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, String, Vec<u8>) {
    let (status, answered, body) = call_with_headers(method, url, headers, body);
    let content_type = answered
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    (status, content_type, body)
}

/// Like [`call`], with every response header (names lowercase).
fn call_with_headers(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut request = ureq::request(method, url).timeout(Duration::from_secs(20));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(body) => request.send_bytes(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{method} {url}: {error}"),
    };
    let status = response.status();
    let mut answered = Vec::new();
    for name in response.headers_names() {
        for value in response.all(&name) {
            answered.push((name.to_lowercase(), value.to_owned()));
        }
    }
    let mut bytes = Vec::new();
    response.into_reader().read_to_end(&mut bytes).unwrap();
    (status, answered, bytes)
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn rest(server: &Server, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
    rest_with(server, method, path, &[], body)
}

fn rest_with(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Json>,
) -> (u16, Json) {
    let body = body.map(|b| b.to_string().into_bytes());
    let (status, content_type, bytes) = call(
        method,
        &format!("{}{path}", server.http),
        headers,
        body.as_deref(),
    );
    assert_eq!(
        content_type,
        "application/json",
        "{method} {path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{method} {path}: not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, json)
}

#[test]
fn rest_grpc_web_and_openapi_serve_the_same_handlers() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scaffold(dir.path(), "fixtures/rest");
    std::fs::copy(
        common::project_root().join("tests/rest/handlers.rs"),
        workspace.join(HANDLER),
    )
    .unwrap();
    let built = common::cargo(&workspace, &["build", "-p", "shop-server"]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    // The page the browser loads, served by this test: its origin is the one CORS allows.
    let page = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", page.local_addr().unwrap());
    let server = start_server(&workspace, &origin, &[]);

    rest_routes(&server);
    metadata_and_error_details(&server);
    grpc_web(&server, &origin);
    openapi(&server, dir.path());
    browser(&server, page, &origin, dir.path());
    drop(server);

    guarded(&workspace, &origin);
}

/// Headers ↔ metadata as grpc-gateway maps them, and error details as proto3 JSON.
fn metadata_and_error_details(server: &Server) {
    let url = |path: &str| format!("{}{path}", server.http);
    let (status, headers, _) = call_with_headers(
        "GET",
        &url("/v1/shelves/1/books/b1"),
        &[
            ("grpc-metadata-x-shelf-note", "hello"),
            ("grpc-metadata-grpc-status", "13"),
        ],
        None,
    );
    assert_eq!(status, 200, "{headers:?}");
    assert_eq!(
        header(&headers, "grpc-metadata-x-shelf-note-echo"),
        Some("hello"),
        "Grpc-Metadata-* reaches the RPC as metadata, its response metadata comes back: {headers:?}"
    );
    let (status, headers, body) =
        call_with_headers("GET", &url("/v1/shelves/1/books/missing"), &[], None);
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        header(&headers, "grpc-metadata-x-hint"),
        Some("try another shelf"),
        "an error's metadata: {headers:?}"
    );

    // A buf.validate violation: INVALID_ARGUMENT, its google.rpc.BadRequest as JSON.
    let (status, error) = rest(
        server,
        "POST",
        "/v1/shelves/7/books?requestId=much-too-long",
        Some(json!({"title": "Dune"})),
    );
    assert_eq!((status, error["code"].clone()), (400, json!(3)), "{error}");
    assert_eq!(
        error["details"],
        json!([{
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{
                "field": "request_id",
                "description": "value length must be at most 8 characters",
                "reason": "string.max_len",
            }],
        }]),
        "{error}"
    );
}

/// With the guard on: a CORS preflight is answered, not refused (browsers send it without
/// credentials); REST calls need a token, as the RPCs they call do.
fn guarded(workspace: &Path, origin: &str) {
    let server = start_server(workspace, origin, &[("JWT_SECRET", "s3cret")]);
    let book = format!("{}/v1/shelves/1/books/b1", server.http);
    let (status, headers, _) = call_with_headers(
        "OPTIONS",
        &book,
        &[
            ("origin", origin),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "authorization"),
        ],
        None,
    );
    assert_eq!(
        status, 200,
        "the preflight is CORS's to answer: {headers:?}"
    );
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        Some(origin),
        "{headers:?}"
    );

    let (status, headers, body) = call_with_headers("GET", &book, &[("origin", origin)], None);
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
    let error: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["code"], 16, "google.rpc.Status JSON: {error}");
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        Some(origin),
        "a page can read the refusal: {headers:?}"
    );
    let bearer = format!("Bearer {}", hs256_token("s3cret"));
    let (status, book) = rest_with(
        &server,
        "GET",
        "/v1/shelves/1/books/b1",
        &[("authorization", &bearer)],
        None,
    );
    assert_eq!(
        (status, book["title"].clone()),
        (200, json!("Title of shelves/1/books/b1"))
    );
    let (status, _, _) = call("GET", &format!("{}/openapi.json", server.http), &[], None);
    assert_eq!(
        status, 401,
        "/openapi.json is an HTTP route behind the guard"
    );
    let (status, _, _) = call("GET", &format!("{}/livez", server.http), &[], None);
    assert_eq!(status, 200);
}

/// A JWT signed with `secret` (HS256), valid for an hour.
fn hs256_token(secret: &str) -> String {
    use hmac::Mac as _;
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let signed = format!(
        "{}.{}",
        encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        encode(
            json!({"sub": "tester", "exp": expires})
                .to_string()
                .as_bytes()
        )
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    format!("{signed}.{}", encode(&mac.finalize().into_bytes()))
}

fn rest_routes(server: &Server) {
    // A multi-segment path variable, percent-decoded; int64 as a string, enums by name, WKTs.
    let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let (status, book) = rest_with(
        server,
        "GET",
        "/v1/shelves/1/books/b%201",
        &[("traceparent", traceparent)],
        None,
    );
    assert_eq!(status, 200, "{book}");
    assert_eq!(book["name"], "shelves/1/books/b 1");
    assert_eq!(book["title"], "Title of shelves/1/books/b 1");
    assert_eq!(book["genre"], "GENRE_HISTORY");
    assert_eq!(book["pages"], "9007199254740993");
    assert_eq!(book["published"], "2023-11-14T22:13:20Z");
    assert_eq!(book["tags"], json!(["old", "rare"]));
    assert_eq!(book["author"]["born"], 1900);
    assert_eq!(
        book["author"]["displayName"], traceparent,
        "traceparent reaches the handler"
    );

    // Errors: google.rpc.Status JSON with the HTTP status of the gRPC code.
    let (status, error) = rest(server, "GET", "/v1/shelves/1/books/missing", None);
    assert_eq!(
        (status, &error),
        (
            404,
            &json!({"code": 5, "message": "no book `shelves/1/books/missing`", "details": []})
        )
    );
    let (status, error) = rest(server, "GET", "/v1/shelves/1/books/secret", None);
    assert_eq!((status, error["code"].clone()), (401, json!(16)));
    let (status, _) = rest_with(
        server,
        "GET",
        "/v1/shelves/1/books/secret",
        &[("authorization", "Bearer good")],
        None,
    );
    assert_eq!(status, 200, "authorization is passed on");
    let (status, error) = rest(server, "GET", "/v1/shelves/1/books/panic", None);
    assert_eq!((status, error["code"].clone()), (500, json!(13)), "{error}");
    let started = Instant::now();
    let (status, error) = rest_with(
        server,
        "GET",
        "/v1/shelves/1/books/slow",
        &[("grpc-timeout", "300m")],
        None,
    );
    assert_eq!((status, error["code"].clone()), (504, json!(4)), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the deadline applies: {:?}",
        started.elapsed()
    );

    // Query parameters: proto and JSON names, nested, repeated, enums, WKTs, wrappers, bools.
    let (status, list) = rest(
        server,
        "GET",
        "/v1/shelves/7/books?pageSize=5&genre=GENRE_FICTION&tags=a&tags=b%20c&filter.author=Ann&filter.max_loan=3600s&publishedAfter=2024-01-01T00:00:00Z&min_pages=100&available=true&unknown=ignored",
        None,
    );
    assert_eq!(status, 200, "{list}");
    let echo = &list["books"][0];
    assert_eq!(echo["name"], "shelves/7");
    assert_eq!(echo["title"], "Ann");
    assert_eq!(echo["genre"], "GENRE_FICTION");
    assert_eq!(echo["tags"], json!(["a", "b c"]));
    assert_eq!(echo["pages"], "5");
    assert_eq!(echo["published"], "2024-01-01T00:00:00Z");
    assert_eq!(echo["author"], json!({"displayName": "3600s", "born": 100}));
    assert_eq!(list["nextPageToken"], "true");
    // The additional binding, and an enum by number.
    let (status, list) = rest(server, "GET", "/v1/books?genre=2", None);
    assert_eq!(
        (
            status,
            list["books"][0]["genre"].clone(),
            list["books"][0]["name"].clone()
        ),
        (200, json!("GENRE_HISTORY"), json!(""))
    );
    for bad in [
        "/v1/books?pageSize=many",
        "/v1/books?available=yes",
        "/v1/books?genre=GENRE_NONE",
        "/v1/books?pageSize=1&pageSize=2",
        "/v1/books?publishedAfter=yesterday",
    ] {
        let (status, error) = rest(server, "GET", bad, None);
        assert_eq!(
            (status, error["code"].clone()),
            (400, json!(3)),
            "{bad}: {error}"
        );
    }

    // body: "field", with the rest from the path and the query; proto names accepted.
    let (status, book) = rest(
        server,
        "POST",
        "/v1/shelves/7/books?requestId=r1",
        Some(
            json!({"title": "Dune", "pages": "412", "genre": "GENRE_FICTION", "author": {"display_name": "Frank"}}),
        ),
    );
    assert_eq!(status, 200, "{book}");
    assert_eq!(book["name"], "shelves/7/books/r1");
    assert_eq!(
        (book["title"].clone(), book["pages"].clone()),
        (json!("Dune"), json!("412"))
    );
    assert_eq!(book["author"]["displayName"], "Frank");
    let (status, _, error) = call(
        "POST",
        &format!("{}/v1/shelves/7/books", server.http),
        &[],
        Some(b"{not json"),
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&error));
    let (status, error) = rest(
        server,
        "POST",
        "/v1/shelves/7/books",
        Some(json!({"pages": "many"})),
    );
    assert_eq!((status, error["code"].clone()), (400, json!(3)), "{error}");
    // A path variable inside the body field, and a FieldMask from the query.
    let (status, book) = rest(
        server,
        "PATCH",
        "/v1/shelves/7/books/9?updateMask=title,tags",
        Some(json!({"title": "New"})),
    );
    assert_eq!(
        (status, book["name"].clone(), book["title"].clone()),
        (200, json!("shelves/7/books/9"), json!("New [title,tags]"))
    );
    // body: "*": the path wins over the body; maps.
    let (status, shelf) = rest(
        server,
        "PUT",
        "/v1/shelves/42",
        Some(json!({"id": "1", "theme": "sea", "counts": {"a": 1}})),
    );
    assert_eq!(
        (status, shelf),
        (200, json!({"id": "42", "theme": "sea", "counts": {"a": 1}}))
    );
    // No body, an Empty answer, an error code.
    let (status, empty) = rest(server, "DELETE", "/v1/shelves/1/books/2", None);
    assert_eq!((status, empty), (200, json!({})));
    let (status, error) = rest(server, "DELETE", "/v1/shelves/1/books/locked", None);
    assert_eq!((status, error["code"].clone()), (403, json!(7)));
    // A custom verb.
    let (status, loan) = rest(
        server,
        "POST",
        "/v1/loans/L1:cancel",
        Some(json!({"reason": "moved"})),
    );
    assert_eq!(
        (status, loan),
        (
            200,
            json!({"id": "L1", "cancelled": true, "reason": "moved"})
        )
    );
    // response_body: only the books, repeated enums from the query.
    let (status, books) = rest(
        server,
        "GET",
        "/v1/search?query=x&genres=GENRE_FICTION&genres=GENRE_HISTORY",
        None,
    );
    assert_eq!(status, 200, "{books}");
    assert_eq!(books.as_array().map(Vec::len), Some(2), "{books}");
    assert_eq!(
        (books[1]["title"].clone(), books[1]["genre"].clone()),
        (json!("x"), json!("GENRE_HISTORY"))
    );
    // `**` with a custom HTTP method; an encoded `/` stays encoded in a multi-segment value.
    let (status, file) = rest(server, "REPORT", "/v1/files/a/b%2Fc/d.txt", None);
    assert_eq!(
        (status, file["path"].clone()),
        (200, json!("files/a/b%2Fc/d.txt"))
    );
    assert_eq!(
        file["content"],
        base64::engine::general_purpose::STANDARD.encode("contents of files/a/b%2Fc/d.txt")
    );

    // Unknown route 404, known route with the wrong method 405.
    let (status, error) = rest(server, "GET", "/v2/nothing", None);
    assert_eq!((status, error["code"].clone()), (404, json!(5)));
    let (status, error) = rest(server, "POST", "/v1/shelves/1/books/2", None);
    assert_eq!((status, error["code"].clone()), (405, json!(12)), "{error}");

    // Server streaming: NDJSON, an error after messages as the last line, an error before
    // any message as the HTTP status.
    let (status, content_type, body) = call(
        "GET",
        &format!("{}/v1/shelves/3/books:watch?count=3", server.http),
        &[],
        None,
    );
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/x-ndjson")
    );
    let lines: Vec<Json> = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[2]["result"]["name"], "shelves/3/books/2");
    let (status, _, body) = call(
        "GET",
        &format!("{}/v1/shelves/broken/books:watch?count=2", server.http),
        &[],
        None,
    );
    let lines: Vec<Json> = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(status, 200);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[2]["error"]["code"], 15);
    assert_eq!(lines[2]["error"]["message"], "the shelf index is corrupt");
    let (status, error) = rest(server, "GET", "/v1/shelves/gone/books:watch", None);
    assert_eq!((status, error["code"].clone()), (404, json!(5)));

    // REST calls are gRPC calls to the middleware: they are in the per-RPC metrics.
    let (_, _, metrics) = call("GET", &format!("{}/metrics", server.http), &[], None);
    let metrics = String::from_utf8(metrics).unwrap();
    let handled = |method: &str, code: &str| {
        metrics.lines().any(|l| {
            l.starts_with("grpc_server_handled_total")
                && l.contains(&format!("\"{method}\""))
                && l.contains(&format!("\"{code}\""))
        })
    };
    assert!(
        handled("GetBook", "NOT_FOUND")
            && handled("GetBook", "DEADLINE_EXCEEDED")
            && handled("WatchBooks", "DATA_LOSS"),
        "{metrics}"
    );
}

/// The contract compiled here, to encode and decode the messages of raw gRPC-Web frames.
fn pool() -> DescriptorPool {
    let mut resolver = protox::file::ChainFileResolver::new();
    resolver.add(protox::file::GoogleFileResolver::new());
    resolver.add(protox::file::IncludeFileResolver::new(
        common::project_root().join("fixtures/rest"),
    ));
    resolver.add(protox::file::IncludeFileResolver::new(
        common::project_root().join("src/contract/known"),
    ));
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.open_file("library/v1/library.proto").unwrap();
    compiler.descriptor_pool()
}

/// `(flags, payload)` frames of a gRPC-Web body.
fn frames(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while body.len() >= 5 {
        let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        out.push((body[0], body[5..5 + length].to_vec()));
        body = &body[5 + length..];
    }
    assert!(body.is_empty(), "a frame is cut short");
    out
}

fn grpc_web(server: &Server, origin: &str) {
    let pool = pool();
    let mut request = DynamicMessage::new(
        pool.get_message_by_name("library.v1.GetBookRequest")
            .unwrap(),
    );
    request.set_field_by_name("name", Value::String("shelves/1/books/web".into()));
    let encoded = request.encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    framed.extend_from_slice(&encoded);
    let url = format!("{}/library.v1.LibraryService/GetBook", server.grpc);

    for text in [false, true] {
        let (content_type, body) = if text {
            (
                "application/grpc-web-text",
                base64::engine::general_purpose::STANDARD
                    .encode(&framed)
                    .into_bytes(),
            )
        } else {
            ("application/grpc-web+proto", framed.clone())
        };
        // The answer's format follows `accept`, as grpc-web clients send it.
        let headers = [
            ("content-type", content_type),
            ("accept", content_type),
            ("x-grpc-web", "1"),
        ];
        let (status, answered_type, body) = call("POST", &url, &headers, Some(&body));
        assert_eq!(status, 200);
        assert!(answered_type.starts_with(content_type), "{answered_type}");
        let body = if text {
            base64::engine::general_purpose::STANDARD
                .decode(&body)
                .unwrap()
        } else {
            body
        };
        let frames = frames(&body);
        assert_eq!(frames.len(), 2, "a message and the trailers: {frames:?}");
        let book = DynamicMessage::decode(
            pool.get_message_by_name("library.v1.Book").unwrap(),
            frames[0].1.as_slice(),
        )
        .unwrap();
        assert_eq!(
            book.get_field_by_name("title").unwrap().as_str(),
            Some("Title of shelves/1/books/web")
        );
        assert_eq!(frames[1].0, 0x80, "the trailer frame");
        let trailers = String::from_utf8_lossy(&frames[1].1).to_lowercase();
        assert!(trailers.contains("grpc-status:0"), "{trailers}");
    }

    // An error status: in the headers (trailers-only) or the trailer frame.
    let mut missing = request.clone();
    missing.set_field_by_name("name", Value::String("shelves/1/books/missing".into()));
    let encoded = missing.encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    framed.extend_from_slice(&encoded);
    let response = ureq::post(&url)
        .set("content-type", "application/grpc-web+proto")
        .send_bytes(&framed)
        .unwrap();
    let in_headers = response.header("grpc-status").map(str::to_owned);
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    let in_body = String::from_utf8_lossy(&body).contains("grpc-status:5");
    assert!(
        in_headers.as_deref() == Some("5") || in_body,
        "{in_headers:?} {body:?}"
    );

    // CORS: the configured origin may call, another may not.
    for (asker, allowed) in [(origin, true), ("http://evil.example", false)] {
        let response = ureq::request("OPTIONS", &url)
            .set("origin", asker)
            .set("access-control-request-method", "POST")
            .set("access-control-request-headers", "content-type,x-grpc-web")
            .call()
            .unwrap();
        assert_eq!(
            response.header("access-control-allow-origin") == Some(asker),
            allowed,
            "{asker}"
        );
    }
}

fn openapi(server: &Server, dir: &Path) {
    let (status, content_type, body) =
        call("GET", &format!("{}/openapi.json", server.http), &[], None);
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let document: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let get_book = &document["paths"]["/v1/{name}"]["get"];
    assert_eq!(get_book["operationId"], "LibraryService_GetBook");
    assert_eq!(
        get_book["description"],
        "Gets one book by its resource name."
    );
    assert_eq!(
        get_book["parameters"][0]["schema"]["pattern"],
        "^shelves/[^/]+/books/[^/]+$"
    );
    assert!(document["paths"]["/v1/{name}"]["delete"].is_object());
    assert!(
        document["paths"]["/v1/books"]["get"].is_object(),
        "additional bindings are paths too"
    );
    assert!(document["paths"]["/v1/loans/{id}:cancel"]["post"]["requestBody"].is_object());
    let list_params: Vec<&str> = document["paths"]["/v1/{parent}/books"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        list_params.contains(&"filter.author") && list_params.contains(&"tags"),
        "{list_params:?}"
    );
    let book = &document["components"]["schemas"]["library.v1.Book"];
    assert_eq!(book["description"], "A book on a shelf.");
    assert_eq!(book["properties"]["pages"]["type"], "string");
    assert!(
        book["properties"]["displayName"].is_null()
            && book["properties"]["name"]["description"].is_string()
    );

    let Some(validator) = common::peer(".tools/node_modules/@seriousme/openapi-schema-validator")
    else {
        return;
    };
    let file = dir.join("openapi.json");
    std::fs::write(&file, &body).unwrap();
    let output = Command::new("node")
        .arg(common::project_root().join("tests/rest/validate_openapi.mjs"))
        .arg(validator.join("index.js"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "/openapi.json is not valid OpenAPI 3.1:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("valid 3.1"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Headless Chromium loads a page from `page` (another origin) whose script calls a REST
/// route and a gRPC-Web method with fetch and writes both answers into the DOM.
fn browser(server: &Server, page: TcpListener, origin: &str, dir: &Path) {
    let Some(chromium) = common::peer_command("chromium") else {
        return;
    };
    let html = include_str!("rest/page.html")
        .replace("REST_BASE", &server.http)
        .replace("GRPC_BASE", &server.grpc);
    let served = std::thread::spawn(move || {
        // Serves the page to whoever asks (the browser may also ask for /favicon.ico).
        page.set_nonblocking(false).unwrap();
        for stream in page.incoming().take(2) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let read = stream.read(&mut request).unwrap_or(0);
            let wanted_page = request[..read].starts_with(b"GET / ");
            let (status, body) = if wanted_page {
                ("200 OK", html.as_str())
            } else {
                ("404 Not Found", "")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            if wanted_page {
                break;
            }
        }
    });
    let profile = dir.join("chromium-profile");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("{origin}/"))
        .output()
        .unwrap();
    let _ = served.join();
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom
        .find("<pre id=\"out\">")
        .map(|i| i + "<pre id=\"out\">".len());
    let end = dom.find("</pre>");
    let (Some(start), Some(end)) = (start, end) else {
        panic!(
            "the page wrote no answers:\n{dom}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    let seen: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(seen["rest"]["status"], 200, "{seen}");
    assert_eq!(
        seen["rest"]["body"]["title"], "Title of shelves/1/books/browser",
        "{seen}"
    );
    assert_eq!(seen["grpcweb"]["status"], "0", "{seen}");
    assert_eq!(
        seen["grpcweb"]["name"], "shelves/1/books/from-the-browser",
        "{seen}"
    );
}

#[test]
fn rules_the_server_cannot_honour_fail_the_build_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scaffold(dir.path(), "fixtures/rest-invalid");
    let built = common::cargo(&workspace, &["build", "-p", "shop-api"]);
    assert!(
        !built.status.success(),
        "the api crate built despite bad rules"
    );
    let stderr = String::from_utf8_lossy(&built.stderr);
    for expected in [
        "bad/v1/bad.proto:12:5: bad.v1.BadService/Second: `GET /v1/things/{name}` is already the route of bad.v1.BadService/First (bad/v1/bad.proto:9); one route, one RPC",
        "bad/v1/bad.proto:15:5: bad.v1.BadService/Repeated: path variable `ids` in `/v1/many/{ids}` names a repeated field",
        "bad/v1/bad.proto:18:5: bad.v1.BadService/Message: path variable `thing` in `/v1/nested/{thing}` names a message field (bad.v1.Thing); bind one of its fields, like `thing.id`",
        "bad/v1/bad.proto:21:5: bad.v1.BadService/NoBody: the body field `missing` does not exist in `bad.v1.Thing`",
    ] {
        assert!(stderr.contains(expected), "missing `{expected}` in:\n{stderr}");
    }
}
