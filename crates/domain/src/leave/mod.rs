//! Leave: people ask for time off, HR or an ADMIN (never the requester) decides, and
//! approved leave is absence everywhere it matters: on the calendar, in the workload, and
//! when someone is given work for a day they are away.
//!
//! # The rules
//!
//! - **Kinds**: a full day or a range of full days; a half day (the first or the second
//!   half of one day); permission for some hours of one day.
//! - **Working days taken** ([`LeaveSpan::working_half_days`]): the working days of a full
//!   day range (weekly offs and holidays are free), half a day for a half day, none for
//!   permission hours. A request that takes no working day at all (a range of Sundays,
//!   a half day on a holiday) is refused: there is nothing to take leave from.
//! - **Overlap** ([`LeaveSpan::overlaps`]): a person cannot hold two pending or approved
//!   requests that share a day, except the two halves of one day.
//! - **States**: PENDING → APPROVED | REJECTED | CANCELLED; APPROVED → CANCELLED. The
//!   requester withdraws a pending request; HR or an ADMIN decide pending requests of
//!   others and may cancel approved leave (its calendar event goes with it).
//! - **Absence** ([`LeaveSpan::absent_on`]): approved full and half days make a person
//!   away on their days; permission for a few hours does not (they are at work that day).

use std::fmt;

use async_trait::async_trait;
use time::{Date, Duration, OffsetDateTime};

use crate::access::{Actor, Role};
use crate::calendar::{CalendarEventType, NewEvent};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::instant::parse_day;
use crate::named::named_enum;
use crate::page::{Page, Paged};
use crate::sla::FirmZone;
use crate::text::{self, limits};
use crate::user::UserId;
use crate::workdays::{WorkingCalendar, days};

mod service;
pub use service::{LeaveService, RecordedLeave};

#[cfg(test)]
mod tests;

/// Longest leave one request may cover.
pub const MAX_SPAN_DAYS: i64 = 366;
/// Most hours of permission in one day: a working day.
pub const MAX_PERMISSION_HOURS: f64 = 9.0;
/// At most this many requests in one list.
pub const LIST_CAP: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaveId(pub i64);

impl fmt::Display for LeaveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

named_enum!(
    LeaveType, "leave type" {
        FullDay => "FULL_DAY",
        HalfDay => "HALF_DAY",
        PermissionHours => "PERMISSION_HOURS",
    }
);

named_enum!(
    /// Which half of the day a half-day leave takes.
    HalfDaySession, "half-day session" {
        FirstHalf => "FIRST_HALF",
        SecondHalf => "SECOND_HALF",
    }
);

named_enum!(
    LeaveStatus, "leave status" {
        Pending => "PENDING",
        Approved => "APPROVED",
        Rejected => "REJECTED",
        Cancelled => "CANCELLED",
    }
);

impl LeaveStatus {
    /// Pending and approved requests hold their days; the others hold nothing.
    pub fn holds_days(self) -> bool {
        matches!(self, Self::Pending | Self::Approved)
    }
}

/// The time a request covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LeaveSpan {
    /// Full days, `start ..= end`.
    Days { start: Date, end: Date },
    /// Half of one day.
    Half { day: Date, session: HalfDaySession },
    /// Some hours of one day (`0 < hours <= MAX_PERMISSION_HOURS`).
    Hours { day: Date, hours: f64 },
}

impl LeaveSpan {
    pub fn leave_type(&self) -> LeaveType {
        match self {
            Self::Days { .. } => LeaveType::FullDay,
            Self::Half { .. } => LeaveType::HalfDay,
            Self::Hours { .. } => LeaveType::PermissionHours,
        }
    }

    pub fn start(&self) -> Date {
        match *self {
            Self::Days { start, .. } => start,
            Self::Half { day, .. } | Self::Hours { day, .. } => day,
        }
    }

    pub fn end(&self) -> Date {
        match *self {
            Self::Days { end, .. } => end,
            Self::Half { day, .. } | Self::Hours { day, .. } => day,
        }
    }

    pub fn session(&self) -> Option<HalfDaySession> {
        match *self {
            Self::Half { session, .. } => Some(session),
            _ => None,
        }
    }

    pub fn hours(&self) -> Option<f64> {
        match *self {
            Self::Hours { hours, .. } => Some(hours),
            _ => None,
        }
    }

    pub fn covers(&self, day: Date) -> bool {
        self.start() <= day && day <= self.end()
    }

    /// Whether two requests of one person claim the same time: any shared day, except
    /// the two different halves of one day.
    pub fn overlaps(&self, other: &LeaveSpan) -> bool {
        if let (Self::Half { day: a, session: x }, Self::Half { day: b, session: y }) =
            (self, other)
        {
            return a == b && x == y;
        }
        self.start() <= other.end() && other.start() <= self.end()
    }

    /// Working days taken, in halves (so 3 = one and a half days).
    pub fn working_half_days(&self, calendar: &WorkingCalendar) -> u32 {
        match *self {
            Self::Days { start, end } => calendar.working_days(start, end).saturating_mul(2),
            Self::Half { day, .. } => u32::from(calendar.is_working_day(day)),
            Self::Hours { .. } => 0,
        }
    }

    /// Whether approved leave of this span makes the person away on `day`. Permission
    /// hours do not: the person works that day.
    pub fn absent_on(&self, day: Date) -> bool {
        !matches!(self, Self::Hours { .. }) && self.covers(day)
    }

    /// The days on which the person is away (see [`absent_on`](Self::absent_on)).
    pub fn absent_days(&self) -> Vec<Date> {
        match self {
            Self::Hours { .. } => Vec::new(),
            _ => days(self.start(), self.end()).collect(),
        }
    }
}

/// A leave request as received: every field as text, so all problems are reported at once.
#[derive(Debug, Clone, Default)]
pub struct LeaveDraft {
    pub leave_type: Option<String>,
    pub half_day_session: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub hours: Option<f64>,
    pub reason: Option<String>,
}

/// A parsed, well-formed request: what it covers and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveCommand {
    pub span: LeaveSpan,
    pub reason: Option<String>,
}

impl LeaveDraft {
    /// Checks the form on its own (no calendar, no other requests).
    pub fn parse(self) -> Result<LeaveCommand, FieldErrors> {
        let mut e = FieldErrors::new();
        let leave_type = match self.leave_type.as_deref() {
            None => {
                e.add("leave_type", "is required");
                None
            }
            Some(raw) => e.check("leave_type", raw.parse::<LeaveType>()),
        };
        let start = match self.start_date.as_deref() {
            None => {
                e.add("start_date", "is required");
                None
            }
            Some(raw) => e.check("start_date", parse_day(raw)),
        };
        let end = self
            .end_date
            .as_deref()
            .filter(|raw| !raw.trim().is_empty())
            .and_then(|raw| e.check("end_date", parse_day(raw)));
        let session = self
            .half_day_session
            .as_deref()
            .filter(|raw| !raw.trim().is_empty())
            .and_then(|raw| e.check("half_day_session", raw.parse::<HalfDaySession>()));
        let reason = text::optional_field(self.reason, "reason", limits::NOTE, &mut e);
        let span = match (leave_type, start) {
            (Some(kind), Some(start)) => span_of(kind, start, end, session, self.hours, &mut e),
            _ => None,
        };
        if !e.is_empty() {
            return Err(e);
        }
        span.map(|span| LeaveCommand { span, reason })
            .ok_or_else(|| FieldErrors::single("leave_type", "is required"))
    }
}

fn span_of(
    kind: LeaveType,
    start: Date,
    end: Option<Date>,
    session: Option<HalfDaySession>,
    hours: Option<f64>,
    e: &mut FieldErrors,
) -> Option<LeaveSpan> {
    let one_day = |e: &mut FieldErrors| {
        if end.is_some_and(|end| end != start) {
            e.add("end_date", "must equal start_date for this leave type");
        }
    };
    // A session on a full day or hours on a half day mean nothing and are ignored: the
    // request form sends every field whatever the kind.
    match kind {
        LeaveType::FullDay => {
            let end = end.unwrap_or(start);
            if end < start {
                e.add("end_date", "must not be before start_date");
                return None;
            }
            if (end - start) >= Duration::days(MAX_SPAN_DAYS) {
                e.add(
                    "end_date",
                    format!("one request covers at most {MAX_SPAN_DAYS} days"),
                );
                return None;
            }
            Some(LeaveSpan::Days { start, end })
        }
        LeaveType::HalfDay => {
            one_day(e);
            Some(LeaveSpan::Half {
                day: start,
                session: session.unwrap_or(HalfDaySession::FirstHalf),
            })
        }
        LeaveType::PermissionHours => {
            one_day(e);
            match hours {
                Some(h) if h.is_finite() && h > 0.0 && h <= MAX_PERMISSION_HOURS => {
                    Some(LeaveSpan::Hours {
                        day: start,
                        hours: h,
                    })
                }
                Some(_) => {
                    e.add(
                        "hours",
                        format!("must be more than 0 and at most {MAX_PERMISSION_HOURS}"),
                    );
                    None
                }
                None => {
                    e.add("hours", "is required for PERMISSION_HOURS leave");
                    None
                }
            }
        }
    }
}

/// Whether this actor decides leave (HR or ADMIN, by any of their roles).
pub fn manages_leave(actor: &Actor) -> bool {
    actor.has_role(Role::Hr) || actor.has_role(Role::Admin)
}

/// A stored request's fields, as read back by a repository.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveRecord {
    pub id: LeaveId,
    pub requester: UserId,
    pub span: LeaveSpan,
    pub working_half_days: u32,
    pub reason: Option<String>,
    pub status: LeaveStatus,
    pub approver: Option<UserId>,
    pub decided_at: Option<OffsetDateTime>,
    pub decision_comment: Option<String>,
    pub cancelled_by: Option<UserId>,
    pub cancelled_at: Option<OffsetDateTime>,
    pub calendar_event_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A leave request: what it covers, where it stands, who decided. Its fields are read
/// through getters; the state changes only through [`decide`](Self::decide) and
/// [`cancel`](Self::cancel).
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveRequest(LeaveRecord);

impl From<LeaveRecord> for LeaveRequest {
    fn from(record: LeaveRecord) -> Self {
        Self(record)
    }
}

/// A decision on a pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

impl LeaveRequest {
    /// The stored fields, as a store writes them.
    pub fn record(&self) -> &LeaveRecord {
        &self.0
    }
    pub fn id(&self) -> LeaveId {
        self.0.id
    }
    pub fn requester(&self) -> UserId {
        self.0.requester
    }
    pub fn span(&self) -> &LeaveSpan {
        &self.0.span
    }
    pub fn working_half_days(&self) -> u32 {
        self.0.working_half_days
    }
    /// Working days taken (1.5 for three halves).
    pub fn working_days(&self) -> f64 {
        f64::from(self.0.working_half_days) / 2.0
    }
    pub fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    pub fn status(&self) -> LeaveStatus {
        self.0.status
    }
    pub fn approver(&self) -> Option<UserId> {
        self.0.approver
    }
    pub fn decided_at(&self) -> Option<OffsetDateTime> {
        self.0.decided_at
    }
    pub fn decision_comment(&self) -> Option<&str> {
        self.0.decision_comment.as_deref()
    }
    pub fn cancelled_by(&self) -> Option<UserId> {
        self.0.cancelled_by
    }
    pub fn cancelled_at(&self) -> Option<OffsetDateTime> {
        self.0.cancelled_at
    }
    pub fn calendar_event_id(&self) -> Option<i64> {
        self.0.calendar_event_id
    }
    pub fn created_at(&self) -> OffsetDateTime {
        self.0.created_at
    }
    pub fn updated_at(&self) -> OffsetDateTime {
        self.0.updated_at
    }

    /// Who may see it: the requester, whoever decided it, and HR/ADMIN.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        self.0.requester == actor.user_id
            || self.0.approver == Some(actor.user_id)
            || manages_leave(actor)
    }

    /// Approves or rejects a pending request. HR or an ADMIN decide, never on their own.
    pub fn decide(
        &self,
        actor: &Actor,
        verdict: Verdict,
        comment: Option<String>,
        at: OffsetDateTime,
    ) -> DomainResult<LeaveRequest> {
        if !manages_leave(actor) {
            return Err(DomainError::Forbidden(
                "Not authorised to manage leave".into(),
            ));
        }
        if self.0.requester == actor.user_id {
            return Err(DomainError::Forbidden(
                "Nobody decides their own leave".into(),
            ));
        }
        if self.0.status != LeaveStatus::Pending {
            return Err(already_decided(self.0.status));
        }
        let mut next = self.clone();
        next.0.status = match verdict {
            Verdict::Approve => LeaveStatus::Approved,
            Verdict::Reject => LeaveStatus::Rejected,
        };
        next.0.approver = Some(actor.user_id);
        next.0.decided_at = Some(at);
        next.0.decision_comment = comment;
        next.0.updated_at = at;
        Ok(next)
    }

    /// Withdraws a pending request (its requester, or HR/ADMIN) or cancels approved leave
    /// (HR/ADMIN only).
    pub fn cancel(&self, actor: &Actor, at: OffsetDateTime) -> DomainResult<LeaveRequest> {
        let own = self.0.requester == actor.user_id;
        let manager = manages_leave(actor);
        match self.0.status {
            LeaveStatus::Pending if own || manager => {}
            LeaveStatus::Approved if manager => {}
            LeaveStatus::Pending | LeaveStatus::Approved => {
                return Err(DomainError::Forbidden(if own {
                    "Approved leave is cancelled by HR or an ADMIN".into()
                } else {
                    "Not permitted to cancel this leave".into()
                }));
            }
            status => return Err(already_decided(status)),
        }
        let mut next = self.clone();
        next.0.status = LeaveStatus::Cancelled;
        next.0.cancelled_by = Some(actor.user_id);
        next.0.cancelled_at = Some(at);
        next.0.updated_at = at;
        Ok(next)
    }

    /// Links the calendar event that shows this approved leave.
    pub fn with_event(mut self, event_id: Option<i64>) -> Self {
        self.0.calendar_event_id = event_id;
        self
    }

    /// The LEAVE event that shows this approved leave on the calendar, in the firm's zone:
    /// full days from local midnight to the end of the last day (all-day), halves from
    /// 09:00 to 13:30 or 13:30 to 18:00 local, permission hours as an all-day note.
    pub fn calendar_event(&self, zone: &FirmZone) -> NewEvent {
        use time::macros::time;
        let (title, start_at, end_at, all_day) = match self.0.span {
            LeaveSpan::Days { start, end } => (
                "Leave (full day)".to_owned(),
                zone.at_local(start, time!(00:00)),
                zone.at_local(end, time!(23:59:59)),
                true,
            ),
            LeaveSpan::Half { day, session } => {
                let (from, to, name) = match session {
                    HalfDaySession::FirstHalf => (time!(09:00), time!(13:30), "first half"),
                    HalfDaySession::SecondHalf => (time!(13:30), time!(18:00), "second half"),
                };
                (
                    format!("Leave ({name})"),
                    zone.at_local(day, from),
                    zone.at_local(day, to),
                    false,
                )
            }
            LeaveSpan::Hours { day, hours } => (
                format!("Permission ({hours} h)"),
                zone.at_local(day, time!(00:00)),
                zone.at_local(day, time!(23:59:59)),
                true,
            ),
        };
        NewEvent {
            event_type: CalendarEventType::Leave,
            title,
            // The reason is the requester's and the deciders' business, not the calendar's.
            description: None,
            start_at,
            end_at,
            all_day,
            assignment_id: None,
            assigned_to: Some(self.0.requester),
            assigned_user_ids: vec![self.0.requester],
            assigned_to_all: false,
            event_label_id: None,
            related_leave_request_id: Some(self.0.id),
            task_id: None,
            payload_json: Some(format!(
                "{{\"leave_request_id\":{},\"leave_type\":\"{}\"}}",
                self.0.id,
                self.0.span.leave_type()
            )),
        }
    }
}

fn already_decided(status: LeaveStatus) -> DomainError {
    DomainError::conflict(
        "already_decided",
        format!("Leave already decided ({status})"),
    )
}

/// Approved leave that covers a day on which someone is being given work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveConflict {
    pub user_id: UserId,
    pub day: Date,
    pub leave_start: Date,
    pub leave_end: Date,
}

/// One day someone is away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absence {
    pub user_id: UserId,
    pub date: Date,
    pub leave_type: LeaveType,
    pub half_day_session: Option<HalfDaySession>,
}

/// Absence as other modules need it: who is away on a day.
#[async_trait]
pub trait LeaveCalendar: Send + Sync {
    /// The first of `users` on approved leave on `day`, if any.
    async fn first_on_leave(
        &self,
        users: &[UserId],
        day: Date,
    ) -> DomainResult<Option<LeaveConflict>>;
    /// Which of `users` are on approved leave on `day`.
    async fn on_leave(&self, users: &[UserId], day: Date) -> DomainResult<Vec<UserId>>;
    /// Every day in `from ..= to` on which one of `users` is away, by person then date.
    async fn absences(&self, users: &[UserId], from: Date, to: Date) -> DomainResult<Vec<Absence>>;
}

/// Nobody is ever away: for tests of modules that do not care about leave.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLeave;

#[async_trait]
impl LeaveCalendar for NoLeave {
    async fn first_on_leave(
        &self,
        _users: &[UserId],
        _day: Date,
    ) -> DomainResult<Option<LeaveConflict>> {
        Ok(None)
    }

    async fn on_leave(&self, _users: &[UserId], _day: Date) -> DomainResult<Vec<UserId>> {
        Ok(Vec::new())
    }

    async fn absences(
        &self,
        _users: &[UserId],
        _from: Date,
        _to: Date,
    ) -> DomainResult<Vec<Absence>> {
        Ok(Vec::new())
    }
}

/// Whose requests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveScope {
    Everyone,
    /// Requested or decided by this person.
    Involving(UserId),
    /// Requested by this person.
    RequestedBy(UserId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaveFilter {
    pub scope: LeaveScope,
    pub status: Option<LeaveStatus>,
    /// Oldest first (the inbox) instead of newest first.
    pub oldest_first: bool,
    /// Leave out this person's own requests (a decider's inbox).
    pub exclude_requester: Option<UserId>,
}

/// A request to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLeave {
    pub requester: UserId,
    pub span: LeaveSpan,
    pub working_half_days: u32,
    pub reason: Option<String>,
}

/// Reading leave.
#[async_trait]
pub trait LeaveRepository: Send + Sync {
    async fn get(&self, id: LeaveId) -> DomainResult<LeaveRequest>;
    async fn list(&self, filter: &LeaveFilter, page: Page) -> DomainResult<Paged<LeaveRequest>>;
    /// Approved requests of `users` (everyone when `None`) that share a day with
    /// `from ..= to`.
    async fn approved_between(
        &self,
        users: Option<&[UserId]>,
        from: Date,
        to: Date,
    ) -> DomainResult<Vec<LeaveRequest>>;
}

/// Writing leave inside a transaction.
#[async_trait]
pub trait LeaveStore: Send {
    /// Serialises requests of one person (taken before reading their other requests), so
    /// two overlapping requests sent at once cannot both pass the overlap check.
    async fn lock_requester(&mut self, user: UserId, at: OffsetDateTime) -> DomainResult<()>;
    /// Pending and approved requests of `user` that share a day with `from ..= to`.
    async fn holding(
        &mut self,
        user: UserId,
        from: Date,
        to: Date,
    ) -> DomainResult<Vec<LeaveRequest>>;
    async fn insert(&mut self, new: &NewLeave, at: OffsetDateTime) -> DomainResult<LeaveRequest>;
    /// Stores the request's new state if it is still `from`; otherwise fails with
    /// `Conflict("already_decided")`.
    async fn transition(&mut self, next: &LeaveRequest, from: LeaveStatus) -> DomainResult<()>;
}
