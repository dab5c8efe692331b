//! Leave use cases: request, decide, cancel, list; and approved leave as the
//! [`LeaveCalendar`] the other modules ask.

use std::sync::Arc;

use async_trait::async_trait;
use time::Date;

use super::{
    Absence, LeaveCalendar, LeaveConflict, LeaveDraft, LeaveFilter, LeaveId, LeaveRepository,
    LeaveRequest, LeaveScope, LeaveStatus, NewLeave, Verdict, manages_leave,
};
use crate::access::Actor;
use crate::activity::ActivityDraft;
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult};
use crate::page::{Page, Paged};
use crate::sla::FirmZone;
use crate::text::{self, limits};
use crate::user::UserId;
use crate::work::UnitOfWork;
use crate::workdays::WorkingDays;

#[derive(Clone)]
pub struct LeaveService {
    repo: Arc<dyn LeaveRepository>,
    work: Arc<dyn UnitOfWork>,
    days: WorkingDays,
    clock: Arc<dyn Clock>,
    zone: FirmZone,
}

impl LeaveService {
    pub fn new(
        repo: Arc<dyn LeaveRepository>,
        work: Arc<dyn UnitOfWork>,
        days: WorkingDays,
        clock: Arc<dyn Clock>,
        zone: FirmZone,
    ) -> Self {
        Self {
            repo,
            work,
            days,
            clock,
            zone,
        }
    }

    /// HR and ADMIN (by any of their roles) see every request; others the ones they made
    /// or decided.
    pub async fn list(
        &self,
        actor: &Actor,
        status: Option<LeaveStatus>,
        page: Page,
    ) -> DomainResult<Paged<LeaveRequest>> {
        let scope = if manages_leave(actor) {
            LeaveScope::Everyone
        } else {
            LeaveScope::Involving(actor.user_id)
        };
        let filter = LeaveFilter {
            scope,
            status,
            oldest_first: false,
            exclude_requester: None,
        };
        self.repo.list(&filter, page).await
    }

    pub async fn mine(&self, actor: &Actor, page: Page) -> DomainResult<Paged<LeaveRequest>> {
        let filter = LeaveFilter {
            scope: LeaveScope::RequestedBy(actor.user_id),
            status: None,
            oldest_first: false,
            exclude_requester: None,
        };
        self.repo.list(&filter, page).await
    }

    /// Pending requests the actor may decide, oldest first (not their own).
    pub async fn inbox(&self, actor: &Actor, page: Page) -> DomainResult<Paged<LeaveRequest>> {
        if !manages_leave(actor) {
            return Err(DomainError::Forbidden(
                "Not authorised to manage leave".into(),
            ));
        }
        let filter = LeaveFilter {
            scope: LeaveScope::Everyone,
            status: Some(LeaveStatus::Pending),
            oldest_first: true,
            exclude_requester: Some(actor.user_id),
        };
        self.repo.list(&filter, page).await
    }

    /// Which of `users` are away today (firm-local): approved full or half days.
    pub async fn away_today(&self, users: &[UserId]) -> DomainResult<Vec<UserId>> {
        let today = self.zone.local_date(self.clock.now());
        RecordedLeave::new(self.repo.clone())
            .on_leave(users, today)
            .await
    }

    pub async fn get(&self, actor: &Actor, id: LeaveId) -> DomainResult<LeaveRequest> {
        let request = self.repo.get(id).await?;
        if request.visible_to(actor) {
            Ok(request)
        } else {
            Err(DomainError::NotFound("Leave request"))
        }
    }

    /// Files a request for the actor. It must take at least one working day (or be
    /// permission hours on a working day) and share no day with their other pending or
    /// approved requests (409 naming the other one).
    pub async fn request(&self, actor: &Actor, draft: LeaveDraft) -> DomainResult<LeaveRequest> {
        let command = draft.parse().map_err(DomainError::Validation)?;
        let span = command.span;
        let calendar = self.days.calendar(span.start(), span.end()).await?;
        let working_half_days = span.working_half_days(&calendar);
        let on_a_working_day = calendar.is_working_day(span.start());
        let takes_nothing = match span {
            super::LeaveSpan::Hours { .. } => !on_a_working_day,
            _ => working_half_days == 0,
        };
        if takes_nothing {
            return Err(DomainError::invalid(
                "start_date",
                "the firm does not work on these days (weekly off or holiday)",
            ));
        }
        let now = self.clock.now();
        let new = NewLeave {
            requester: actor.user_id,
            span,
            working_half_days,
            reason: command.reason,
        };
        let mut tx = self.work.begin().await?;
        let store = tx.leave();
        store.lock_requester(actor.user_id, now).await?;
        let holding = store
            .holding(actor.user_id, span.start(), span.end())
            .await?;
        if let Some(other) = holding.iter().find(|o| o.span().overlaps(&span)) {
            return Err(DomainError::conflict(
                "leave_overlap",
                format!(
                    "Overlaps leave request {} ({} {}{}, {})",
                    other.id(),
                    other.span().leave_type(),
                    other.span().start(),
                    if other.span().end() == other.span().start() {
                        String::new()
                    } else {
                        format!(" to {}", other.span().end())
                    },
                    other.status(),
                ),
            ));
        }
        let request = tx.leave().insert(&new, now).await?;
        let entry = ActivityDraft::new(
            "LEAVE_REQUESTED",
            actor,
            format!("Leave requested: {}", span.leave_type()),
        )
        .with("leave_request_id", request.id().0)
        .with("requester_user_id", request.requester().0)
        .with("leave_type", span.leave_type().as_str());
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        Ok(request)
    }

    pub async fn approve(
        &self,
        actor: &Actor,
        id: LeaveId,
        comment: Option<String>,
    ) -> DomainResult<LeaveRequest> {
        self.decide(actor, id, Verdict::Approve, comment).await
    }

    pub async fn reject(
        &self,
        actor: &Actor,
        id: LeaveId,
        comment: Option<String>,
    ) -> DomainResult<LeaveRequest> {
        self.decide(actor, id, Verdict::Reject, comment).await
    }

    /// Decides a pending request: the decision, the LEAVE event (when approved) and the
    /// trail entry commit together, once, whatever else decides it at the same moment.
    async fn decide(
        &self,
        actor: &Actor,
        id: LeaveId,
        verdict: Verdict,
        comment: Option<String>,
    ) -> DomainResult<LeaveRequest> {
        // Who may decide comes first: others learn nothing, not even whether it exists.
        if !manages_leave(actor) {
            return Err(DomainError::Forbidden(
                "Not authorised to manage leave".into(),
            ));
        }
        let comment = text::parse_optional(comment.as_deref(), limits::NOTE)
            .map_err(|m| DomainError::invalid("comment", m))?;
        let current = self.get(actor, id).await?;
        let now = self.clock.now();
        let decided = current.decide(actor, verdict, comment, now)?;
        let mut tx = self.work.begin().await?;
        let decided = match verdict {
            Verdict::Approve => {
                let event = decided.calendar_event(&self.zone);
                let event_id = tx.calendar().insert(&event, actor.user_id, now).await?;
                decided.with_event(Some(event_id))
            }
            Verdict::Reject => decided,
        };
        tx.leave()
            .transition(&decided, LeaveStatus::Pending)
            .await?;
        let (kind, message) = match verdict {
            Verdict::Approve => ("LEAVE_APPROVED", "Leave approved"),
            Verdict::Reject => ("LEAVE_REJECTED", "Leave rejected"),
        };
        let mut entry = ActivityDraft::new(
            kind,
            actor,
            format!("{message}: {}", decided.span().leave_type()),
        )
        .with("leave_request_id", decided.id().0)
        .with("requester_user_id", decided.requester().0);
        if let Some(comment) = decided.decision_comment() {
            entry = entry.with("comment", comment);
        }
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        Ok(decided)
    }

    /// Withdraws a pending request or cancels approved leave, removing its calendar event
    /// in the same transaction.
    pub async fn cancel(&self, actor: &Actor, id: LeaveId) -> DomainResult<LeaveRequest> {
        let current = self.get(actor, id).await?;
        let now = self.clock.now();
        let cancelled = current.cancel(actor, now)?.with_event(None);
        let mut tx = self.work.begin().await?;
        tx.leave().transition(&cancelled, current.status()).await?;
        if current.status() == LeaveStatus::Approved {
            tx.calendar().delete_for_leave(cancelled.id()).await?;
        }
        let entry = ActivityDraft::new(
            "LEAVE_CANCELLED",
            actor,
            format!("Leave cancelled: {}", cancelled.span().leave_type()),
        )
        .with("leave_request_id", cancelled.id().0)
        .with("requester_user_id", cancelled.requester().0)
        .with("was", current.status().as_str());
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        Ok(cancelled)
    }
}

/// Approved leave, read from the leave requests: the [`LeaveCalendar`] of the firm.
pub struct RecordedLeave {
    repo: Arc<dyn LeaveRepository>,
}

impl RecordedLeave {
    pub fn new(repo: Arc<dyn LeaveRepository>) -> Self {
        Self { repo }
    }
}

#[async_trait]
impl LeaveCalendar for RecordedLeave {
    async fn first_on_leave(
        &self,
        users: &[UserId],
        day: Date,
    ) -> DomainResult<Option<LeaveConflict>> {
        if users.is_empty() {
            return Ok(None);
        }
        let approved = self.repo.approved_between(Some(users), day, day).await?;
        // In the order the people were given: the first named is the one reported.
        Ok(users.iter().find_map(|user| {
            approved
                .iter()
                .find(|l| l.requester() == *user && l.span().absent_on(day))
                .map(|l| LeaveConflict {
                    user_id: *user,
                    day,
                    leave_start: l.span().start(),
                    leave_end: l.span().end(),
                })
        }))
    }

    async fn on_leave(&self, users: &[UserId], day: Date) -> DomainResult<Vec<UserId>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let approved = self.repo.approved_between(Some(users), day, day).await?;
        let mut away: Vec<UserId> = approved
            .iter()
            .filter(|l| l.span().absent_on(day))
            .map(LeaveRequest::requester)
            .collect();
        away.sort();
        away.dedup();
        Ok(away)
    }

    async fn absences(&self, users: &[UserId], from: Date, to: Date) -> DomainResult<Vec<Absence>> {
        if users.is_empty() || to < from {
            return Ok(Vec::new());
        }
        let approved = self.repo.approved_between(Some(users), from, to).await?;
        let mut days: Vec<Absence> = approved
            .iter()
            .flat_map(|l| {
                l.span()
                    .absent_days()
                    .into_iter()
                    .filter(|d| (from..=to).contains(d))
                    .map(|date| Absence {
                        user_id: l.requester(),
                        date,
                        leave_type: l.span().leave_type(),
                        half_day_session: l.span().session(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        days.sort_by_key(|a| (a.user_id, a.date, a.half_day_session));
        Ok(days)
    }
}
