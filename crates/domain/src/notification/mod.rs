//! Notifications: one row per recipient, made from what the other modules already write.
//!
//! Every change writes its activity-trail entries in its own transaction; a worker reads the
//! trail after a stored cursor and turns entries into notifications ([`triggers`]), and the
//! sweeps turn due and overdue work into reminders ([`sweep`]). Each notification carries a
//! key, unique per recipient, so whatever is run twice (a re-read entry, two instances
//! sweeping at once) makes it once. Nobody is told about their own action.
//!
//! Email follows from the notification: a delivery row is written with it when the type
//! and the recipient's preferences call for one, and the email job sends it ([`email`]).

pub mod email;
mod service;
pub mod sweep;
#[cfg(test)]
mod tests;
pub mod triggers;

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::Role;
use crate::activity::PayloadValue;
use crate::error::DomainResult;
use crate::named::named_enum;
use crate::user::UserId;

pub use service::{DrainRun, NotificationService, Notifier, SweepReport, may_run_sweeps};

named_enum!(
    /// What a notification is about.
    NotificationType, "notification type" {
        AssignmentAssigned => "ASSIGNMENT_ASSIGNED",
        AssignmentReassigned => "ASSIGNMENT_REASSIGNED",
        MissingDoc => "MISSING_DOC",
        SlaDueSoon => "SLA_DUE_SOON",
        SlaOverdue => "SLA_OVERDUE",
        TaskAssigned => "TASK_ASSIGNED",
        TaskUpdated => "TASK_UPDATED",
        TaskDueSoon => "TASK_DUE_SOON",
        TaskOverdue => "TASK_OVERDUE",
        Mention => "MENTION",
        ApprovalPending => "APPROVAL_PENDING",
        ApprovalApproved => "APPROVAL_APPROVED",
        ApprovalRejected => "APPROVAL_REJECTED",
        LeaveApproved => "LEAVE_APPROVED",
        LeaveRejected => "LEAVE_REJECTED",
        PaymentPending => "PAYMENT_PENDING",
        PaymentReceived => "PAYMENT_RECEIVED",
        DailyDigest => "DAILY_DIGEST",
    }
);

impl NotificationType {
    /// Whether this type is emailed to someone who has not said otherwise: what asks for
    /// action or is addressed to one person. Routine updates stay in the app.
    pub fn emailed_by_default(self) -> bool {
        !matches!(
            self,
            Self::TaskUpdated | Self::SlaDueSoon | Self::TaskDueSoon | Self::MissingDoc
        )
    }
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub user_id: UserId,
    pub kind: NotificationType,
    pub message: String,
    /// A JSON object: the ids the frontend links and groups by.
    pub payload_json: String,
    pub read_at: Option<OffsetDateTime>,
    pub snoozed_until: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A notification to make, unless its recipient already has one with the same key.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationDraft {
    pub user: UserId,
    pub kind: NotificationType,
    pub message: String,
    pub payload: Vec<(&'static str, PayloadValue)>,
    /// Unique per recipient: the source event (`trail:{id}`) or the due work and its
    /// due time for reminders, so repeats are made once.
    pub key: String,
    /// Whether an email goes with it (decided from the type and the recipient's
    /// preferences before it is stored).
    pub email: bool,
}

impl NotificationDraft {
    pub fn new(
        user: UserId,
        kind: NotificationType,
        message: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        Self {
            user,
            kind,
            message: message.into(),
            payload: Vec::new(),
            key: key.into(),
            email: false,
        }
    }

    pub fn with(mut self, key: &'static str, value: impl Into<PayloadValue>) -> Self {
        self.payload.push((key, value.into()));
        self
    }
}

/// Default and largest page of the list.
pub const LIST_DEFAULT: u64 = 100;
pub const LIST_CAP: u64 = 500;

/// What the list shows (always the caller's own, newest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationFilter {
    pub unread_only: bool,
    /// Snoozed ones are hidden unless asked for.
    pub include_snoozed: bool,
    pub kind: Option<NotificationType>,
    /// A case-insensitive substring of the message.
    pub search: Option<String>,
    pub created_from: Option<OffsetDateTime>,
    pub created_to: Option<OffsetDateTime>,
    pub limit: u64,
}

/// Unread, unsnoozed notifications, in all and per type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnreadCount {
    pub total: u64,
    pub by_type: Vec<(NotificationType, u64)>,
}

/// How long to snooze, as the Notifications page and v1 ask for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnoozeRequest {
    pub ids: Vec<i64>,
    pub minutes: Option<i64>,
    pub until: Option<OffsetDateTime>,
    /// Wake them now.
    pub clear: bool,
}

/// Snoozes last at most this long.
pub const SNOOZE_MAX_MINUTES: i64 = 60 * 24 * 90;
/// At most this many notifications in one snooze.
pub const SNOOZE_MAX_IDS: usize = 500;

/// A person's email settings: on by default; off overall or per type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub email_enabled: bool,
    /// Types emailed or not against their default.
    pub per_type: Vec<(NotificationType, bool)>,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            email_enabled: true,
            per_type: Vec::new(),
        }
    }
}

impl Preferences {
    /// Whether a notification of this type is emailed to this person.
    pub fn emails(&self, kind: NotificationType) -> bool {
        self.email_enabled
            && self
                .per_type
                .iter()
                .find(|(t, _)| *t == kind)
                .map_or(kind.emailed_by_default(), |(_, on)| *on)
    }
}

/// One email's record in the delivery log.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub notification_id: i64,
    pub user_id: UserId,
    pub kind: NotificationType,
    pub channel: &'static str,
    pub status: email::DeliveryStatus,
    pub attempts: i32,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_attempt_at: Option<OffsetDateTime>,
    pub sent_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryFilter {
    pub user_id: Option<UserId>,
    pub status: Option<email::DeliveryStatus>,
    pub kind: Option<NotificationType>,
    pub created_from: Option<OffsetDateTime>,
    pub created_to: Option<OffsetDateTime>,
    pub limit: u64,
}

/// The reading side, and what a person does with their own notifications.
#[async_trait]
pub trait NotificationRepository: Send + Sync {
    async fn list(
        &self,
        user: UserId,
        filter: &NotificationFilter,
        now: OffsetDateTime,
    ) -> DomainResult<Vec<Notification>>;
    async fn unread(&self, user: UserId, now: OffsetDateTime) -> DomainResult<UnreadCount>;
    /// Marks one of the user's notifications read (kept as it was if already read);
    /// `NotFound` for anyone else's.
    async fn mark_read(
        &self,
        user: UserId,
        id: i64,
        now: OffsetDateTime,
    ) -> DomainResult<Notification>;
    async fn mark_all_read(&self, user: UserId, now: OffsetDateTime) -> DomainResult<u64>;
    /// Sets (or clears, with `None`) the snooze of those of `ids` that are the user's.
    async fn snooze(
        &self,
        user: UserId,
        ids: &[i64],
        until: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> DomainResult<u64>;
    async fn preferences(&self, user: UserId) -> DomainResult<Preferences>;
    async fn set_preferences(
        &self,
        user: UserId,
        preferences: &Preferences,
        now: OffsetDateTime,
    ) -> DomainResult<()>;
    async fn deliveries(&self, filter: &DeliveryFilter) -> DomainResult<Vec<Delivery>>;
}

/// One entry of the activity trail, as the notifier reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailEvent {
    pub id: i64,
    pub kind: String,
    pub actor: Option<UserId>,
    pub assignment_id: Option<i64>,
    pub message: Option<String>,
    pub at: OffsetDateTime,
    pub fields: Vec<(String, PayloadValue)>,
}

impl TrailEvent {
    fn field(&self, key: &str) -> Option<&PayloadValue> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn int(&self, key: &str) -> Option<i64> {
        match self.field(key)? {
            PayloadValue::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        match self.field(key)? {
            PayloadValue::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn ints(&self, key: &str) -> Vec<i64> {
        match self.field(key) {
            Some(PayloadValue::Ints(list)) => list.clone(),
            Some(PayloadValue::Int(n)) => vec![*n],
            _ => Vec::new(),
        }
    }
}

/// The people on an assignment, as notifications address them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct People {
    pub code: String,
    pub primary: Option<UserId>,
    /// The primary assignee first, then the others, each once.
    pub everyone: Vec<UserId>,
}

/// Who is who, for working out recipients.
#[async_trait]
pub trait Audience: Send + Sync {
    /// The people on a live assignment; `None` when it is gone.
    async fn people_on(&self, assignment_id: i64) -> DomainResult<Option<People>>;
    /// The people on each of these live assignments (gone ones are left out); adapters
    /// answer it in one go.
    async fn people_of(&self, assignment_ids: &[i64]) -> DomainResult<HashMap<i64, People>> {
        let mut out = HashMap::new();
        for id in assignment_ids {
            if let Some(people) = self.people_on(*id).await? {
                out.insert(*id, people);
            }
        }
        Ok(out)
    }
    /// Active users holding any of `roles`, by id.
    async fn active_with_roles(&self, roles: &[Role]) -> DomainResult<Vec<UserId>>;
}

/// Where the notifier resumes: the trail cursor held under the notifier's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorMove {
    pub job: &'static str,
    pub holder: String,
    pub to: i64,
}

/// The writing side the workers use.
#[async_trait]
pub trait NotificationOutbox: Send + Sync {
    /// Trail entries with an id above `cursor`, oldest first.
    async fn trail_after(&self, cursor: i64, limit: u64) -> DomainResult<Vec<TrailEvent>>;
    /// The preferences of each of `users` that has stored some.
    async fn preferences_of(&self, users: &[UserId]) -> DomainResult<HashMap<UserId, Preferences>>;
    /// Stores the drafts (each once per recipient and key) with their email deliveries,
    /// marks read the unread APPROVAL_PENDING notifications whose key is in `settled`,
    /// and, in the same transaction, moves the cursor if given — only while `holder`
    /// still holds the job's lease (`Conflict("lease_lost")` otherwise, nothing stored).
    /// Returns how many notifications are new.
    async fn store(
        &self,
        drafts: &[NotificationDraft],
        settled: &[String],
        cursor: Option<&CursorMove>,
        now: OffsetDateTime,
    ) -> DomainResult<u64>;
}

/// Recipients of a change: everyone named, each once, without the person who acted.
pub fn recipients(people: impl IntoIterator<Item = UserId>, actor: Option<UserId>) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    for user in people {
        if Some(user) != actor && !out.contains(&user) {
            out.push(user);
        }
    }
    out
}
