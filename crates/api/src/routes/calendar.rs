//! The calendar: events the caller may see, their own events to add, change and remove,
//! and a secret iCal feed any calendar app can subscribe to.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use icalendar::{Calendar, Component, Event, EventLike};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::calendar::{CalendarEvent, CalendarEventType, EventForm, EventQuery};
use zenops_domain::sla::FirmZone;
use zenops_domain::user::UserId;

use crate::dto::{IdPath, lenient_nullable_id, nullable, query_instant, timestamp};
use crate::error::{ApiError, ApiResult, AuthErrors, WriteErrors};
use crate::routes::assignments::DateOrTime;
use crate::session::Authenticated;
use crate::state::AppState;

/// A calendar event, as the Calendar page reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventRead {
    pub id: i64,
    /// SITE_VISIT, REPORT_DUE, DOC_PICKUP, INTERNAL_MEETING, TASK_DUE, LEAVE or
    /// PAYMENT_FOLLOWUP.
    #[schema(example = "SITE_VISIT")]
    pub event_type: String,
    pub event_label_id: Option<i64>,
    pub event_label_name: Option<String>,
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
    pub assignment_code: Option<String>,
    pub created_by_user_id: i64,
    pub assigned_to_user_id: Option<i64>,
    pub assigned_user_ids: Vec<i64>,
    pub assigned_to_all: bool,
    /// The leave request a LEAVE event shows; cancel the leave to remove it.
    pub related_leave_request_id: Option<i64>,
    /// The task a TASK_DUE event shows.
    pub task_id: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub payload_json: Option<Json>,
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
            event_label_id: e.event_label_id,
            event_label_name: e.event_label_name.clone(),
            title: e.title.clone(),
            description: e.description.clone(),
            start_at: e.start_at,
            end_at: e.end_at,
            all_day: e.all_day,
            assignment_id: e.assignment_id,
            assignment_code: e.assignment_code.clone(),
            created_by_user_id: e.created_by.0,
            assigned_to_user_id: e.assigned_to.map(|u| u.0),
            assigned_user_ids: e.assigned_user_ids.iter().map(|u| u.0).collect(),
            assigned_to_all: e.assigned_to_all,
            related_leave_request_id: e.related_leave_request_id.map(|l| l.0),
            task_id: e.task_id,
            // Stored JSON text; a value that no longer parses is shown as absent.
            payload_json: e
                .payload_json
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok()),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventsQuery {
    /// RFC 3339: events still going on at or after this (ending at or after it).
    pub start_from: Option<String>,
    /// RFC 3339: events starting at or before.
    pub start_to: Option<String>,
    /// One type or a comma-separated list (SITE_VISIT, REPORT_DUE, LEAVE, …).
    pub event_type: Option<String>,
    pub assignment_id: Option<i64>,
    /// Events for this person (the primary or one of the listed people).
    pub assigned_to_user_id: Option<i64>,
}

/// An event of one's own. On create `event_type`, `title` and `start_at` are required
/// (`end_at` defaults to `start_at` and may not precede it); on update absent fields stay
/// and `null` clears. `assigned_to_all` puts it on everyone's calendar; otherwise it is for
/// `assigned_user_ids` plus `assigned_to_user_id`. LEAVE and TASK_DUE events come from
/// leave and tasks, and an assignment's site visit and report due from its dates.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EventInput {
    #[schema(example = "INTERNAL_MEETING")]
    pub event_type: Option<String>,
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// RFC 3339, or a firm-local time without an offset (`2027-04-05T10:00`, as a
    /// `datetime-local` input sends it).
    pub start_at: Option<DateOrTime>,
    /// Like `start_at`; defaults to it.
    pub end_at: Option<DateOrTime>,
    pub all_day: Option<bool>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub event_label_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub assignment_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub assigned_to_user_id: Option<Option<i64>>,
    pub assigned_to_all: Option<bool>,
    pub assigned_user_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub payload_json: Option<Option<Json>>,
}

impl EventInput {
    fn into_form(self, zone: &FirmZone) -> ApiResult<EventForm> {
        if let Some(Some(payload)) = &self.payload_json
            && !payload.is_object()
            && !payload.is_null()
        {
            return Err(
                zenops_domain::DomainError::invalid("payload_json", "must be an object").into(),
            );
        }
        let at = |value: Option<DateOrTime>, field: &str| {
            value.map(|v| v.resolve(zone, field)).transpose()
        };
        Ok(EventForm {
            event_type: self.event_type,
            title: self.title,
            description: self.description,
            start_at: at(self.start_at, "start_at")?,
            end_at: at(self.end_at, "end_at")?,
            all_day: self.all_day,
            event_label_id: self.event_label_id,
            assignment_id: self.assignment_id,
            assigned_to_user_id: self.assigned_to_user_id,
            assigned_to_all: self.assigned_to_all,
            assigned_user_ids: self.assigned_user_ids,
            payload_json: self
                .payload_json
                .map(|p| p.filter(|v| !v.is_null()).map(|v| v.to_string())),
        })
    }
}

/// The caller's secret feed address.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedLink {
    /// Subscribe to this in a calendar app. Whoever has it sees the caller's events, so
    /// keep it private; asking for a new one revokes it.
    pub url: String,
}

/// Events that overlap a time range (end at or after `start_from`, start at or before
/// `start_to`) and that the caller may see, by start time (at most 2000).
#[utoipa::path(tag = "calendar", params(EventsQuery), responses((status = 200, body = Vec<EventRead>), WriteErrors), security(("bearer" = [])))]
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

/// Add an event. A linked assignment must be one the caller works on; a label must exist.
#[utoipa::path(tag = "calendar", request_body = EventInput, responses((status = 201, body = EventRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/calendar/events")]
async fn create_event(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<EventInput>,
) -> ApiResult<HttpResponse> {
    let form = body.into_inner().into_form(state.assignments.zone())?;
    let event = state.calendar.create(&caller.actor, form).await?;
    Ok(HttpResponse::Created().json(EventRead::from(&event)))
}

/// One event the caller may see.
#[utoipa::path(tag = "calendar", params(IdPath), responses((status = 200, body = EventRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/calendar/events/{id}")]
async fn get_event(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<EventRead>> {
    let event = state.calendar.get(&caller.actor, path.id).await?;
    Ok(web::Json(EventRead::from(&event)))
}

/// Change an event: its creator or a view-all role. Events that follow leave, a task or
/// an assignment's dates change through those (409).
#[utoipa::path(tag = "calendar", params(IdPath), request_body = EventInput, responses((status = 200, body = EventRead), WriteErrors), security(("bearer" = [])))]
#[patch("/api/calendar/events/{id}")]
async fn update_event(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<EventInput>,
) -> ApiResult<web::Json<EventRead>> {
    let form = body.into_inner().into_form(state.assignments.zone())?;
    let event = state.calendar.update(&caller.actor, path.id, form).await?;
    Ok(web::Json(EventRead::from(&event)))
}

/// Remove an event: its creator or a view-all role. A LEAVE event goes by cancelling its
/// leave (409 `owned_by_leave`); task and assignment events likewise follow their owner.
#[utoipa::path(tag = "calendar", params(IdPath), responses((status = 204, description = "Removed"), WriteErrors), security(("bearer" = [])))]
#[delete("/api/calendar/events/{id}")]
async fn delete_event(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<HttpResponse> {
    state.calendar.delete(&caller.actor, path.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The address clients reach this API at: the configured one, else the request's (the
/// proxy's `Forwarded` headers only when `TRUST_FORWARDED_FOR` says they are trusted).
fn base_url(state: &AppState, req: &HttpRequest) -> String {
    if let Some(url) = &state.public_base_url {
        return url.clone();
    }
    if state.trust_forwarded_for {
        let info = req.connection_info();
        return format!("{}://{}", info.scheme(), info.host());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// A new secret link to the caller's calendar as an iCal feed (RFC 5545). Asking again
/// makes a new link and the old one stops working. Only a hash of the secret is kept.
#[utoipa::path(tag = "calendar", responses((status = 200, body = FeedLink), AuthErrors), security(("bearer" = [])))]
#[post("/api/calendar/feed-token")]
async fn rotate_feed_token(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
) -> ApiResult<web::Json<FeedLink>> {
    let secret = state.calendar.rotate_feed(&caller.actor).await?;
    let url = format!("{}/api/calendar/feed/{secret}.ics", base_url(&state, &req));
    Ok(web::Json(FeedLink { url }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FeedPath {
    /// The secret of a feed link, followed by `.ics`.
    pub file: String,
}

/// `time`'s instant as chrono's, which the iCalendar builder takes.
fn utc(at: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or_default()
}

fn naive(day: time::Date) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(
        day.year(),
        u32::from(u8::from(day.month())),
        u32::from(day.day()),
    )
}

/// The feed as RFC 5545 text: one VEVENT per event with a stable UID (`event-{id}@zenops`),
/// so a calendar app replaces an event when it changes. All-day events are dates in the
/// firm's zone (DTEND the day after the last), others UTC times.
fn render_feed(feed: &[CalendarEvent], zone: &FirmZone) -> String {
    let mut calendar = Calendar::new();
    calendar.name("Zen Ops").timezone(zone.name());
    for e in feed {
        let mut event = Event::new();
        event
            .uid(&format!("event-{}@zenops", e.id))
            .summary(&match &e.assignment_code {
                Some(code) if !e.title.contains(code.as_str()) => format!("{} ({code})", e.title),
                _ => e.title.clone(),
            })
            .timestamp(utc(e.updated_at))
            .add_property("CATEGORIES", e.event_type.as_str());
        if let Some(description) = &e.description {
            event.description(description);
        }
        let first = naive(zone.local_date(e.start_at));
        let after_last = zone.local_date(e.end_at).next_day().and_then(naive);
        match (e.all_day, first, after_last) {
            (true, Some(first), Some(after_last)) => {
                event.starts(first).ends(after_last);
            }
            _ => {
                event.starts(utc(e.start_at)).ends(utc(e.end_at));
            }
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

/// The calendar feed a secret link opens, for calendar apps (no bearer token): the
/// owner's leave, their assignments' site visits and due dates, their tasks, and meetings
/// for them or for everyone, from 90 days back to a year ahead. An unknown or revoked
/// link is 404.
#[utoipa::path(tag = "calendar", params(FeedPath), responses((status = 200, content_type = "text/calendar", body = String), (status = 404, description = "No such feed", body = crate::error::ErrorBody)))]
#[get("/api/calendar/feed/{file}")]
async fn calendar_feed(
    state: web::Data<AppState>,
    path: web::Path<FeedPath>,
) -> ApiResult<HttpResponse> {
    let Some(secret) = path.file.strip_suffix(".ics") else {
        return Err(zenops_domain::DomainError::NotFound("Calendar feed").into());
    };
    let feed = state.calendar.feed(secret).await?;
    let body = render_feed(&feed, state.assignments.zone());
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .body(body))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(events)
        .service(create_event)
        .service(get_event)
        .service(update_event)
        .service(delete_event)
        .service(rotate_feed_token)
        .service(calendar_feed);
}
