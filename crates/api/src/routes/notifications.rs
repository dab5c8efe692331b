//! Notifications: the caller's own list, unread count, read, read-all and snooze; email
//! preferences; and, for operations, the sweeps on demand and the delivery log.

use std::collections::BTreeMap;

use actix_web::{get, patch, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::DomainError;
use zenops_domain::notification::email::DeliveryStatus;
use zenops_domain::notification::{
    Delivery, DeliveryFilter, LIST_CAP, LIST_DEFAULT, Notification, NotificationFilter,
    NotificationType, Preferences, SnoozeRequest,
};
use zenops_domain::user::UserId;

use crate::dto::{IdPath, query_instant, timestamp};
use crate::error::{ApiError, ApiResult, AuthErrors, WriteErrors};
use crate::session::Authenticated;
use crate::state::AppState;

/// A notification, as the Notifications page and My Day read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationRead {
    pub id: i64,
    pub user_id: i64,
    /// ASSIGNMENT_ASSIGNED, SLA_OVERDUE, TASK_ASSIGNED, APPROVAL_PENDING, … (see the
    /// `type` filter).
    #[serde(rename = "type")]
    #[schema(example = "APPROVAL_PENDING")]
    pub kind: String,
    #[schema(example = "Approval requested: DELETE_ASSIGNMENT")]
    pub message: String,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub snoozed_until: Option<OffsetDateTime>,
    /// The ids it is about (`assignment_id`, `task_id`, `invoice_id`, `approval_id`,
    /// `leave_request_id`, …), for links and grouping.
    #[schema(value_type = Object)]
    pub payload_json: serde_json::Value,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<Notification> for NotificationRead {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            user_id: n.user_id.0,
            kind: n.kind.as_str().to_owned(),
            payload_json: serde_json::from_str(&n.payload_json)
                .unwrap_or_else(|_| serde_json::json!({})),
            message: n.message,
            read_at: n.read_at,
            snoozed_until: n.snoozed_until,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

fn parse_type(raw: Option<&str>, field: &str) -> ApiResult<Option<NotificationType>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => raw
            .parse()
            .map(Some)
            .map_err(|m: String| DomainError::invalid(field, m).into()),
    }
}

fn limit_of(raw: Option<i64>) -> ApiResult<u64> {
    match raw {
        None => Ok(LIST_DEFAULT),
        Some(n) if (1..=i64::try_from(LIST_CAP).unwrap_or(i64::MAX)).contains(&n) => {
            Ok(u64::try_from(n).unwrap_or(LIST_DEFAULT))
        }
        Some(_) => {
            Err(DomainError::invalid("limit", format!("must be between 1 and {LIST_CAP}")).into())
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct NotificationQuery {
    /// Only unread ones.
    pub unread_only: Option<bool>,
    /// Snoozed ones too (hidden by default).
    pub include_snoozed: Option<bool>,
    /// One type only.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// Words in the message (case-insensitive).
    pub search: Option<String>,
    /// Made at or after this instant (RFC 3339).
    pub created_from: Option<String>,
    /// Made at or before this instant (RFC 3339).
    pub created_to: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<i64>,
}

/// The caller's notifications, newest first (never anyone else's).
#[utoipa::path(tag = "notifications", params(NotificationQuery), responses((status = 200, body = Vec<NotificationRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/notifications")]
async fn list_notifications(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<NotificationQuery>,
) -> ApiResult<web::Json<Vec<NotificationRead>>> {
    let q = query.into_inner();
    let filter = NotificationFilter {
        unread_only: q.unread_only.unwrap_or(false),
        include_snoozed: q.include_snoozed.unwrap_or(false),
        kind: parse_type(q.kind.as_deref(), "type")?,
        search: q.search.filter(|s| !s.trim().is_empty()),
        created_from: query_instant(&q.created_from, "created_from")?.map(|i| i.get()),
        created_to: query_instant(&q.created_to, "created_to")?.map(|i| i.get()),
        limit: limit_of(q.limit)?,
    };
    let items = state.notifications.list(&caller.actor, &filter).await?;
    Ok(web::Json(items.into_iter().map(Into::into).collect()))
}

/// Unread, unsnoozed notifications of the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCountRead {
    pub total: u64,
    /// Per type, only types with some.
    pub by_type: BTreeMap<String, u64>,
}

/// The unread badge: `{total, by_type}`.
#[utoipa::path(tag = "notifications", responses((status = 200, body = UnreadCountRead), AuthErrors), security(("bearer" = [])))]
#[get("/api/notifications/unread-count")]
async fn unread_count(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<UnreadCountRead>> {
    let count = state.notifications.unread(&caller.actor).await?;
    Ok(web::Json(UnreadCountRead {
        total: count.total,
        by_type: count
            .by_type
            .into_iter()
            .map(|(t, n)| (t.as_str().to_owned(), n))
            .collect(),
    }))
}

/// Mark one of the caller's notifications read; answers the notification as it now is
/// (404 for anyone else's).
#[utoipa::path(tag = "notifications", params(IdPath), responses((status = 200, body = NotificationRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/notifications/{id}/read")]
async fn read_notification(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<NotificationRead>> {
    let n = state
        .notifications
        .mark_read(&caller.actor, path.id)
        .await?;
    Ok(web::Json(n.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many were unread.
    pub marked: u64,
}

/// Mark all the caller's notifications read.
#[utoipa::path(tag = "notifications", responses((status = 200, body = MarkedRead), AuthErrors), security(("bearer" = [])))]
#[post("/api/notifications/read-all")]
async fn read_all_notifications(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<MarkedRead>> {
    let marked = state.notifications.mark_all_read(&caller.actor).await?;
    Ok(web::Json(MarkedRead { marked }))
}

/// Snooze some of the caller's notifications: for `snooze_minutes` (default 60, at most
/// 90 days), until `snooze_until`, or wake them (`clear: true`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SnoozeInput {
    #[serde(default)]
    pub notification_ids: Vec<i64>,
    pub snooze_minutes: Option<i64>,
    /// RFC 3339.
    pub snooze_until: Option<String>,
    #[serde(default)]
    pub clear: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Snoozed {
    pub updated: u64,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub snoozed_until: Option<OffsetDateTime>,
}

/// Snooze (or wake) notifications; 404 when none of them is the caller's.
#[utoipa::path(tag = "notifications", request_body = SnoozeInput, responses((status = 200, body = Snoozed), WriteErrors), security(("bearer" = [])))]
#[post("/api/notifications/snooze")]
async fn snooze_notifications(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<SnoozeInput>,
) -> ApiResult<web::Json<Snoozed>> {
    let input = body.into_inner();
    let until = query_instant(&input.snooze_until, "snooze_until")?.map(|i| i.get());
    let request = SnoozeRequest {
        ids: input.notification_ids,
        minutes: input.snooze_minutes,
        until,
        clear: input.clear,
    };
    let (updated, snoozed_until) = state.notifications.snooze(&caller.actor, &request).await?;
    Ok(web::Json(Snoozed {
        updated,
        snoozed_until,
    }))
}

/// A person's email settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreferencesBody {
    /// Email at all (on by default).
    pub email_enabled: bool,
    /// Types emailed or not against their default, by type name. By default every type
    /// is emailed except TASK_UPDATED, SLA_DUE_SOON, TASK_DUE_SOON and MISSING_DOC.
    #[serde(default)]
    pub per_type: BTreeMap<String, bool>,
}

impl From<Preferences> for PreferencesBody {
    fn from(p: Preferences) -> Self {
        Self {
            email_enabled: p.email_enabled,
            per_type: p
                .per_type
                .into_iter()
                .map(|(t, on)| (t.as_str().to_owned(), on))
                .collect(),
        }
    }
}

/// The caller's email settings.
#[utoipa::path(tag = "notifications", responses((status = 200, body = PreferencesBody), AuthErrors), security(("bearer" = [])))]
#[get("/api/notifications/preferences")]
async fn get_preferences(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<PreferencesBody>> {
    Ok(web::Json(
        state.notifications.preferences(&caller.actor).await?.into(),
    ))
}

/// Change the caller's email settings (the whole of them).
#[utoipa::path(tag = "notifications", request_body = PreferencesBody, responses((status = 200, body = PreferencesBody), WriteErrors), security(("bearer" = [])))]
#[patch("/api/notifications/preferences")]
async fn set_preferences(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<PreferencesBody>,
) -> ApiResult<web::Json<PreferencesBody>> {
    let input = body.into_inner();
    let mut per_type = Vec::new();
    for (name, on) in input.per_type {
        let kind = name
            .parse::<NotificationType>()
            .map_err(|m| ApiError::from(DomainError::invalid("per_type", m)))?;
        per_type.push((kind, on));
    }
    let preferences = Preferences {
        email_enabled: input.email_enabled,
        per_type,
    };
    let saved = state
        .notifications
        .set_preferences(&caller.actor, &preferences)
        .await?;
    Ok(web::Json(saved.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaSwept {
    pub sla_due_soon: u64,
    pub sla_overdue: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TasksSwept {
    pub task_due_soon: u64,
    pub task_overdue: u64,
}

/// What a sweep made: new notifications of each kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct SweepRead {
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: OffsetDateTime,
    pub assignment: SlaSwept,
    pub tasks: TasksSwept,
}

/// Run the reminder sweeps now (ADMIN, OPS_MANAGER or view-all roles): first what the
/// activity trail calls for, then SLA and task reminders, each once per due time and
/// escalation step. 409 `job_busy` if another instance holds a sweep for long.
#[utoipa::path(tag = "notifications", responses((status = 200, body = SweepRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/notifications/sweep")]
async fn sweep_notifications(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<SweepRead>> {
    let report = state.workers.sweep_now(&caller.actor).await?;
    Ok(web::Json(SweepRead {
        timestamp: report.at.unwrap_or_else(OffsetDateTime::now_utc),
        assignment: SlaSwept {
            sla_due_soon: report.sla_due_soon,
            sla_overdue: report.sla_overdue,
        },
        tasks: TasksSwept {
            task_due_soon: report.task_due_soon,
            task_overdue: report.task_overdue,
        },
    }))
}

/// One email in the delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryRead {
    pub id: i64,
    pub notification_id: i64,
    pub user_id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    /// EMAIL.
    pub channel: &'static str,
    /// PENDING, SENDING, SENT, LOGGED (no SMTP server configured), FAILED or SKIPPED.
    pub status: String,
    pub attempts: i32,
    /// Why the last attempt failed, or why it was skipped.
    pub error: Option<String>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<OffsetDateTime>,
}

impl From<Delivery> for DeliveryRead {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            notification_id: d.notification_id,
            user_id: d.user_id.0,
            kind: d.kind.as_str().to_owned(),
            channel: d.channel,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            error: d.error,
            created_at: d.created_at,
            last_attempt_at: d.last_attempt_at,
            sent_at: d.sent_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveryQuery {
    pub user_id: Option<i64>,
    /// PENDING, SENDING, SENT, LOGGED, FAILED or SKIPPED.
    pub status: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// RFC 3339.
    pub created_from: Option<String>,
    /// RFC 3339.
    pub created_to: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<i64>,
}

/// The email delivery log, newest first (ADMIN, OPS_MANAGER or view-all roles).
#[utoipa::path(tag = "notifications", params(DeliveryQuery), responses((status = 200, body = Vec<DeliveryRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/notifications/deliveries")]
async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<DeliveryQuery>,
) -> ApiResult<web::Json<Vec<DeliveryRead>>> {
    let q = query.into_inner();
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<DeliveryStatus>()
                .map_err(|m| ApiError::from(DomainError::invalid("status", m)))?,
        ),
    };
    let filter = DeliveryFilter {
        user_id: q.user_id.map(UserId),
        status,
        kind: parse_type(q.kind.as_deref(), "type")?,
        created_from: query_instant(&q.created_from, "created_from")?.map(|i| i.get()),
        created_to: query_instant(&q.created_to, "created_to")?.map(|i| i.get()),
        limit: limit_of(q.limit)?,
    };
    let rows = state
        .notifications
        .deliveries(&caller.actor, &filter)
        .await?;
    Ok(web::Json(rows.into_iter().map(Into::into).collect()))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list_notifications)
        .service(unread_count)
        .service(read_all_notifications)
        .service(snooze_notifications)
        .service(sweep_notifications)
        .service(list_deliveries)
        .service(get_preferences)
        .service(set_preferences)
        .service(read_notification);
}
