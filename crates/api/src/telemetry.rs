//! Logging: pretty in development, JSON for log shippers; a span per request carrying its
//! request id.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // A second init (tests) is harmless and changes nothing.
    let initialised = match format {
        LogFormat::Json => json_subscriber(filter, std::io::stdout).try_init().is_ok(),
        LogFormat::Pretty => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .try_init()
            .is_ok(),
    };
    if initialised {
        std::panic::set_hook(Box::new(log_panic));
    }
}

/// One JSON object per line: the event's fields at the top level, and the current span's
/// fields (the request id among them) under `span`.
fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .finish()
}

/// Panics are logged like everything else (as JSON with `LOG_FORMAT=json`), inside the
/// span that was current, so a handler's panic carries its request id. The request itself
/// is answered 500 by [`crate::edge::guard`].
fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let message = crate::edge::panic_message(info.payload());
    let location = info.location().map(ToString::to_string).unwrap_or_default();
    let backtrace = std::backtrace::Backtrace::capture();
    if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
        tracing::error!(panic = message, %location, %backtrace, "panicked");
    } else {
        tracing::error!(panic = message, %location, "panicked");
    }
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Where a calendar feed's secret is part of the path.
const FEED_PATH: &str = "/api/calendar/feed/";

/// The path as it may be logged: a calendar feed's secret is a credential, so it is
/// replaced by `{secret}`.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix(FEED_PATH) {
        Some(_) => format!("{FEED_PATH}{{secret}}").into(),
        None => path.into(),
    }
}

/// Echoes the caller's `X-Request-Id` (or makes one), runs the request inside a span that
/// carries it, and logs one line per request.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %loggable_path(req.path()),
    );
    let started = Instant::now();
    let handled = |status: u16| {
        span.in_scope(|| {
            tracing::info!(
                status,
                elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                "handled"
            );
        });
    };
    let header = HeaderValue::from_str(&request_id).ok();
    match next.call(req).instrument(span.clone()).await {
        Ok(mut response) => {
            if let Some(value) = header {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            handled(response.status().as_u16());
            Ok(response)
        }
        // An error passed up unanswered (a panic caught below, say): its answer is made
        // later, by the server, and still carries the request id.
        Err(mut err) => {
            if let Some(value) = header {
                err.add_response_mapper(move |mut response| {
                    response.headers_mut().insert(REQUEST_ID, value.clone());
                    response
                });
            }
            handled(err.as_response_error().status_code().as_u16());
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn feed_secrets_stay_out_of_the_log() {
        assert_eq!(
            super::loggable_path("/api/calendar/feed/0123abcd.ics"),
            "/api/calendar/feed/{secret}"
        );
        assert_eq!(super::loggable_path("/api/leave"), "/api/leave");
    }

    use std::cell::RefCell;
    use std::io::Write;

    use actix_web::dev::Service;
    use actix_web::middleware::from_fn;
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::{App, HttpResponse, web};
    use zenops_domain::DomainError;

    use super::*;
    use crate::error::ApiError;

    thread_local! {
        static CAPTURED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    /// Writes into the buffer of the thread that logs.
    struct ThreadBuffer;

    impl Write for ThreadBuffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            CAPTURED.with(|c| c.borrow_mut().extend_from_slice(bytes));
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Logs as JSON into a buffer per thread. One global subscriber for every test: scoped
    /// ones race with other tests over tracing's per-callsite interest cache.
    fn capture() {
        static INIT: std::sync::Once = std::sync::Once::new();
        INIT.call_once(|| {
            let subscriber = json_subscriber(EnvFilter::new("info"), || ThreadBuffer);
            tracing::subscriber::set_global_default(subscriber).unwrap();
        });
        CAPTURED.with(|c| c.borrow_mut().clear());
    }

    /// The line this thread logged with `message`, as JSON.
    fn line(message: &str) -> serde_json::Value {
        let text = CAPTURED.with(|c| String::from_utf8(c.borrow().clone()).unwrap());
        text.lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .find(|line: &serde_json::Value| line["message"] == message)
            .unwrap_or_else(|| panic!("no line `{message}` in {text}"))
    }

    #[actix_web::test]
    async fn the_json_log_line_of_a_500_carries_the_request_id_and_the_cause() {
        capture();
        let app = init_service(App::new().wrap(from_fn(request_context)).route(
            "/",
            web::get().to(|| async {
                Err::<HttpResponse, _>(ApiError::Domain(DomainError::unexpected("disk on fire")))
            }),
        ))
        .await;
        let request = TestRequest::get()
            .uri("/")
            .insert_header((REQUEST_ID, "req-42"))
            .to_request();
        let response = call_service(&app, request).await;
        assert_eq!(response.status().as_u16(), 500);
        assert_eq!(response.headers().get(REQUEST_ID).unwrap(), "req-42");

        let failed = line("request failed");
        assert_eq!(failed["level"], "ERROR");
        assert_eq!(failed["span"]["request_id"], "req-42");
        assert!(
            failed["causes"]
                .as_str()
                .is_some_and(|c| c.contains("disk on fire")),
            "{failed}"
        );
    }

    #[actix_web::test]
    async fn a_caught_panic_is_logged_with_its_message_and_the_request_id() {
        capture();
        let limits = crate::edge::Limits {
            body_idle_timeout: std::time::Duration::from_secs(5),
        };
        let app = init_service(
            App::new()
                .route(
                    "/",
                    web::get().to(|| async {
                        panic!("index out of bounds");
                        #[allow(unreachable_code)]
                        HttpResponse::Ok().finish()
                    }),
                )
                .wrap(from_fn(move |req, next| {
                    crate::edge::guard(limits, req, next)
                }))
                .wrap(from_fn(request_context)),
        )
        .await;
        let request = TestRequest::get()
            .uri("/")
            .insert_header((REQUEST_ID, "req-43"))
            .to_request();
        let Err(err) = app.call(request).await else {
            panic!("a panic is passed up as an error, for the server to answer");
        };
        let response = err.error_response();
        assert_eq!(response.status().as_u16(), 500);
        assert_eq!(response.headers().get(REQUEST_ID).unwrap(), "req-43");

        let failed = line("request failed");
        assert_eq!(failed["span"]["request_id"], "req-43");
        assert_eq!(failed["causes"], "index out of bounds");
        let handled = line("handled");
        assert_eq!(handled["status"], 500);
    }

    #[test]
    fn a_panic_is_logged_as_json_in_the_span_it_happened_in() {
        capture();
        // Chained to the harness's hook, which reports the panics of failing tests.
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                log_panic(info);
                previous(info);
            }));
        });
        let span = tracing::info_span!("request", request_id = "req-44");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            span.in_scope(|| panic!("slice index starts at 3 but ends at 2"))
        }));
        assert!(outcome.is_err());
        let logged = line("panicked");
        assert_eq!(logged["level"], "ERROR");
        assert_eq!(logged["panic"], "slice index starts at 3 but ends at 2");
        assert!(
            logged["location"]
                .as_str()
                .is_some_and(|l| l.contains("telemetry.rs")),
            "{logged}"
        );
        assert_eq!(logged["span"]["request_id"], "req-44");
    }
}
