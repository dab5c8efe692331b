//! Assignments: lists with their SLA state, detail, create, change, delete, and the
//! summary, workload and dashboard views built on them.

use std::collections::HashMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::DomainError;
use zenops_domain::activity::ACTIVITY_LIST_CAP;
use zenops_domain::approval::{ApprovalStatus, AssignmentDeleteOutcome};
use zenops_domain::assignment::{
    Assignment, AssignmentDraft, AssignmentQuery, AssignmentView, Completion, FloorDraft, LIST_CAP,
    LIST_DEFAULT, Summary, WorkloadRow,
};
use zenops_domain::instant::{Instant, check_date};
use zenops_domain::page::Page;
use zenops_domain::sla::{Due, DueState, FirmZone};
use zenops_domain::user::UserId;

use crate::dto::{IdPath, lenient_nullable_id, listing, nullable, query_instant, timestamp};
use crate::error::{ApiError, ApiResult, AssignErrors, AuthErrors, WriteErrors};
use crate::routes::activity::ActivityRead;
use crate::routes::approvals::ApprovalRead;
use crate::routes::invoices::AssignmentInvoiceRead;
use crate::routes::work::{MessageRead, TaskRead};
use crate::session::Authenticated;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct FloorRead {
    pub floor_name: String,
    /// Square feet, two decimals.
    #[schema(example = "450.00")]
    pub area: String,
    pub order_index: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentRead {
    pub id: i64,
    #[schema(example = "VAL/2026/0012")]
    pub assignment_code: String,
    #[schema(example = "BANK")]
    pub case_type: String,
    #[schema(example = "VALUATION")]
    pub service_line: String,
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub property_type_id: Option<i64>,
    pub property_subtype_id: Option<i64>,
    pub bank_name: Option<String>,
    pub branch_name: Option<String>,
    pub valuer_client_name: Option<String>,
    /// The property type's name.
    pub property_type: Option<String>,
    pub property_subtype_name: Option<String>,
    pub borrower_name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub land_area: Option<String>,
    pub builtup_area: Option<String>,
    #[schema(example = "PENDING")]
    pub status: String,
    pub created_by_user_id: i64,
    pub assigned_to_user_id: Option<i64>,
    /// Everyone assigned: the primary assignee and the others, sorted.
    pub assignee_user_ids: Vec<i64>,
    pub additional_assignee_user_ids: Vec<i64>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub assigned_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub site_visit_date: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub report_due_date: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub report_submitted_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<OffsetDateTime>,
    pub cancel_reason: Option<String>,
    /// The fee (null when none is set). Only roles that handle money get this key; for
    /// others it is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, required = false, example = "4500.00")]
    pub fees: Option<Option<String>>,
    /// Whether the fee has been paid. Only roles that handle money get this key; for
    /// others it is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = bool, required = false)]
    pub is_paid: Option<bool>,
    pub notes: Option<String>,
    pub floors: Vec<FloorRead>,
    pub is_deleted: bool,
    /// Approval requests about it that are still pending.
    pub approvals_pending: u64,
    /// Required document categories it has no document of yet.
    pub missing_documents_count: u64,
    /// Its issued invoices with something still due. Only roles that handle money get
    /// this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = u64, required = false)]
    pub payments_pending: Option<u64>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// Where an assignment stands against its due time.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueRead {
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub due_time: OffsetDateTime,
    /// OK, DUE_SOON, OVERDUE, or NA for closed work.
    pub due_state: String,
    pub minutes_left: Option<i64>,
    pub minutes_overdue: Option<i64>,
    pub escalation_role: Option<String>,
    pub escalation_reason: Option<String>,
}

impl From<&Due> for DueRead {
    fn from(due: &Due) -> Self {
        Self {
            due_time: due.due_time,
            due_state: due.state.as_str().to_owned(),
            minutes_left: due.minutes_left,
            minutes_overdue: due.minutes_overdue,
            escalation_role: due.escalation_role.map(|r| r.as_str().to_owned()),
            escalation_reason: due.escalation_reason.map(str::to_owned),
        }
    }
}

/// An assignment with its due state, as the lists and the sidebar read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentWithDue {
    #[serde(flatten)]
    pub assignment: AssignmentRead,
    #[serde(flatten)]
    pub due: DueRead,
}

impl AssignmentRead {
    fn new(view: &AssignmentView) -> Self {
        let a: &Assignment = &view.assignment;
        let f = &a.fields;
        let mut everyone: Vec<i64> = a.assignees().iter().map(|u| u.0).collect();
        everyone.sort_unstable();
        Self {
            id: a.id,
            assignment_code: a.code.clone(),
            case_type: f.case_type.as_str().to_owned(),
            service_line: f.service_line.as_str().to_owned(),
            bank_id: f.bank_id,
            branch_id: f.branch_id,
            client_id: f.client_id,
            property_type_id: f.property_type_id,
            property_subtype_id: f.property_subtype_id,
            bank_name: f.bank_name.clone(),
            branch_name: f.branch_name.clone(),
            valuer_client_name: f.valuer_client_name.clone(),
            property_type: f.property_type_name.clone(),
            property_subtype_name: f.property_subtype_name.clone(),
            borrower_name: f.borrower_name.clone(),
            phone: f.phone.clone(),
            address: f.address.clone(),
            land_area: f.land_area.map(|v| v.to_string()),
            builtup_area: f.builtup_area.map(|v| v.to_string()),
            status: f.status.as_str().to_owned(),
            created_by_user_id: a.created_by.0,
            assigned_to_user_id: f.assigned_to.map(|u| u.0),
            assignee_user_ids: everyone,
            additional_assignee_user_ids: f.additional_assignees.iter().map(|u| u.0).collect(),
            assigned_at: f.assigned_at,
            site_visit_date: f.site_visit_at,
            report_due_date: f.report_due_at,
            report_submitted_at: f.milestones.report_submitted_at,
            completed_at: f.milestones.completed_at,
            cancelled_at: f.milestones.cancelled_at,
            cancel_reason: f.cancel_reason.clone(),
            fees: view.money_visible.then(|| f.fees.map(|m| m.to_string())),
            is_paid: view.money_visible.then_some(f.is_paid),
            notes: f.notes.clone(),
            floors: f
                .floors
                .iter()
                .map(|fl| FloorRead {
                    floor_name: fl.floor_name.clone(),
                    area: fl.area.to_string(),
                    order_index: fl.order_index,
                })
                .collect(),
            is_deleted: false,
            approvals_pending: 0,
            missing_documents_count: 0,
            payments_pending: None,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

impl AssignmentWithDue {
    fn new(view: &AssignmentView, pending: &Pending) -> Self {
        Self {
            assignment: AssignmentRead::new(view).pending(pending),
            due: DueRead::from(&view.due),
        }
    }
}

impl AssignmentRead {
    /// Fills in what is pending about it from counts per assignment.
    fn pending(mut self, counts: &Pending) -> Self {
        self.approvals_pending = counts.approvals.get(&self.id).copied().unwrap_or(0);
        self.missing_documents_count = counts.missing.get(&self.id).copied().unwrap_or(0);
        self.payments_pending = counts
            .payments
            .as_ref()
            .map(|p| p.get(&self.id).copied().unwrap_or(0));
        self
    }
}

/// Pending approvals and invoices awaiting payment, per assignment of a page.
struct Pending {
    approvals: HashMap<i64, u64>,
    /// Missing document categories.
    missing: HashMap<i64, u64>,
    /// `None` for callers who may not see money.
    payments: Option<HashMap<i64, u64>>,
}

async fn pending_counts(
    state: &AppState,
    actor: &zenops_domain::Actor,
    rows: &[AssignmentView],
) -> ApiResult<Pending> {
    let ids: Vec<i64> = rows.iter().map(|v| v.assignment.id).collect();
    let assignments: Vec<&zenops_domain::assignment::Assignment> =
        rows.iter().map(|v| &v.assignment).collect();
    let (approvals, payments, missing) = tokio::join!(
        state.approvals.pending_by_assignment(&ids),
        state.invoices.awaiting_by_assignment(actor, &ids),
        state.documents.missing_counts(&assignments),
    );
    Ok(Pending {
        approvals: approvals?,
        missing: missing?,
        payments: payments?,
    })
}

/// A point in time given as an RFC 3339 timestamp or as a plain date (`2026-05-04`,
/// meaning the start of that day in the firm's time zone).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum DateOrTime {
    #[schema(value_type = String, format = DateTime)]
    At(#[serde(with = "time::serde::rfc3339")] OffsetDateTime),
    #[schema(value_type = String, format = Date)]
    Day(String),
}

impl DateOrTime {
    /// A plain date means noon of that day in the firm's zone (so the date survives any
    /// client that cuts an ISO string back to its date); a time without an offset, as a
    /// `datetime-local` input sends it, is the firm's local time.
    /// Every form is held to the accepted range (see [`Instant`]); outside it is a 422 on
    /// `field`.
    pub fn resolve(&self, zone: &FirmZone, field: &str) -> ApiResult<Instant> {
        let invalid = |message: String| ApiError::Domain(DomainError::invalid(field, message));
        let text = match self {
            DateOrTime::At(at) => return Instant::new(*at).map_err(invalid),
            DateOrTime::Day(text) => text.trim(),
        };
        let day = time::macros::format_description!("[year]-[month]-[day]");
        let local = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute][optional [:[second]]][optional [.[subsecond]]]"
        );
        let (date, time) = if let Ok(date) = time::Date::parse(text, &day) {
            (date, time::macros::time!(12:00))
        } else if let Ok(at) = time::PrimitiveDateTime::parse(text, &local) {
            (at.date(), at.time())
        } else {
            let shown: String = text.chars().take(64).collect();
            return Err(invalid(format!(
                "'{shown}' is not a date (YYYY-MM-DD), a local time (YYYY-MM-DDTHH:MM) or an RFC 3339 timestamp"
            )));
        };
        let date = check_date(date).map_err(invalid)?;
        Instant::new(zone.at_local(date, time)).map_err(invalid)
    }
}

/// A number or a numeric string (`4500`, `"4500.00"`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Amount {
    #[schema(value_type = f64)]
    Number(serde_json::Number),
    Text(String),
}

impl Amount {
    fn text(&self) -> String {
        match self {
            Amount::Number(n) => n.to_string(),
            Amount::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FloorInput {
    pub floor_name: String,
    pub area: Amount,
    pub order_index: Option<i32>,
}

/// A new assignment or a change to one. On create `case_type` is required; BANK work
/// needs `bank_id` and a `branch_id` of that bank, other work `client_id` or
/// `valuer_client_name`. On update, absent fields stay and `null` clears. `status` moves
/// the assignment through its lifecycle (see the lifecycle table in the docs);
/// cancelling needs `cancel_reason`. `fees` and `is_paid` need `modify_money`; changing
/// assignees needs `reassign`. A 409 with `detail.message` means an assignee is on leave:
/// resend with `override_on_leave: true` to go ahead.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AssignmentInput {
    pub case_type: Option<String>,
    pub service_line: Option<String>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub bank_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub client_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub property_type_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub property_subtype_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub valuer_client_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub borrower_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub land_area: Option<Option<Amount>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub builtup_area: Option<Option<Amount>>,
    pub status: Option<String>,
    pub cancel_reason: Option<String>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub assigned_to_user_id: Option<Option<i64>>,
    pub assignee_user_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub site_visit_date: Option<Option<DateOrTime>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub report_due_date: Option<Option<DateOrTime>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub fees: Option<Option<Amount>>,
    pub is_paid: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    pub floors: Option<Vec<FloorInput>>,
    #[serde(default)]
    pub override_on_leave: bool,
}

impl AssignmentInput {
    fn into_draft(self, zone: &FirmZone) -> ApiResult<AssignmentDraft> {
        let amount = |v: Option<Option<Amount>>| v.map(|o| o.map(|a| a.text()));
        let when =
            |v: Option<Option<DateOrTime>>, field: &str| -> ApiResult<Option<Option<Instant>>> {
                match v {
                    None => Ok(None),
                    Some(None) => Ok(Some(None)),
                    Some(Some(d)) => d.resolve(zone, field).map(|t| Some(Some(t))),
                }
            };
        Ok(AssignmentDraft {
            case_type: self.case_type,
            service_line: self.service_line,
            bank_id: self.bank_id,
            branch_id: self.branch_id,
            client_id: self.client_id,
            property_type_id: self.property_type_id,
            property_subtype_id: self.property_subtype_id,
            valuer_client_name: self.valuer_client_name,
            borrower_name: self.borrower_name,
            phone: self.phone,
            address: self.address,
            land_area: amount(self.land_area),
            builtup_area: amount(self.builtup_area),
            status: self.status,
            cancel_reason: self.cancel_reason,
            assigned_to_user_id: self.assigned_to_user_id,
            assignee_user_ids: self.assignee_user_ids,
            site_visit_at: when(self.site_visit_date, "site_visit_date")?,
            report_due_at: when(self.report_due_date, "report_due_date")?,
            fees: amount(self.fees),
            is_paid: self.is_paid,
            notes: self.notes,
            floors: self.floors.map(|floors| {
                floors
                    .into_iter()
                    .map(|f| FloorDraft {
                        floor_name: f.floor_name,
                        area: f.area.text(),
                        order_index: f.order_index,
                    })
                    .collect()
            }),
            override_on_leave: self.override_on_leave,
        })
    }
}

/// The list filters the frontend sends. Every value may also be empty (ignored).
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ListQuery {
    /// ALL (default), PENDING (open work) or COMPLETED (completed or cancelled).
    pub completion: Option<String>,
    pub status: Option<String>,
    pub case_type: Option<String>,
    pub service_line: Option<String>,
    pub bank_id: Option<String>,
    pub branch_id: Option<String>,
    pub client_id: Option<String>,
    pub property_type_id: Option<String>,
    /// Primary or additional assignee.
    pub assigned_to_user_id: Option<String>,
    pub created_by_user_id: Option<String>,
    /// Only work created by or assigned to the caller.
    pub mine: Option<String>,
    /// Only work without a primary assignee.
    pub unassigned: Option<String>,
    pub is_paid: Option<String>,
    /// Text in the code, the borrower's name or the address (also `q`).
    pub search: Option<String>,
    pub q: Option<String>,
    /// RFC 3339 lower bound of created_at.
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    /// created_at (default), updated_at, assignment_code, site_visit_date, report_due_date,
    /// status, due_time, borrower_name.
    pub sort_by: Option<String>,
    /// desc (default) or asc.
    pub sort_dir: Option<String>,
    /// Default 100, at most 500.
    pub limit: Option<String>,
    pub skip: Option<String>,
}

pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(crate) fn parse_param<T: std::str::FromStr>(
    value: &Option<String>,
    name: &str,
) -> ApiResult<Option<T>> {
    given(value)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| ApiError::BadRequest(format!("{name}: '{v}' is not valid")))
        })
        .transpose()
}

pub(crate) fn parse_enum<T>(
    value: &Option<String>,
    name: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> ApiResult<Option<T>> {
    given(value)
        .map(|v| parse(v).map_err(|m| ApiError::BadRequest(format!("{name}: {m}"))))
        .transpose()
}

impl ListQuery {
    fn query(&self, me: UserId) -> ApiResult<(AssignmentQuery, Page)> {
        let completion = match given(&self.completion).map(str::to_uppercase).as_deref() {
            None | Some("ALL") => Completion::All,
            Some("PENDING") | Some("OPEN") => Completion::Pending,
            Some("COMPLETED") | Some("CLOSED") => Completion::Completed,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "completion: '{other}' is not ALL, PENDING or COMPLETED"
                )));
            }
        };
        let descending = match given(&self.sort_dir).map(str::to_lowercase).as_deref() {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "sort_dir: '{other}' is not asc or desc"
                )));
            }
        };
        let id = |v: &Option<String>, name: &str| parse_param::<i64>(v, name);
        let query = AssignmentQuery {
            completion,
            status: parse_enum(&self.status, "status", str::parse)?,
            case_type: parse_enum(&self.case_type, "case_type", str::parse)?,
            service_line: parse_enum(&self.service_line, "service_line", str::parse)?,
            bank_id: id(&self.bank_id, "bank_id")?,
            branch_id: id(&self.branch_id, "branch_id")?,
            client_id: id(&self.client_id, "client_id")?,
            property_type_id: id(&self.property_type_id, "property_type_id")?,
            assigned_to: id(&self.assigned_to_user_id, "assigned_to_user_id")?.map(UserId),
            unassigned: parse_param::<bool>(&self.unassigned, "unassigned")?.unwrap_or(false),
            created_by: id(&self.created_by_user_id, "created_by_user_id")?.map(UserId),
            mine: parse_param::<bool>(&self.mine, "mine")?
                .unwrap_or(false)
                .then_some(me),
            is_paid: parse_param::<bool>(&self.is_paid, "is_paid")?,
            created_from: query_instant(&self.created_from, "created_from")?,
            created_to: query_instant(&self.created_to, "created_to")?,
            search: given(&self.search)
                .or(given(&self.q))
                .map(zenops_domain::text::parse_filter)
                .transpose()
                .map_err(|m| DomainError::invalid("search", m))?,
            sort: parse_enum(&self.sort_by, "sort_by", str::parse)?.unwrap_or_default(),
            descending,
        };
        let page = Page::parse(
            parse_param::<i64>(&self.limit, "limit")?,
            parse_param::<i64>(&self.skip, "skip")?,
            LIST_DEFAULT,
            LIST_CAP,
        )
        .map_err(ApiError::BadRequest)?;
        Ok((query, page))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryRead {
    pub total: u64,
    /// Open work.
    pub pending: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub overdue: u64,
    pub due_soon: u64,
    /// Work not yet paid (not cancelled). Only roles that handle money get this key; for
    /// others it is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = u64, required = false)]
    pub unpaid: Option<u64>,
}

impl SummaryRead {
    fn new(s: Summary, money: bool) -> Self {
        Self {
            total: s.total,
            pending: s.pending,
            completed: s.completed,
            cancelled: s.cancelled,
            overdue: s.overdue,
            due_soon: s.due_soon,
            unpaid: money.then_some(s.unpaid),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Bucket {
    pub due_state: String,
    pub count: u64,
}

/// One person's open work (`user_id` null: the unassigned bucket).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkloadRead {
    pub user_id: Option<i64>,
    pub user_email: Option<String>,
    pub user_name: Option<String>,
    pub total_open: u64,
    pub overdue: u64,
    pub due_soon: u64,
    pub ok: u64,
    pub on_leave_today: bool,
    /// The same counts by state, sorted by state name.
    pub buckets: Vec<Bucket>,
    /// The days this person is away from today through the next 7 days.
    pub upcoming_leave: Vec<LeaveDayRead>,
}

/// A day someone is away.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaveDayRead {
    /// `YYYY-MM-DD`, firm-local.
    pub date: String,
    /// FULL_DAY or HALF_DAY.
    pub leave_type: String,
    /// FIRST_HALF or SECOND_HALF for a half day.
    pub half_day_session: Option<String>,
}

impl From<WorkloadRow> for WorkloadRead {
    fn from(r: WorkloadRow) -> Self {
        let buckets = [
            (DueState::DueSoon, r.due_soon),
            (DueState::Ok, r.ok),
            (DueState::Overdue, r.overdue),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(state, count)| Bucket {
            due_state: state.as_str().to_owned(),
            count,
        })
        .collect();
        Self {
            user_id: r.user_id.map(|u| u.0),
            user_email: r.user_email,
            user_name: r.user_name,
            total_open: r.total_open,
            overdue: r.overdue,
            due_soon: r.due_soon,
            ok: r.ok,
            on_leave_today: r.on_leave_today,
            buckets,
            upcoming_leave: r
                .upcoming_leave
                .iter()
                .map(|a| LeaveDayRead {
                    date: a.date.to_string(),
                    leave_type: a.leave_type.as_str().to_owned(),
                    half_day_session: a.half_day_session.map(|s| s.as_str().to_owned()),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardRead {
    pub summary: SummaryRead,
    pub workload: Vec<WorkloadRead>,
    pub overdue_assignments: u64,
    /// Pending approval requests the caller may decide.
    pub approvals_pending: u64,
    /// Issued invoices of work the caller may see with something still due (0 for those
    /// who may not see money).
    pub payments_pending: u64,
}

/// Everything the assignment page shows, in one call.
#[derive(Debug, Serialize, ToSchema)]
pub struct DetailRead {
    pub assignment: AssignmentRead,
    pub due: DueRead,
    pub documents: Vec<crate::routes::documents::DocumentRead>,
    pub tasks: Vec<TaskRead>,
    pub messages: Vec<MessageRead>,
    pub approvals: Vec<ApprovalRead>,
    pub invoices: Vec<AssignmentInvoiceRead>,
    pub timeline: Vec<ActivityRead>,
    pub missing_documents: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DetailQuery {
    /// desc (default, newest first) or asc.
    pub timeline_order: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeleteQuery {
    /// Why it is being removed (kept in the activity trail).
    pub reason: Option<String>,
}

/// Assignments the caller may see, filtered, sorted and paged (`X-Total-Count`).
#[utoipa::path(
    tag = "assignments",
    params(ListQuery),
    responses((status = 200, body = Vec<AssignmentRead>, headers(("X-Total-Count" = i64, description = "Assignments matching the filters"))), AuthErrors),
    security(("bearer" = []))
)]
#[get("/api/assignments")]
async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let (query, page) = query.query(caller.actor.user_id)?;
    let rows = state.assignments.list(&caller.actor, &query, page).await?;
    let pending = pending_counts(&state, &caller.actor, &rows.items).await?;
    Ok(listing(
        rows.map(|v| AssignmentRead::new(&v).pending(&pending)),
    ))
}

/// The same list with each assignment's due time and SLA state.
#[utoipa::path(
    tag = "assignments",
    params(ListQuery),
    responses((status = 200, body = Vec<AssignmentWithDue>, headers(("X-Total-Count" = i64, description = "Assignments matching the filters"))), AuthErrors),
    security(("bearer" = []))
)]
#[get("/api/assignments/with-due")]
async fn with_due(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let (query, page) = query.query(caller.actor.user_id)?;
    let rows = state.assignments.list(&caller.actor, &query, page).await?;
    let pending = pending_counts(&state, &caller.actor, &rows.items).await?;
    Ok(listing(rows.map(|v| AssignmentWithDue::new(&v, &pending))))
}

/// Counts over the work the caller may see.
#[utoipa::path(tag = "assignments", responses((status = 200, body = SummaryRead), AuthErrors), security(("bearer" = [])))]
#[get("/api/assignments/summary")]
async fn summary(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<SummaryRead>> {
    let summary = state.assignments.summary(&caller.actor).await?;
    Ok(web::Json(SummaryRead::new(
        summary,
        zenops_domain::assignment::sees_money(&caller.actor),
    )))
}

/// Open work per person by SLA state; people on leave today sort last.
#[utoipa::path(tag = "assignments", responses((status = 200, body = Vec<WorkloadRead>), AuthErrors), security(("bearer" = [])))]
#[get("/api/assignments/workload")]
async fn workload(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<Vec<WorkloadRead>>> {
    let rows = state.assignments.workload(&caller.actor).await?;
    Ok(web::Json(
        rows.into_iter().map(WorkloadRead::from).collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SuggestQuery {
    /// The day the work needs someone (`YYYY-MM-DD`, firm-local).
    pub date: String,
    /// Only people holding this role (default: field and assistant valuers).
    pub role: Option<String>,
}

/// Someone free to take work on the day, and why they rank where they do.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionRead {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    /// Open assignments they are on.
    pub open: u64,
    /// Of those, due that day.
    pub due_that_day: u64,
    pub reason: String,
}

/// Who could take work on a day (needs a view-all role): active people not on leave that
/// day, fewest open assignments first, then fewest due that day.
#[utoipa::path(tag = "assignments", params(SuggestQuery), responses((status = 200, body = Vec<SuggestionRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/assignments/suggest-assignees")]
async fn suggest_assignees(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<SuggestQuery>,
) -> ApiResult<web::Json<Vec<SuggestionRead>>> {
    let day = zenops_domain::instant::parse_day(&query.date)
        .map_err(|m| ApiError::from(DomainError::invalid("date", m)))?;
    let role = match query.role.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse()
                .map_err(|m: String| ApiError::from(DomainError::invalid("role", m)))?,
        ),
    };
    let people = state
        .assignments
        .suggest_assignees(&caller.actor, day, role)
        .await?;
    Ok(web::Json(
        people
            .into_iter()
            .map(|s| SuggestionRead {
                user_id: s.user_id.0,
                name: s.name,
                email: s.email,
                open: s.open,
                due_that_day: s.due_that_day,
                reason: s.reason,
            })
            .collect(),
    ))
}

/// Create an assignment (needs `create_assignment`); the server gives it its code.
#[utoipa::path(
    tag = "assignments",
    request_body = AssignmentInput,
    responses((status = 201, body = AssignmentRead), AssignErrors),
    security(("bearer" = []))
)]
#[post("/api/assignments")]
async fn create(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<AssignmentInput>,
) -> ApiResult<HttpResponse> {
    let draft = body.into_inner().into_draft(state.assignments.zone())?;
    let view = state.assignments.create(&caller.actor, draft).await?;
    Ok(HttpResponse::Created().json(AssignmentRead::new(&view)))
}

/// One assignment.
#[utoipa::path(tag = "assignments", params(IdPath), responses((status = 200, body = AssignmentRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/assignments/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<AssignmentRead>> {
    let view = state.assignments.get(&caller.actor, path.id).await?;
    let pending = pending_counts(&state, &caller.actor, std::slice::from_ref(&view)).await?;
    Ok(web::Json(AssignmentRead::new(&view).pending(&pending)))
}

/// An assignment after a change, with the approval requests the change made.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentUpdated {
    #[serde(flatten)]
    pub assignment: AssignmentRead,
    /// Requests made for the parts of the change the caller may not make directly (a
    /// reassignment without `reassign`, a fee without `modify_money`); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals_requested: Vec<ApprovalRead>,
}

/// Change an assignment: fields, people, dates, money, or its status (an illegal move is
/// 409 naming both statuses). A change of people by someone without `reassign`, or of the
/// fee by someone without `modify_money`, becomes a REASSIGN or FEE_OVERRIDE approval
/// request instead (202, the rest of the change applied).
#[utoipa::path(
    tag = "assignments",
    params(IdPath),
    request_body = AssignmentInput,
    responses(
        (status = 200, body = AssignmentUpdated, description = "Changed"),
        (status = 202, body = AssignmentUpdated, description = "Changed where allowed; the rest requested"),
        AssignErrors
    ),
    security(("bearer" = []))
)]
#[patch("/api/assignments/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<AssignmentInput>,
) -> ApiResult<HttpResponse> {
    let draft = body.into_inner().into_draft(state.assignments.zone())?;
    let outcome = state
        .approvals
        .update_assignment(&caller.actor, path.id, draft)
        .await?;
    let pending = pending_counts(
        &state,
        &caller.actor,
        std::slice::from_ref(&outcome.assignment),
    )
    .await?;
    let body = AssignmentUpdated {
        assignment: AssignmentRead::new(&outcome.assignment).pending(&pending),
        approvals_requested: ApprovalRead::list(&outcome.requested, &caller.actor),
    };
    Ok(if body.approvals_requested.is_empty() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::Accepted().json(body)
    })
}

/// Remove an assignment from every list (it stays on record; its calendar events go with
/// it). With `delete_assignment_direct` it is removed at once (204); anyone else with
/// access gets a DELETE_ASSIGNMENT approval request (202, with the approval).
#[utoipa::path(
    tag = "assignments",
    params(IdPath, DeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 202, body = ApprovalRead, description = "Deletion requested"),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[delete("/api/assignments/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    query: web::Query<DeleteQuery>,
) -> ApiResult<HttpResponse> {
    let outcome = state
        .approvals
        .delete_assignment(&caller.actor, path.id, query.reason.as_deref())
        .await?;
    Ok(match outcome {
        AssignmentDeleteOutcome::Deleted => HttpResponse::NoContent().finish(),
        AssignmentDeleteOutcome::Requested(approval) => {
            HttpResponse::Accepted().json(ApprovalRead::new(&approval, &caller.actor))
        }
    })
}

/// The assignment with its due state, tasks, messages and timeline.
#[utoipa::path(
    tag = "assignments",
    params(IdPath, DetailQuery),
    responses((status = 200, body = DetailRead), WriteErrors),
    security(("bearer" = []))
)]
#[get("/api/assignments/{id}/detail")]
async fn detail(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    query: web::Query<DetailQuery>,
) -> ApiResult<web::Json<DetailRead>> {
    let oldest_first = match query.timeline_order.as_deref().map(str::trim) {
        None | Some("") | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "timeline_order: '{other}' is not asc or desc"
            )));
        }
    };
    let actor = &caller.actor;
    let view = state.assignments.get(actor, path.id).await?;
    // Access was checked once, above: each collection is one query of its own.
    let seen = view.visible();
    let (tasks, messages, timeline, approvals, invoices, documents, checklist) = tokio::join!(
        state.tasks.list_visible(seen),
        state.messages.list_visible(seen),
        state
            .activities
            .of_visible(actor, seen, oldest_first, ACTIVITY_LIST_CAP),
        state.approvals.of_visible(seen),
        state.invoices.of_visible(seen),
        state.documents.list_visible(seen),
        state.documents.checklist_visible(seen),
    );
    let money = zenops_domain::assignment::sees_money(actor);
    let invoices = invoices?
        .iter()
        .map(|i| AssignmentInvoiceRead::new(i, &view.assignment.code, money))
        .collect::<ApiResult<Vec<_>>>()?;
    let approvals = approvals?;
    let pending = approvals
        .iter()
        .filter(|a| a.status() == ApprovalStatus::Pending)
        .count();
    let mut assignment = AssignmentRead::new(&view);
    assignment.approvals_pending = u64::try_from(pending).unwrap_or(u64::MAX);
    Ok(web::Json(DetailRead {
        assignment,
        due: DueRead::from(&view.due),
        documents: documents?
            .iter()
            .map(crate::routes::documents::DocumentRead::from)
            .collect(),
        tasks: tasks?.iter().map(TaskRead::from).collect(),
        messages: messages?.iter().map(MessageRead::from).collect(),
        approvals: ApprovalRead::list(&approvals, actor),
        invoices,
        timeline: timeline?.iter().map(ActivityRead::from).collect(),
        missing_documents: checklist?.missing,
    }))
}

/// The control tower: the summary and workload of the work the caller may see.
#[utoipa::path(tag = "assignments", responses((status = 200, body = DashboardRead), AuthErrors), security(("bearer" = [])))]
#[get("/api/dashboard/overview")]
async fn dashboard(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<DashboardRead>> {
    let (counts, people, approvals, payments) = tokio::join!(
        state.assignments.summary(&caller.actor),
        state.assignments.workload(&caller.actor),
        state.approvals.pending_for(&caller.actor),
        state.invoices.awaiting_payment(&caller.actor),
    );
    let counts = counts?;
    Ok(web::Json(DashboardRead {
        overdue_assignments: counts.overdue,
        approvals_pending: approvals?,
        payments_pending: payments?,
        summary: SummaryRead::new(counts, zenops_domain::assignment::sees_money(&caller.actor)),
        workload: people?.into_iter().map(WorkloadRead::from).collect(),
    }))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    // The fixed paths come before `/{id}`, which would otherwise swallow them.
    cfg.service(list)
        .service(with_due)
        .service(summary)
        .service(workload)
        .service(suggest_assignees)
        .service(create)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(detail)
        .service(dashboard);
}
