//! Leave: requesting, the lists of the Requests and Approvals pages, deciding, cancelling.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::leave::{LIST_CAP, LeaveDraft, LeaveId, LeaveRequest, LeaveStatus};
use zenops_domain::page::Page;

use crate::dto::{IdPath, lenient_number, listing, optional_body, timestamp};
use crate::error::{ApiError, ApiResult, AuthErrors, WriteErrors};
use crate::session::Authenticated;
use crate::state::AppState;

/// A leave request, as the Requests, Approvals and My Day pages read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaveRead {
    pub id: i64,
    pub requester_user_id: i64,
    /// FULL_DAY, HALF_DAY or PERMISSION_HOURS.
    #[schema(example = "FULL_DAY")]
    pub leave_type: String,
    /// FIRST_HALF or SECOND_HALF for a half day; null otherwise.
    pub half_day_session: Option<String>,
    /// `YYYY-MM-DD`, in the firm's calendar.
    #[schema(example = "2026-01-20")]
    pub start_date: String,
    /// `YYYY-MM-DD`; the start date for a half day or permission hours.
    #[schema(example = "2026-01-21")]
    pub end_date: String,
    /// Hours of permission (PERMISSION_HOURS only).
    pub hours: Option<f64>,
    /// Working days the request takes (weekly offs and holidays excluded; a half is 0.5).
    pub working_days: f64,
    pub reason: Option<String>,
    /// PENDING, APPROVED, REJECTED or CANCELLED.
    #[schema(example = "PENDING")]
    pub status: String,
    /// Who decided it.
    pub approver_user_id: Option<i64>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    /// The decider's comment (a rejection's reason).
    pub decision_comment: Option<String>,
    pub cancelled_by_user_id: Option<i64>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<OffsetDateTime>,
    /// The LEAVE event that shows approved leave on the calendar.
    pub calendar_event_id: Option<i64>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<&LeaveRequest> for LeaveRead {
    fn from(l: &LeaveRequest) -> Self {
        let span = l.span();
        Self {
            id: l.id().0,
            requester_user_id: l.requester().0,
            leave_type: span.leave_type().as_str().to_owned(),
            half_day_session: span.session().map(|s| s.as_str().to_owned()),
            start_date: span.start().to_string(),
            end_date: span.end().to_string(),
            hours: span.hours(),
            working_days: l.working_days(),
            reason: l.reason().map(str::to_owned),
            status: l.status().as_str().to_owned(),
            approver_user_id: l.approver().map(|u| u.0),
            decided_at: l.decided_at(),
            decision_comment: l.decision_comment().map(str::to_owned),
            cancelled_by_user_id: l.cancelled_by().map(|u| u.0),
            cancelled_at: l.cancelled_at(),
            calendar_event_id: l.calendar_event_id(),
            created_at: l.created_at(),
            updated_at: l.updated_at(),
        }
    }
}

/// A leave request. FULL_DAY covers `start_date` to `end_date` (default: the start);
/// HALF_DAY one day's `half_day_session` (FIRST_HALF by default); PERMISSION_HOURS some
/// `hours` (more than 0, at most 9) of one day. Fields of other kinds are ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LeaveInput {
    #[schema(example = "FULL_DAY")]
    pub leave_type: Option<String>,
    #[schema(example = "2026-01-20")]
    pub start_date: Option<String>,
    #[schema(example = "2026-01-21")]
    pub end_date: Option<String>,
    pub half_day_session: Option<String>,
    /// A number, or a numeric string; ignored unless PERMISSION_HOURS.
    #[serde(default, deserialize_with = "lenient_number")]
    #[schema(value_type = Option<f64>)]
    pub hours: Option<f64>,
    pub reason: Option<String>,
}

impl From<LeaveInput> for LeaveDraft {
    fn from(i: LeaveInput) -> Self {
        Self {
            leave_type: i.leave_type,
            half_day_session: i.half_day_session,
            start_date: i.start_date,
            end_date: i.end_date,
            hours: i.hours,
            reason: i.reason,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LeaveListQuery {
    /// PENDING, APPROVED, REJECTED or CANCELLED.
    pub status_filter: Option<String>,
    /// At most this many (default and cap 200).
    pub limit: Option<i64>,
    /// Skip this many first.
    pub skip: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LeavePageQuery {
    /// At most this many (default and cap 200).
    pub limit: Option<i64>,
    /// Skip this many first.
    pub skip: Option<i64>,
}

fn page(limit: Option<i64>, skip: Option<i64>) -> ApiResult<Page> {
    Page::parse(limit, skip, LIST_CAP, LIST_CAP).map_err(ApiError::BadRequest)
}

/// The decider's note: in the query string (as the Approvals page sends a rejection) or
/// in a JSON body.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
pub struct LeaveDecisionInput {
    pub comment: Option<String>,
}

/// The query's comment, else the body's.
fn comment_of(query: LeaveDecisionInput, body: &web::Bytes) -> ApiResult<Option<String>> {
    let body: LeaveDecisionInput = optional_body(body)?;
    Ok(query
        .comment
        .filter(|c| !c.trim().is_empty())
        .or(body.comment))
}

/// Leave requests: HR and ADMIN (by any of their roles) see every one, others those they
/// made or decided. Newest first.
#[utoipa::path(tag = "leave", params(LeaveListQuery), responses((status = 200, body = Vec<LeaveRead>, headers(("X-Total-Count" = i64, description = "Requests matching"))), WriteErrors), security(("bearer" = [])))]
#[get("/api/leave")]
async fn list_leave(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<LeaveListQuery>,
) -> ApiResult<HttpResponse> {
    let status = match query.status_filter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<LeaveStatus>().map_err(|m| {
            ApiError::from(zenops_domain::DomainError::invalid("status_filter", m))
        })?),
    };
    let window = page(query.limit, query.skip)?;
    let requests = state.leave.list(&caller.actor, status, window).await?;
    Ok(listing(requests.map(|l| LeaveRead::from(&l))))
}

/// The caller's own requests, newest first.
#[utoipa::path(tag = "leave", params(LeavePageQuery), responses((status = 200, body = Vec<LeaveRead>, headers(("X-Total-Count" = i64, description = "Requests"))), AuthErrors), security(("bearer" = [])))]
#[get("/api/leave/my")]
async fn my_leave(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<LeavePageQuery>,
) -> ApiResult<HttpResponse> {
    let window = page(query.limit, query.skip)?;
    let requests = state.leave.mine(&caller.actor, window).await?;
    Ok(listing(requests.map(|l| LeaveRead::from(&l))))
}

/// Pending requests the caller may decide (HR or ADMIN; not their own), oldest first.
#[utoipa::path(tag = "leave", params(LeavePageQuery), responses((status = 200, body = Vec<LeaveRead>, headers(("X-Total-Count" = i64, description = "Pending requests"))), AuthErrors), security(("bearer" = [])))]
#[get("/api/leave/inbox")]
async fn leave_inbox(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<LeavePageQuery>,
) -> ApiResult<HttpResponse> {
    let window = page(query.limit, query.skip)?;
    let requests = state.leave.inbox(&caller.actor, window).await?;
    Ok(listing(requests.map(|l| LeaveRead::from(&l))))
}

/// Ask for leave. It must take a working day (or be permission on one) and share no day
/// with the caller's other pending or approved requests (409 `leave_overlap`, naming it;
/// the two halves of one day fit together).
#[utoipa::path(tag = "leave", request_body = LeaveInput, responses((status = 201, body = LeaveRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/leave/request")]
async fn request_leave(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<LeaveInput>,
) -> ApiResult<HttpResponse> {
    let request = state
        .leave
        .request(&caller.actor, body.into_inner().into())
        .await?;
    Ok(HttpResponse::Created().json(LeaveRead::from(&request)))
}

/// One request, if the caller made it, decided it, or is HR or an ADMIN.
#[utoipa::path(tag = "leave", params(IdPath), responses((status = 200, body = LeaveRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/leave/{id}")]
async fn get_leave(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<LeaveRead>> {
    let request = state.leave.get(&caller.actor, LeaveId(path.id)).await?;
    Ok(web::Json(LeaveRead::from(&request)))
}

/// Approve a pending request (HR or ADMIN, never one's own): it becomes APPROVED and a
/// LEAVE event covers its days on the calendar, in one transaction. A request already
/// decided gets 409 `already_decided`.
#[utoipa::path(tag = "leave", params(IdPath, LeaveDecisionInput), request_body(content = Option<LeaveDecisionInput>, description = "Optional"), responses((status = 200, body = LeaveRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/leave/{id}/approve")]
async fn approve_leave(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    query: web::Query<LeaveDecisionInput>,
    body: web::Bytes,
) -> ApiResult<web::Json<LeaveRead>> {
    let comment = comment_of(query.into_inner(), &body)?;
    let request = state
        .leave
        .approve(&caller.actor, LeaveId(path.id), comment)
        .await?;
    Ok(web::Json(LeaveRead::from(&request)))
}

/// Reject a pending request (HR or ADMIN, never one's own). The comment comes in the
/// query string (`?comment=…`, as the Approvals page sends it) or the body.
#[utoipa::path(tag = "leave", params(IdPath, LeaveDecisionInput), request_body(content = Option<LeaveDecisionInput>, description = "Optional"), responses((status = 200, body = LeaveRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/leave/{id}/reject")]
async fn reject_leave(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    query: web::Query<LeaveDecisionInput>,
    body: web::Bytes,
) -> ApiResult<web::Json<LeaveRead>> {
    let comment = comment_of(query.into_inner(), &body)?;
    let request = state
        .leave
        .reject(&caller.actor, LeaveId(path.id), comment)
        .await?;
    Ok(web::Json(LeaveRead::from(&request)))
}

/// Withdraw a pending request (its requester, HR or ADMIN) or cancel approved leave (HR
/// or ADMIN): it becomes CANCELLED and its calendar event is removed.
#[utoipa::path(tag = "leave", params(IdPath), responses((status = 200, body = LeaveRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/leave/{id}/cancel")]
async fn cancel_leave(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<LeaveRead>> {
    let request = state.leave.cancel(&caller.actor, LeaveId(path.id)).await?;
    Ok(web::Json(LeaveRead::from(&request)))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    // The fixed paths come before `/{id}`.
    cfg.service(list_leave)
        .service(my_leave)
        .service(leave_inbox)
        .service(request_leave)
        .service(get_leave)
        .service(approve_leave)
        .service(reject_leave)
        .service(cancel_leave);
}
