//! Email: which notifications are emailed, and how a waiting email is sent, retried,
//! capped or given up on.
//!
//! A delivery row (PENDING) is written with its notification when the recipient's
//! preferences call for email. The email job claims due rows (SENDING, under the job's
//! lease), sends each through the [`Mailer`] and settles it: SENT (or LOGGED when no SMTP
//! server is configured); on a refusal, PENDING again after a backoff that grows fivefold
//! per attempt, FAILED after the last attempt or on a permanent refusal; SKIPPED when the
//! person already had their daily number of emails or has no address.

use std::collections::HashMap;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::error::DomainResult;
use crate::named::named_enum;
use crate::sla::FirmZone;
use crate::user::UserId;

use super::NotificationType;

named_enum!(
    /// Where an email stands.
    DeliveryStatus, "delivery status" {
        Pending => "PENDING",
        Sending => "SENDING",
        Sent => "SENT",
        Logged => "LOGGED",
        Failed => "FAILED",
        Skipped => "SKIPPED",
    }
);

/// How emails are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailPolicy {
    /// Attempts before an email is FAILED.
    pub max_attempts: i32,
    /// The wait after the first refusal; each further one waits five times longer.
    pub retry_after: Duration,
    /// Emails per person per firm-local day; more are SKIPPED.
    pub daily_cap: u64,
    /// Emails claimed per run.
    pub batch: u64,
}

impl Default for EmailPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            retry_after: Duration::minutes(1),
            daily_cap: 20,
            batch: 50,
        }
    }
}

impl EmailPolicy {
    /// The wait before the next attempt after `attempts` attempts failed.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let steps = u32::try_from(attempts.saturating_sub(1).clamp(0, 6)).unwrap_or(0);
        self.retry_after * 5_i32.pow(steps)
    }
}

/// An email waiting to be sent, as claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEmail {
    pub delivery_id: i64,
    pub user_id: UserId,
    /// The recipient's address and name (empty when they have none).
    pub to: String,
    pub name: String,
    pub kind: NotificationType,
    pub message: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// What goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub kind: NotificationType,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Handed to the SMTP server, with its queue id if it gave one.
    Delivered(Option<String>),
    /// No SMTP server is configured: written to the log only.
    Logged,
}

/// Why an email did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailError {
    /// The server refused it for good (a 5xx); retrying will not help.
    pub permanent: bool,
    pub reason: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<Sent, MailError>;
}

/// How a claimed email ends its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Sent(Sent),
    Retry { at: OffsetDateTime, error: String },
    Failed(String),
    Skipped(String),
}

#[async_trait]
pub trait EmailOutbox: Send + Sync {
    /// Claims up to `limit` emails due at `now` (PENDING and due, or SENDING whose claim
    /// ran out), marking them SENDING until `until`.
    async fn claim(
        &self,
        now: OffsetDateTime,
        until: OffsetDateTime,
        limit: u64,
    ) -> DomainResult<Vec<OutgoingEmail>>;
    /// Emails sent (or logged) to each of `users` since `since`.
    async fn sent_since(
        &self,
        users: &[UserId],
        since: OffsetDateTime,
    ) -> DomainResult<HashMap<UserId, u64>>;
    /// Records how a claimed email ended, if the claim (SENDING until `claimed_until`) is
    /// still this run's; false when it was taken over meanwhile.
    async fn settle(
        &self,
        delivery_id: i64,
        claimed_until: OffsetDateTime,
        settlement: &Settlement,
        now: OffsetDateTime,
    ) -> DomainResult<bool>;
}

/// The longest one email may take to send (the SMTP client's timeout is shorter); a run
/// stops sending once less than this is left of its lease, and the claims it did not get
/// to run out with the lease, for the next run.
pub const SEND_ALLOWANCE: Duration = Duration::seconds(30);

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailRun {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl std::fmt::Display for EmailRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sent {}, retrying {}, failed {}, skipped {}",
            self.sent, self.retrying, self.failed, self.skipped
        )
    }
}

/// The subject line of a notification's email.
pub fn subject(kind: NotificationType, message: &str) -> String {
    let mut line: String = message
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if kind == NotificationType::DailyDigest {
        line = "Your day in Zen Ops".to_owned();
    }
    format!("[Zen Ops] {line}")
}

/// Decides how a refused attempt ends.
pub fn after_refusal(
    policy: &EmailPolicy,
    attempts_before: i32,
    error: MailError,
    now: OffsetDateTime,
) -> Settlement {
    let attempts = attempts_before.saturating_add(1);
    if error.permanent || attempts >= policy.max_attempts {
        Settlement::Failed(error.reason)
    } else {
        Settlement::Retry {
            at: now + policy.backoff(attempts),
            error: error.reason,
        }
    }
}

/// Sends the emails that are due.
#[derive(Clone)]
pub struct EmailSender {
    outbox: std::sync::Arc<dyn EmailOutbox>,
    mailer: std::sync::Arc<dyn Mailer>,
    policy: EmailPolicy,
    clock: std::sync::Arc<dyn Clock>,
    zone: FirmZone,
}

impl EmailSender {
    pub fn new(
        outbox: std::sync::Arc<dyn EmailOutbox>,
        mailer: std::sync::Arc<dyn Mailer>,
        policy: EmailPolicy,
        clock: std::sync::Arc<dyn Clock>,
        zone: FirmZone,
    ) -> Self {
        Self {
            outbox,
            mailer,
            policy,
            clock,
            zone,
        }
    }

    /// Claims and sends one batch; the lease `until` bounds the claim.
    pub async fn run(&self, until: OffsetDateTime) -> DomainResult<EmailRun> {
        let now = self.clock.now();
        let claimed = self.outbox.claim(now, until, self.policy.batch).await?;
        let mut run = EmailRun::default();
        if claimed.is_empty() {
            return Ok(run);
        }
        let today = self.zone.local_date(now);
        let day_start = self.zone.at_local(today, time::Time::MIDNIGHT);
        let users: Vec<UserId> = claimed.iter().map(|e| e.user_id).collect();
        let mut sent_today = self.outbox.sent_since(&users, day_start).await?;
        for email in claimed {
            if self.clock.now() + SEND_ALLOWANCE > until {
                break;
            }
            let count = sent_today.entry(email.user_id).or_default();
            let settlement = if email.to.trim().is_empty() {
                Settlement::Skipped("no email address".into())
            } else if *count >= self.policy.daily_cap {
                Settlement::Skipped(format!(
                    "daily limit of {} emails reached",
                    self.policy.daily_cap
                ))
            } else {
                let outgoing = Email {
                    to: email.to.clone(),
                    to_name: email.name.clone(),
                    subject: subject(email.kind, &email.message),
                    kind: email.kind,
                    message: email.message.clone(),
                };
                match self.mailer.send(&outgoing).await {
                    Ok(sent) => {
                        *count += 1;
                        Settlement::Sent(sent)
                    }
                    Err(error) => after_refusal(&self.policy, email.attempts, error, now),
                }
            };
            match &settlement {
                Settlement::Sent(_) => run.sent += 1,
                Settlement::Retry { .. } => run.retrying += 1,
                Settlement::Failed(_) => run.failed += 1,
                Settlement::Skipped(_) => run.skipped += 1,
            }
            self.outbox
                .settle(email.delivery_id, until, &settlement, self.clock.now())
                .await?;
        }
        Ok(run)
    }
}
