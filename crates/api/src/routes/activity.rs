//! The activity trail at `/api/activities` (and `/api/activity`, where the frontend reads
//! it).

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::activity::{ACTIVITY_LIST_CAP, ACTIVITY_LIST_DEFAULT, Activity, ActivityFilter};
use zenops_domain::page::Page;
use zenops_domain::user::UserId;

use crate::dto::{listing, query_instant, timestamp};
use crate::error::{ApiError, ApiResult, AuthErrors};
use crate::session::Authenticated;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityRead {
    pub id: i64,
    /// What happened, e.g. ASSIGNMENT_CREATED, ASSIGNMENT_SUBMITTED, TASK_UPDATED.
    #[serde(rename = "type")]
    pub kind: String,
    pub message: Option<String>,
    pub actor_user_id: Option<i64>,
    pub assignment_id: Option<i64>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Details of the change.
    #[schema(value_type = Object)]
    pub payload_json: serde_json::Value,
}

impl From<&Activity> for ActivityRead {
    fn from(a: &Activity) -> Self {
        Self {
            id: a.id,
            kind: a.kind.clone(),
            message: a.message.clone(),
            actor_user_id: a.actor_user_id.map(|u| u.0),
            assignment_id: a.assignment_id,
            created_at: a.created_at,
            payload_json: serde_json::from_str(&a.payload_json).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ActivityQuery {
    pub assignment_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    /// The entry type, e.g. ASSIGNMENT_CREATED (also `type`).
    pub activity_type: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// RFC 3339 bounds of created_at.
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    /// Default 100, at most 500.
    pub limit: Option<i64>,
    pub skip: Option<i64>,
}

async fn respond(
    state: &AppState,
    caller: &Authenticated,
    q: &ActivityQuery,
) -> ApiResult<HttpResponse> {
    let filter = ActivityFilter {
        assignment_id: q.assignment_id,
        actor_user_id: q.actor_user_id.map(UserId),
        kind: q
            .activity_type
            .clone()
            .or(q.kind.clone())
            .filter(|k| !k.trim().is_empty()),
        from: query_instant(&q.created_from, "created_from")?,
        to: query_instant(&q.created_to, "created_to")?,
        oldest_first: false,
    };
    let page = Page::parse(q.limit, q.skip, ACTIVITY_LIST_DEFAULT, ACTIVITY_LIST_CAP)
        .map_err(ApiError::BadRequest)?;
    let rows = state.activities.list(&caller.actor, &filter, page).await?;
    Ok(listing(rows.map(|a| ActivityRead::from(&a))))
}

/// The trail, newest first. View-all roles see everything; others their own entries and
/// those on assignments they can access.
#[utoipa::path(
    tag = "activity",
    params(ActivityQuery),
    responses((status = 200, body = Vec<ActivityRead>, headers(("X-Total-Count" = i64, description = "Entries matching"))), AuthErrors),
    security(("bearer" = []))
)]
#[get("/api/activities")]
async fn activities(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ActivityQuery>,
) -> ApiResult<HttpResponse> {
    respond(&state, &caller, &query).await
}

/// The same trail at the path the frontend reads.
#[utoipa::path(
    tag = "activity",
    operation_id = "list_activity_legacy_path",
    params(ActivityQuery),
    responses((status = 200, body = Vec<ActivityRead>, headers(("X-Total-Count" = i64, description = "Entries matching"))), AuthErrors),
    security(("bearer" = []))
)]
#[get("/api/activity")]
async fn activity(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ActivityQuery>,
) -> ApiResult<HttpResponse> {
    respond(&state, &caller, &query).await
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(activities).service(activity);
}
