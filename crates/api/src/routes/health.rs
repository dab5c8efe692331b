//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// When a background job last ran (over all instances).
#[derive(Serialize, ToSchema)]
pub struct JobRead {
    #[schema(example = "notify")]
    pub job: String,
    /// Whether a run holds it now.
    pub running: bool,
    #[serde(with = "crate::dto::timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_started_at: Option<OffsetDateTime>,
    #[serde(with = "crate::dto::timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_finished_at: Option<OffsetDateTime>,
    pub last_ok: Option<bool>,
    /// A summary of the last run (what it made); a failure's cause is in the server's log
    /// only.
    pub last_result: Option<String>,
    pub runs: i64,
    /// Where the job has read to (the notifier: the last activity-trail id it is past).
    pub cursor: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// The background jobs, by name.
    pub jobs: Vec<JobRead>,
}

/// The process can serve requests: the database answers. Also tells when each background
/// job last ran.
#[utoipa::path(tag = "health", responses((status = 200, body = Ready), (status = 503, body = Health)))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if !state.db.ping().await {
        return HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable",
        });
    }
    let jobs = match state.workers.runner.status().await {
        Ok(jobs) => jobs,
        Err(error) => {
            tracing::warn!(error = %crate::error::cause_chain(&error), "reading job status");
            Vec::new()
        }
    };
    HttpResponse::Ok().json(Ready {
        status: "ready",
        jobs: jobs
            .into_iter()
            .map(|j| JobRead {
                job: j.job,
                running: j.holder.is_some(),
                last_started_at: j.last_started_at,
                last_finished_at: j.last_finished_at,
                last_ok: j.last_ok,
                last_result: match j.last_ok {
                    Some(false) => Some("failed; see the server log".to_owned()),
                    _ => j.last_result,
                },
                runs: j.runs,
                cursor: j.cursor,
            })
            .collect(),
    })
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(healthz).service(readyz);
}
