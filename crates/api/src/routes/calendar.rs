//! Calendar events (reading; editing arrives with leave).

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::calendar::{CalendarEvent, CalendarEventType, EventQuery};
use zenops_domain::user::UserId;

use crate::dto::{query_instant, timestamp};
use crate::error::{ApiError, ApiResult, AuthErrors};
use crate::session::Authenticated;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct EventRead {
    pub id: i64,
    #[schema(example = "SITE_VISIT")]
    pub event_type: String,
    pub title: String,
    pub description: Option<String>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub start_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub end_at: OffsetDateTime,
    pub all_day: bool,
    pub assignment_id: Option<i64>,
    pub created_by_user_id: i64,
    pub assigned_to_user_id: Option<i64>,
    pub assigned_user_ids: Vec<i64>,
    pub assigned_to_all: bool,
    pub event_label_id: Option<i64>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<&CalendarEvent> for EventRead {
    fn from(e: &CalendarEvent) -> Self {
        Self {
            id: e.id,
            event_type: e.event_type.as_str().to_owned(),
            title: e.title.clone(),
            description: e.description.clone(),
            start_at: e.start_at,
            end_at: e.end_at,
            all_day: e.all_day,
            assignment_id: e.assignment_id,
            created_by_user_id: e.created_by.0,
            assigned_to_user_id: e.assigned_to.map(|u| u.0),
            assigned_user_ids: e.assigned_user_ids.iter().map(|u| u.0).collect(),
            assigned_to_all: e.assigned_to_all,
            event_label_id: e.event_label_id,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventsQuery {
    /// RFC 3339: events starting at or after.
    pub start_from: Option<String>,
    /// RFC 3339: events starting at or before.
    pub start_to: Option<String>,
    /// One type or a comma-separated list (SITE_VISIT, REPORT_DUE, LEAVE, …).
    pub event_type: Option<String>,
    pub assignment_id: Option<i64>,
    pub assigned_to_user_id: Option<i64>,
}

/// Events in a time range that the caller may see, by start time (at most 2000).
#[utoipa::path(tag = "calendar", params(EventsQuery), responses((status = 200, body = Vec<EventRead>), AuthErrors), security(("bearer" = [])))]
#[get("/api/calendar/events")]
async fn events(
    state: web::Data<AppState>,
    caller: Authenticated,
    q: web::Query<EventsQuery>,
) -> ApiResult<web::Json<Vec<EventRead>>> {
    let event_types = q
        .event_type
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<CalendarEventType>()
                .map_err(|m| ApiError::BadRequest(format!("event_type: {m}")))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let query = EventQuery {
        start_from: query_instant(&q.start_from, "start_from")?,
        start_to: query_instant(&q.start_to, "start_to")?,
        event_types,
        assignment_id: q.assignment_id,
        user_id: q.assigned_to_user_id.map(UserId),
    };
    let events = state.calendar.events(&caller.actor, &query).await?;
    Ok(web::Json(events.iter().map(EventRead::from).collect()))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(events);
}
