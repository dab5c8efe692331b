//! `/metrics` in Prometheus' text format, through the `metrics` facade and
//! `metrics-exporter-prometheus` (its recorder only: the route is actix's own).
//!
//! What is recorded: every request's latency by method, route pattern and status
//! (`http_request_duration_seconds`, whose `_count` is the request count, and
//! `http_requests_total`), the database pool (`db_pool_connections`,
//! `db_pool_idle_connections`, read when scraped), background job runs by outcome
//! (`job_runs_total`), and refused sign-ins (`login_throttled_total`). Routes are their
//! patterns (`/api/assignments/{id}`), and a path that matches no route counts as
//! `unmatched`, so no caller can grow the number of series.
//!
//! Access: with `METRICS_TOKEN` set, only `Authorization: Bearer <token>`; without it, open
//! in development and absent (404) in production.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, get, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Latency buckets, seconds: 1 ms to 10 s.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// How often the recorder folds recorded samples into its histograms.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's recorder, installed by the first application built (the tests build
/// many in one process; they share it).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    // The recorder drains its histograms' samples only when rendered or
                    // upkept; with nobody scraping (production without a token) they
                    // would pile up. A thread of its own, so no runtime's end stops it.
                    let kept = handle.clone();
                    let upkeep = std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(UPKEEP_EVERY);
                                kept.run_upkeep();
                            }
                        });
                    if let Err(error) = upkeep {
                        tracing::warn!(%error, "metrics upkeep thread not started");
                    }
                    Some(handle)
                }
                Err(error) => {
                    tracing::warn!(%error, "metrics recorder not installed; /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder (once per process).
pub fn install() {
    handle();
}

/// Who may read `/metrics`.
#[derive(Debug, Clone)]
pub enum MetricsAccess {
    Open,
    Token(String),
    Closed,
}

impl MetricsAccess {
    fn allows(&self, req: &HttpRequest) -> Result<(), ApiError> {
        match self {
            Self::Open => Ok(()),
            Self::Closed => Err(ApiError::NoRoute),
            Self::Token(expected) => {
                let given = req
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .unwrap_or_default();
                if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                    Ok(())
                } else {
                    Err(ApiError::Unauthenticated("Not authenticated"))
                }
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Records each request's route, status and latency.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // Methods from a fixed set: any other token is one `OTHER` series, so callers cannot
    // grow the number of series (nor can they with paths: unmatched is one route).
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    };
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let result = next.call(req).await;
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("http_requests_total", &labels).increment(1);
    result
}

/// A background job's run: `ok`, `skipped` (another instance held the lease) or `failed`.
pub fn job_run(job: &'static str, outcome: &'static str) {
    metrics::counter!("job_runs_total", "job" => job, "outcome" => outcome).increment(1);
}

/// A sign-in refused by the login throttle.
pub fn login_throttled() {
    metrics::counter!("login_throttled_total").increment(1);
}

/// Prometheus metrics of this instance (text format 0.0.4).
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, content_type = "text/plain", body = String, description = "Prometheus text format"),
        (status = 401, body = crate::error::ErrorBody, description = "METRICS_TOKEN is set and was not given"),
        (status = 404, body = crate::error::ErrorBody, description = "Production without METRICS_TOKEN")
    )
)]
#[get("/metrics")]
async fn metrics_text(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    state.metrics.allows(&req)?;
    let (size, idle) = state.db.pool_use();
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    let body = handle().map(PrometheusHandle::render).unwrap_or_default();
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(metrics_text);
}
