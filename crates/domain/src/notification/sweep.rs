//! Reminders for work due soon or overdue, and the morning digest.
//!
//! - Due soon (at most [`DUE_SOON_MINUTES`] left): the people on it, once per due time.
//! - Overdue: the people on it at once; OPS_MANAGER users after 72 hours and ADMIN users
//!   after five days, per the SLA escalation rule; each step once per due time.
//!
//! Moving the due time makes a new round, as it is new news. Completed and cancelled work,
//! done tasks and deleted assignments are never swept.

use std::collections::BTreeMap;

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use crate::access::Role;
use crate::error::DomainResult;
use crate::sla::{self, DueState};
use crate::user::UserId;

use super::{NotificationDraft, NotificationType as T, recipients};

pub use crate::sla::DUE_SOON_MINUTES;

/// Open work due before some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueWork {
    pub assignment_id: i64,
    pub code: String,
    pub due_at: OffsetDateTime,
    /// The primary assignee first.
    pub people: Vec<UserId>,
}

/// An open task due before some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTask {
    pub task_id: i64,
    pub assignment_id: i64,
    pub code: String,
    pub title: String,
    pub due_at: OffsetDateTime,
    pub assignee: UserId,
}

#[async_trait]
pub trait SweepSource: Send + Sync {
    /// Open work on live assignments due strictly before `before`.
    async fn work_due_before(&self, before: OffsetDateTime) -> DomainResult<Vec<DueWork>>;
    /// Tasks not done, with an assignee, on open live assignments, due strictly before
    /// `before`.
    async fn tasks_due_before(&self, before: OffsetDateTime) -> DomainResult<Vec<DueTask>>;
}

/// Who escalated work goes to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Escalation {
    pub ops_managers: Vec<UserId>,
    pub admins: Vec<UserId>,
}

/// Reminders of both kinds, split by type so each count can be reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reminders {
    pub due_soon: Vec<NotificationDraft>,
    pub overdue: Vec<NotificationDraft>,
}

fn stamp(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

fn hours(minutes: i64) -> String {
    if minutes >= 48 * 60 {
        format!("{} days", minutes / (24 * 60))
    } else if minutes >= 60 {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    }
}

/// Who hears about overdue work at which step, by how late it is.
fn escalated(minutes_overdue: i64, escalation: &Escalation) -> Vec<(Role, &[UserId])> {
    let mut steps: Vec<(Role, &[UserId])> = Vec::new();
    if minutes_overdue >= sla::OPS_MANAGER_ESCALATION_MINUTES {
        steps.push((Role::OpsManager, &escalation.ops_managers));
    }
    if minutes_overdue >= sla::ADMIN_ESCALATION_MINUTES {
        steps.push((Role::Admin, &escalation.admins));
    }
    steps
}

/// The SLA reminders that open work calls for at `now`.
pub fn sla_reminders(work: &[DueWork], escalation: &Escalation, now: OffsetDateTime) -> Reminders {
    let mut out = Reminders::default();
    for w in work {
        let due = sla::assess(w.due_at, true, now);
        let base = |d: NotificationDraft| {
            d.with("assignment_id", w.assignment_id)
                .with("assignment_code", w.code.as_str())
        };
        match due.state {
            DueState::DueSoon => {
                let key = format!("sla-soon:{}:{}", w.assignment_id, stamp(w.due_at));
                let left = due.minutes_left.unwrap_or_default();
                let message = format!("Assignment {} is due in {}", w.code, hours(left));
                out.due_soon.extend(
                    recipients(w.people.iter().copied(), None)
                        .into_iter()
                        .map(|u| base(NotificationDraft::new(u, T::SlaDueSoon, &message, &key))),
                );
            }
            DueState::Overdue => {
                let late = due.minutes_overdue.unwrap_or_default();
                let key = format!("sla-over:{}:{}", w.assignment_id, stamp(w.due_at));
                let message = format!("Assignment {} is overdue ({})", w.code, hours(late));
                out.overdue.extend(
                    recipients(w.people.iter().copied(), None)
                        .into_iter()
                        .map(|u| base(NotificationDraft::new(u, T::SlaOverdue, &message, &key))),
                );
                for (role, users) in escalated(late, escalation) {
                    let key = format!("{key}:{}", role.as_str());
                    let message = format!(
                        "Escalated to {}: assignment {} is overdue ({})",
                        role.as_str(),
                        w.code,
                        hours(late)
                    );
                    out.overdue.extend(
                        users.iter().map(|u| {
                            base(NotificationDraft::new(*u, T::SlaOverdue, &message, &key))
                        }),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

/// The task reminders that open tasks call for at `now`.
pub fn task_reminders(
    tasks: &[DueTask],
    escalation: &Escalation,
    now: OffsetDateTime,
) -> Reminders {
    let mut out = Reminders::default();
    for t in tasks {
        let due = sla::assess(t.due_at, true, now);
        let base = |d: NotificationDraft| {
            d.with("task_id", t.task_id)
                .with("assignment_id", t.assignment_id)
                .with("assignment_code", t.code.as_str())
        };
        match due.state {
            DueState::DueSoon => {
                let key = format!("task-soon:{}:{}", t.task_id, stamp(t.due_at));
                let left = due.minutes_left.unwrap_or_default();
                let message = format!("Task due in {}: {} ({})", hours(left), t.title, t.code);
                out.due_soon.push(base(NotificationDraft::new(
                    t.assignee,
                    T::TaskDueSoon,
                    message,
                    key,
                )));
            }
            DueState::Overdue => {
                let late = due.minutes_overdue.unwrap_or_default();
                let key = format!("task-over:{}:{}", t.task_id, stamp(t.due_at));
                let message = format!("Task overdue ({}): {} ({})", hours(late), t.title, t.code);
                out.overdue.push(base(NotificationDraft::new(
                    t.assignee,
                    T::TaskOverdue,
                    &message,
                    &key,
                )));
                for (role, users) in escalated(late, escalation) {
                    let key = format!("{key}:{}", role.as_str());
                    let message = format!("Escalated to {}: {message}", role.as_str());
                    out.overdue.extend(
                        users.iter().map(|u| {
                            base(NotificationDraft::new(*u, T::TaskOverdue, &message, &key))
                        }),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

#[derive(Default)]
struct Day {
    due_today: Vec<String>,
    overdue: Vec<String>,
    tasks_today: u32,
    tasks_overdue: u32,
}

/// One DAILY_DIGEST per person with work due `today` (firm-local, which ends at
/// `end_of_today`) or overdue at `now`; nothing for people with neither.
pub fn digests(
    work: &[DueWork],
    tasks: &[DueTask],
    today: Date,
    now: OffsetDateTime,
) -> Vec<NotificationDraft> {
    let mut days: BTreeMap<UserId, Day> = BTreeMap::new();
    for w in work {
        for user in recipients(w.people.iter().copied(), None) {
            let day = days.entry(user).or_default();
            if w.due_at < now {
                day.overdue.push(w.code.clone());
            } else {
                day.due_today.push(w.code.clone());
            }
        }
    }
    for t in tasks {
        let day = days.entry(t.assignee).or_default();
        if t.due_at < now {
            day.tasks_overdue += 1;
        } else {
            day.tasks_today += 1;
        }
    }
    days.into_iter()
        .map(|(user, day)| {
            let list = |codes: &[String]| {
                let shown: Vec<&str> = codes.iter().take(5).map(String::as_str).collect();
                let more = codes.len().saturating_sub(shown.len());
                if more > 0 {
                    format!("{} and {more} more", shown.join(", "))
                } else {
                    shown.join(", ")
                }
            };
            let mut parts = Vec::new();
            if !day.due_today.is_empty() {
                parts.push(format!("due today: {}", list(&day.due_today)));
            }
            if !day.overdue.is_empty() {
                parts.push(format!("overdue: {}", list(&day.overdue)));
            }
            if day.tasks_today + day.tasks_overdue > 0 {
                parts.push(format!(
                    "tasks: {} due today, {} overdue",
                    day.tasks_today, day.tasks_overdue
                ));
            }
            NotificationDraft::new(
                user,
                T::DailyDigest,
                format!("Your day ({today}): {}", parts.join("; ")),
                format!("digest:{today}"),
            )
            .with(
                "due_today",
                i64::try_from(day.due_today.len()).unwrap_or(i64::MAX),
            )
            .with(
                "overdue",
                i64::try_from(day.overdue.len()).unwrap_or(i64::MAX),
            )
            .with("tasks_due_today", i64::from(day.tasks_today))
            .with("tasks_overdue", i64::from(day.tasks_overdue))
        })
        .collect()
}

/// Days overdue from which an invoice is escalated to ADMIN.
pub const INVOICE_ESCALATION_DAYS: i64 = 30;

/// PAYMENT_PENDING to `admins` for each invoice [`INVOICE_ESCALATION_DAYS`] or more days
/// overdue, keyed by invoice and due date.
pub fn invoices_overdue(
    overdue: &[crate::task::FollowUp],
    admins: &[UserId],
) -> Vec<NotificationDraft> {
    overdue
        .iter()
        .filter(|f| f.days_late >= INVOICE_ESCALATION_DAYS)
        .flat_map(|f| {
            let key = format!("invoice-overdue:{}:{}", f.invoice_id, f.due_date);
            let message = format!(
                "Invoice {} is {} days overdue",
                f.invoice_number, f.days_late
            );
            admins.iter().map(move |a| {
                NotificationDraft::new(*a, T::PaymentPending, &message, &key)
                    .with("invoice_id", f.invoice_id)
                    .with("assignment_id", f.assignment_id)
            })
        })
        .collect()
}
