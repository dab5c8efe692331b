//! What the server answers to requests that are too big, too slow or refused before any
//! handler runs: always the JSON error body.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::Response;
use serde_json::{Value, json};

use crate::helpers::*;

/// Asserts the status and the JSON error shape, and returns the code.
async fn error_code(response: Response, status: u16) -> String {
    assert!(
        response.headers().contains_key("x-request-id"),
        "{status} without a request id"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{status} is not JSON"
    );
    let body = expect(response, status).await;
    assert!(body["detail"].is_string(), "{body}");
    body["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_in_json() {
    let app = spawn_app().await;
    let big = "x".repeat(2 << 20);

    // Sign-in reads the raw body itself, as a form or as JSON.
    let form = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=a&password={big}"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(form, 413).await, "payload_too_large");
    let login = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": "a@b.c", "password": big}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(login, 413).await, "payload_too_large");

    // Every other body goes through the JSON extractor.
    let token = app.login(ADMIN).await;
    let create = app
        .post("/api/assignments", &token, &json!({"notes": big}))
        .await;
    assert_eq!(error_code(create, 413).await, "payload_too_large");
}

#[tokio::test]
async fn long_uris_get_414_and_large_headers_431_in_json() {
    let app = spawn_app().await;
    let token = app.login(ADMIN).await;

    let long = format!("/api/assignments?search={}", "a".repeat(20_000));
    assert_eq!(
        error_code(app.get(&long, &token).await, 414).await,
        "uri_too_long"
    );
    // A long but reasonable query still reaches the handler.
    let fine = format!("/api/assignments?limit=5&padding={}", "a".repeat(6_000));
    expect(app.get(&fine, &token).await, 200).await;

    let large = app
        .client
        .get(app.url("/healthz"))
        .header("x-padding", "p".repeat(40_000))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(large, 431).await, "headers_too_large");
}

#[tokio::test]
async fn a_refused_cross_origin_preflight_gets_json() {
    let app = spawn_app().await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/assignments"))
        .header("origin", "https://elsewhere.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 400).await, "bad_request");
}

/// A client that sends its headers and part of the body, then nothing: the server answers
/// 408 once CLIENT_BODY_TIMEOUT_SECS pass without a byte, and closes the connection.
#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_and_the_connection_closes() {
    let app = spawn_app_with(|settings| settings.client_body_timeout_secs = 1).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let (elapsed, reply) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let started = Instant::now();
        stream
            .write_all(
                b"POST /api/auth/login HTTP/1.1\r\nHost: test\r\n\
                  Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
            )
            .unwrap();
        // Reads until the server closes the connection.
        let mut reply = Vec::new();
        if let Err(err) = stream.read_to_end(&mut reply) {
            panic!(
                "no answer and no close within 10 s ({err}); got: {}",
                String::from_utf8_lossy(&reply)
            );
        }
        (
            started.elapsed(),
            String::from_utf8_lossy(&reply).into_owned(),
        )
    })
    .await
    .unwrap();
    assert!(
        reply.starts_with("HTTP/1.1 408"),
        "unexpected reply: {reply}"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let body: Value = serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["code"], "request_timeout");
    assert!(
        reply.to_ascii_lowercase().contains("connection: close"),
        "{reply}"
    );
}
