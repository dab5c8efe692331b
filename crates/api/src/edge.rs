//! What every request passes on its way to a handler and back, beyond CORS and logging:
//! limits on the request head and body, a deadline on a body that stops arriving, panics
//! turned into 500s, and error answers made by other layers reshaped into our JSON body.
//!
//! actix-http answers a few malformed or absurd requests itself, before any of this runs,
//! with an empty body; see "Limits" in docs/api-conventions.md.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::rt::time::{Instant, Sleep, sleep};
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use futures_util::{FutureExt, Stream};
use percent_encoding::percent_decode_str;

use crate::error::ApiError;

/// The largest request body read (JSON and the sign-in form alike).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// The longest request target (path and query) served; longer ones get 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header bytes (names, values and separators together) served; more get 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Settings of [`guard`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a body may go without a byte arriving while a handler waits for it.
    pub body_idle_timeout: Duration,
}

/// Refuses an over-long URI (414), oversized headers (431) or a control character in the
/// decoded path or query (422), gives up on a body that
/// stops arriving (408, and the connection is closed), and turns a panic below it into a
/// 500 with the panic logged in the request's span.
pub async fn guard(
    limits: Limits,
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(refusal) = head_refusal(&req) {
        return Ok(req.error_response(refusal).map_into_right_body());
    }
    let stalled = Rc::new(Cell::new(false));
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        req.set_payload(payload);
    } else {
        req.set_payload(Payload::Stream {
            payload: Box::pin(IdleTimeout::new(
                payload,
                limits.body_idle_timeout,
                Rc::clone(&stalled),
            )),
        });
    }
    let stalled_error = || ApiError::BodyTimeout(limits.body_idle_timeout);
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(Ok(response)) if stalled.get() => {
            let (request, _) = response.into_parts();
            let answer = stalled_error().error_response();
            Ok(ServiceResponse::new(request, answer).map_into_right_body())
        }
        Ok(Ok(response)) => Ok(response.map_into_left_body()),
        Ok(Err(_)) if stalled.get() => Err(stalled_error().into()),
        Ok(Err(err)) => Err(err),
        Err(panic) => {
            // Logged here, inside the request's span, so the line carries the request id.
            tracing::error!(
                error = %ApiError::Panicked,
                causes = %panic_message(panic.as_ref()),
                "request failed"
            );
            Err(ApiError::Panicked.into())
        }
    }
}

fn head_refusal(req: &ServiceRequest) -> Option<ApiError> {
    let uri = req.uri();
    let target = uri.path_and_query().map_or(0, |p| p.as_str().len())
        + uri.authority().map_or(0, |a| a.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(ApiError::UriTooLong(MAX_URI_BYTES));
    }
    // As on the wire: `name: value\r\n`.
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Some(ApiError::HeadersTooLarge(MAX_HEADER_BYTES));
    }
    // No path segment, id, filter or search term holds a control character (a NUL, a line
    // break, …), and PostgreSQL cannot even store a NUL: refused once decoded, with 422.
    if has_control_character(req.path()) {
        return Some(ApiError::BadRequest(
            "the path must not contain control characters".into(),
        ));
    }
    if has_control_character(&req.query_string().replace('+', " ")) {
        return Some(ApiError::BadRequest(
            "query parameters must not contain control characters".into(),
        ));
    }
    None
}

fn has_control_character(encoded: &str) -> bool {
    percent_decode_str(encoded)
        .decode_utf8_lossy()
        .chars()
        .any(char::is_control)
}

/// The text a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic without a message)")
}

/// A request body that fails with a timeout once no byte has come for `idle` while
/// someone waits for it, and says so through `stalled`. The clock starts when the body is
/// first read, so a handler that never reads it is not timed.
struct IdleTimeout {
    inner: Payload,
    idle: Duration,
    timer: Option<Pin<Box<Sleep>>>,
    stalled: Rc<Cell<bool>>,
}

impl IdleTimeout {
    fn new(inner: Payload, idle: Duration, stalled: Rc<Cell<bool>>) -> Self {
        Self {
            inner,
            idle,
            timer: None,
            stalled,
        }
    }
}

impl Stream for IdleTimeout {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.stalled.get() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            if let Some(timer) = this.timer.as_mut() {
                timer.as_mut().reset(Instant::now() + this.idle);
            }
            return Poll::Ready(item);
        }
        let idle = this.idle;
        let timer = this.timer.get_or_insert_with(|| Box::pin(sleep(idle)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.stalled.set(true);
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body stopped arriving",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Gives every error answer our JSON body. Handlers and extractors already answer so; this
/// catches what other layers make with a text or empty body (actix-web's own body limit,
/// CORS refusals) and errors passed up as `Err`. Status and headers stay as they were.
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match next.call(req).await {
        Ok(response) if needs_reshaping(response.response()) => {
            let error = reshaped(response.status(), response.response().error());
            Ok(response.map_body(|head, _| {
                head.headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                EitherBody::right(error.error_response().into_body())
            }))
        }
        Ok(response) => Ok(response.map_into_left_body()),
        Err(err) if err.as_error::<ApiError>().is_some() => Err(err),
        Err(mut err) => {
            let status = err.as_response_error().status_code();
            let error = Rc::new(reshaped(status, Some(&err)));
            err.add_response_mapper(move |response| {
                if !needs_reshaping(&response) {
                    return response;
                }
                let (mut response, _) = response.into_parts();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response.set_body(error.error_response().into_body())
            });
            Err(err)
        }
    }
}

/// An error answer whose body is not already JSON.
fn needs_reshaping<B>(response: &HttpResponse<B>) -> bool {
    (response.status().is_client_error() || response.status().is_server_error())
        && !response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
}

fn reshaped(status: StatusCode, cause: Option<&actix_web::Error>) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge(MAX_BODY_BYTES);
    }
    let detail = cause.map_or_else(
        || status.canonical_reason().unwrap_or("Error").to_owned(),
        ToString::to_string,
    );
    ApiError::Http { status, detail }
}

#[cfg(test)]
mod tests {
    use actix_web::dev::Service;
    use actix_web::middleware::from_fn;
    use actix_web::test::{TestRequest, init_service, read_body_json};
    use actix_web::{App, HttpResponse, HttpServer, web};
    use serde_json::Value;

    use super::*;
    use crate::telemetry::request_context;

    #[test]
    fn finds_encoded_and_raw_control_characters() {
        assert!(has_control_character("q=%00"));
        assert!(has_control_character("type=a%0Ab"));
        assert!(has_control_character("q=%C2%85"));
        assert!(has_control_character("q=%7F"));
        assert!(!has_control_character(
            "q=VAL%2F2026&created_from=2026-01-01T00%3A00%3A00Z"
        ));
        assert!(!has_control_character("q=caf%C3%A9 au lait"));
        // Invalid UTF-8 is not a control character; the handler refuses what it cannot use.
        assert!(!has_control_character("q=%FF"));
    }

    async fn boom() -> HttpResponse {
        panic!("the handler fell over")
    }

    /// Without the guard, actix-web drops the connection of a panicking handler: the
    /// client gets no answer at all. With it, a real server (whose dispatcher answers the
    /// error passed up) says 500 in JSON, with the request id, and serves on.
    #[actix_web::test]
    async fn a_panic_is_answered_500_in_json_and_the_server_serves_on() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let limits = Limits {
            body_idle_timeout: Duration::from_secs(5),
        };
        let server = HttpServer::new(move || {
            App::new()
                .route("/boom", web::get().to(boom))
                .route("/fine", web::get().to(HttpResponse::Ok))
                .wrap(from_fn(move |req, next| guard(limits, req, next)))
                .wrap(from_fn(json_errors))
                .wrap(from_fn(request_context))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);

        zenops_infra::documents::install_tls_provider();
        let client = reqwest::Client::new();
        let response = client
            .get(format!("{address}/boom"))
            .header("x-request-id", "req-7")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["x-request-id"], "req-7");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "internal_error");
        assert!(!body.to_string().contains("fell over"), "{body}");
        for _ in 0..3 {
            let fine = client.get(format!("{address}/fine")).send().await.unwrap();
            assert_eq!(fine.status(), 200);
        }
    }

    /// Answers made with a text body, or errors passed up, come out in our shape with
    /// their status and headers; JSON answers are left alone.
    #[actix_web::test]
    async fn error_answers_of_other_layers_are_reshaped_into_json() {
        let app = init_service(
            App::new()
                .route(
                    "/text",
                    web::get().to(|| async {
                        HttpResponse::PayloadTooLarge()
                            .insert_header(("x-kept", "yes"))
                            .body("too big")
                    }),
                )
                .route(
                    "/refused",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(actix_web::error::ErrorForbidden("not for you"))
                    }),
                )
                .route(
                    "/ours",
                    web::get().to(|| async { Err::<HttpResponse, _>(ApiError::NoRoute) }),
                )
                .route("/passed-up", web::get().to(HttpResponse::Ok))
                .wrap(from_fn(|req: ServiceRequest, next: Next<_>| async move {
                    if req.path() == "/passed-up" {
                        return Err(actix_web::error::ErrorMethodNotAllowed("no such method"));
                    }
                    next.call(req).await
                }))
                .wrap(from_fn(json_errors)),
        )
        .await;
        let call = |path: &'static str| {
            let app = &app;
            async move {
                let response = match app.call(TestRequest::get().uri(path).to_request()).await {
                    Ok(response) => response.map_into_boxed_body(),
                    Err(err) => ServiceResponse::new(
                        TestRequest::default().to_http_request(),
                        err.error_response(),
                    ),
                };
                let status = response.status().as_u16();
                let kept = response.headers().contains_key("x-kept");
                let body: Value = read_body_json(response).await;
                (status, kept, body)
            }
        };

        let (status, kept, body) = call("/text").await;
        assert_eq!((status, kept), (413, true));
        assert_eq!(body["code"], "payload_too_large");
        assert!(
            body["detail"].as_str().unwrap().contains("1048576"),
            "{body}"
        );

        let (status, _, body) = call("/refused").await;
        assert_eq!(status, 403);
        assert_eq!(
            body,
            serde_json::json!({"detail": "not for you", "code": "forbidden"})
        );

        let (status, _, body) = call("/ours").await;
        assert_eq!(status, 404);
        assert_eq!(
            body,
            serde_json::json!({"detail": "Not found", "code": "not_found"})
        );

        let (status, _, body) = call("/passed-up").await;
        assert_eq!(status, 405);
        assert_eq!(
            body,
            serde_json::json!({"detail": "no such method", "code": "method_not_allowed"})
        );
    }
}
