//! The notification services: what a person does with their own notifications, and the
//! workers that make them.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::access::{Actor, Capability, Role};
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::jobs::Lease;
use crate::sla::FirmZone;
use crate::user::UserId;

use super::sweep::{self, Escalation, SweepSource};
use super::{
    Audience, CursorMove, Delivery, DeliveryFilter, Notification, NotificationDraft,
    NotificationFilter, NotificationOutbox, NotificationRepository, Preferences, SNOOZE_MAX_IDS,
    SNOOZE_MAX_MINUTES, SnoozeRequest, UnreadCount, triggers,
};

/// A person's own notifications.
#[derive(Clone)]
pub struct NotificationService {
    repo: Arc<dyn NotificationRepository>,
    clock: Arc<dyn Clock>,
}

impl NotificationService {
    pub fn new(repo: Arc<dyn NotificationRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    pub async fn list(
        &self,
        actor: &Actor,
        filter: &NotificationFilter,
    ) -> DomainResult<Vec<Notification>> {
        self.repo
            .list(actor.user_id, filter, self.clock.now())
            .await
    }

    pub async fn unread(&self, actor: &Actor) -> DomainResult<UnreadCount> {
        self.repo.unread(actor.user_id, self.clock.now()).await
    }

    pub async fn mark_read(&self, actor: &Actor, id: i64) -> DomainResult<Notification> {
        self.repo
            .mark_read(actor.user_id, id, self.clock.now())
            .await
    }

    pub async fn mark_all_read(&self, actor: &Actor) -> DomainResult<u64> {
        self.repo
            .mark_all_read(actor.user_id, self.clock.now())
            .await
    }

    /// Snoozes the caller's notifications: for `minutes` (60 when nothing is given), until
    /// an instant, or not at all (`clear`). Returns how many changed and the instant.
    pub async fn snooze(
        &self,
        actor: &Actor,
        request: &SnoozeRequest,
    ) -> DomainResult<(u64, Option<OffsetDateTime>)> {
        let now = self.clock.now();
        let mut e = FieldErrors::new();
        if request.ids.is_empty() {
            e.add("notification_ids", "notification_ids required");
        }
        if request.ids.len() > SNOOZE_MAX_IDS {
            e.add(
                "notification_ids",
                format!("at most {SNOOZE_MAX_IDS} at once"),
            );
        }
        let until = if request.clear {
            None
        } else if let Some(until) = request.until {
            if until <= now {
                e.add("snooze_until", "snooze_until must be in the future");
            } else if until > now + Duration::minutes(SNOOZE_MAX_MINUTES) {
                e.add("snooze_until", "at most 90 days ahead");
            }
            Some(until)
        } else {
            let minutes = request.minutes.unwrap_or(60);
            if !(1..=SNOOZE_MAX_MINUTES).contains(&minutes) {
                e.add(
                    "snooze_minutes",
                    format!("must be between 1 and {SNOOZE_MAX_MINUTES}"),
                );
            }
            Some(now + Duration::minutes(minutes.clamp(1, SNOOZE_MAX_MINUTES)))
        };
        e.into_result()?;
        let updated = self
            .repo
            .snooze(actor.user_id, &request.ids, until, now)
            .await?;
        if updated == 0 {
            return Err(DomainError::NotFound("Notification"));
        }
        Ok((updated, until))
    }

    pub async fn preferences(&self, actor: &Actor) -> DomainResult<Preferences> {
        self.repo.preferences(actor.user_id).await
    }

    pub async fn set_preferences(
        &self,
        actor: &Actor,
        preferences: &Preferences,
    ) -> DomainResult<Preferences> {
        self.repo
            .set_preferences(actor.user_id, preferences, self.clock.now())
            .await?;
        self.repo.preferences(actor.user_id).await
    }

    /// The delivery log: for those who run the firm's work.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        filter: &DeliveryFilter,
    ) -> DomainResult<Vec<Delivery>> {
        may_run_sweeps(actor)?;
        self.repo.deliveries(filter).await
    }
}

/// ADMIN, OPS_MANAGER and view-all roles may run the sweeps and read the delivery log.
pub fn may_run_sweeps(actor: &Actor) -> DomainResult<()> {
    if actor.has_role(Role::Admin)
        || actor.has_role(Role::OpsManager)
        || actor.can(Capability::ViewAllAssignments)
    {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "Only operations may run sweeps or read deliveries".into(),
        ))
    }
}

/// What a sweep made (new notifications of each type).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub at: Option<OffsetDateTime>,
    pub sla_due_soon: u64,
    pub sla_overdue: u64,
    pub task_due_soon: u64,
    pub task_overdue: u64,
}

impl std::fmt::Display for SweepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sla due soon {}, sla overdue {}, task due soon {}, task overdue {}",
            self.sla_due_soon, self.sla_overdue, self.task_due_soon, self.task_overdue
        )
    }
}

/// What one notifier run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainRun {
    /// New notifications.
    pub made: u64,
    /// It stopped at its limit: the trail may hold more after the cursor.
    pub more: bool,
}

impl std::fmt::Display for DrainRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.made)
    }
}

/// Trail entries read per batch, and batches per run (a run stays well inside its lease;
/// the next run goes on from the cursor).
pub const TRAIL_BATCH: u64 = 500;
pub const TRAIL_BATCHES_PER_RUN: usize = 20;
/// How long a hole in the trail's ids is waited for: an id is taken when a transaction
/// writes its entry and becomes visible when it commits, so a later id can be seen first.
/// A hole this process has seen for this long is a transaction that rolled back. (Timed by
/// this process's own clock, so clocks that differ between instances cannot cut it short.)
pub const TRAIL_GAP_WAIT: Duration = Duration::seconds(120);

/// Makes notifications: from the trail, from due work, and the morning digest.
#[derive(Clone)]
pub struct Notifier {
    outbox: Arc<dyn NotificationOutbox>,
    audience: Arc<dyn Audience>,
    source: Arc<dyn SweepSource>,
    clock: Arc<dyn Clock>,
    zone: FirmZone,
    /// The firm-local hour from which the digest is made.
    digest_hour: u8,
    /// The first trail id missing after the cursor, and when this process first saw it
    /// missing.
    hole: Arc<std::sync::Mutex<Option<(i64, OffsetDateTime)>>>,
}

impl Notifier {
    pub fn new(
        outbox: Arc<dyn NotificationOutbox>,
        audience: Arc<dyn Audience>,
        source: Arc<dyn SweepSource>,
        clock: Arc<dyn Clock>,
        zone: FirmZone,
        digest_hour: u8,
    ) -> Self {
        Self {
            outbox,
            audience,
            source,
            clock,
            zone,
            digest_hour,
            hole: Arc::default(),
        }
    }

    /// Whether the missing id `missing` has been missing for [`TRAIL_GAP_WAIT`] as this
    /// process has seen it.
    fn hole_is_old(&self, missing: i64, now: OffsetDateTime) -> bool {
        let mut hole = self
            .hole
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *hole {
            Some((id, since)) if id == missing => now - since >= TRAIL_GAP_WAIT,
            _ => {
                *hole = Some((missing, now));
                false
            }
        }
    }

    /// Decides which drafts go by email, from each recipient's preferences.
    async fn with_email(
        &self,
        mut drafts: Vec<NotificationDraft>,
    ) -> DomainResult<Vec<NotificationDraft>> {
        let mut users: Vec<UserId> = drafts.iter().map(|d| d.user).collect();
        users.sort();
        users.dedup();
        let preferences = self.outbox.preferences_of(&users).await?;
        for draft in &mut drafts {
            draft.email = preferences
                .get(&draft.user)
                .cloned()
                .unwrap_or_default()
                .emails(draft.kind);
        }
        Ok(drafts)
    }

    /// Reads the trail after the lease's cursor and stores what it calls for, moving the
    /// cursor with each batch in the same transaction.
    pub async fn drain_trail(&self, lease: &Lease) -> DomainResult<DrainRun> {
        let mut cursor = lease.cursor;
        let mut made = 0;
        for _ in 0..TRAIL_BATCHES_PER_RUN {
            let batch = self.outbox.trail_after(cursor, TRAIL_BATCH).await?;
            let Some(last) = batch.last() else { break };
            let last_id = last.id;
            let now = self.clock.now();
            // The cursor moves over entries with no hole before them, and over holes seen
            // for longer than the wait; entries past a younger hole are handled now and
            // again next time (their keys make the second time a no-op).
            let mut next = cursor;
            for event in &batch {
                if event.id == next + 1 || self.hole_is_old(next + 1, now) {
                    next = event.id;
                } else {
                    break;
                }
            }
            // Entries of one batch often concern the same assignment (its creation and
            // the tasks its templates made): each is looked up once per batch.
            let audience = Remembered::new(self.audience.as_ref());
            let mut ids: Vec<i64> = batch.iter().filter_map(|e| e.assignment_id).collect();
            ids.sort_unstable();
            ids.dedup();
            audience.prefetch(&ids).await?;
            let mut drafts = Vec::new();
            let mut settled = Vec::new();
            for event in &batch {
                drafts.extend(triggers::plan(event, &audience).await?);
                settled.extend(triggers::settles(event));
            }
            let drafts = self.with_email(drafts).await?;
            let advance = CursorMove {
                job: lease.job,
                holder: lease.holder.clone(),
                to: next,
            };
            made += self
                .outbox
                .store(&drafts, &settled, Some(&advance), now)
                .await?;
            let full = u64::try_from(batch.len()).unwrap_or(u64::MAX) >= TRAIL_BATCH;
            if next == cursor || !full || next < last_id {
                return Ok(DrainRun { made, more: false });
            }
            cursor = next;
        }
        // Stopped at the run's limit with full batches: there may be more.
        Ok(DrainRun { made, more: true })
    }

    async fn escalation(&self) -> DomainResult<Escalation> {
        Ok(Escalation {
            ops_managers: self.audience.active_with_roles(&[Role::OpsManager]).await?,
            admins: self.audience.active_with_roles(&[Role::Admin]).await?,
        })
    }

    async fn store(
        &self,
        drafts: Vec<NotificationDraft>,
        now: OffsetDateTime,
    ) -> DomainResult<u64> {
        if drafts.is_empty() {
            return Ok(0);
        }
        let drafts = self.with_email(drafts).await?;
        self.outbox.store(&drafts, &[], None, now).await
    }

    /// SLA and task reminders for work due soon or overdue.
    pub async fn sweep(&self) -> DomainResult<SweepReport> {
        let now = self.clock.now();
        let horizon = now + Duration::minutes(sweep::DUE_SOON_MINUTES + 1);
        let escalation = self.escalation().await?;
        let work = self.source.work_due_before(horizon).await?;
        let sla = sweep::sla_reminders(&work, &escalation, now);
        let tasks = self.source.tasks_due_before(horizon).await?;
        let task = sweep::task_reminders(&tasks, &escalation, now);
        Ok(SweepReport {
            at: Some(now),
            sla_due_soon: self.store(sla.due_soon, now).await?,
            sla_overdue: self.store(sla.overdue, now).await?,
            task_due_soon: self.store(task.due_soon, now).await?,
            task_overdue: self.store(task.overdue, now).await?,
        })
    }

    /// PAYMENT_PENDING to every active ADMIN for each invoice at least
    /// [`sweep::INVOICE_ESCALATION_DAYS`] days overdue: once per invoice and due date.
    pub async fn invoices_overdue(&self, overdue: &[crate::task::FollowUp]) -> DomainResult<u64> {
        let admins = self.audience.active_with_roles(&[Role::Admin]).await?;
        let drafts = sweep::invoices_overdue(overdue, &admins);
        self.store(drafts, self.clock.now()).await
    }

    /// The morning digest, once per person and day, from the digest hour on.
    pub async fn digest(&self) -> DomainResult<u64> {
        let now = self.clock.now();
        let local = self.zone.to_local(now);
        if local.hour() < self.digest_hour {
            return Ok(0);
        }
        let today = local.date();
        let end = self
            .zone
            .at_local(today.next_day().unwrap_or(today), time::Time::MIDNIGHT);
        let work = self.source.work_due_before(end).await?;
        let tasks = self.source.tasks_due_before(end).await?;
        self.store(sweep::digests(&work, &tasks, today, now), now)
            .await
    }
}

/// An [`Audience`] that answers each question once (for one batch of the trail).
struct Remembered<'a> {
    inner: &'a dyn Audience,
    people: std::sync::Mutex<std::collections::HashMap<i64, Option<super::People>>>,
    roles: std::sync::Mutex<std::collections::HashMap<Vec<Role>, Vec<UserId>>>,
}

impl<'a> Remembered<'a> {
    fn new(inner: &'a dyn Audience) -> Self {
        Self {
            inner,
            people: std::sync::Mutex::default(),
            roles: std::sync::Mutex::default(),
        }
    }

    /// Looks up the people of these assignments in one go.
    async fn prefetch(&self, ids: &[i64]) -> DomainResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut found = self.inner.people_of(ids).await?;
        let mut people = locked(&self.people);
        for id in ids {
            people.insert(*id, found.remove(id));
        }
        Ok(())
    }
}

fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait::async_trait]
impl Audience for Remembered<'_> {
    async fn people_on(&self, assignment_id: i64) -> DomainResult<Option<super::People>> {
        if let Some(known) = locked(&self.people).get(&assignment_id) {
            return Ok(known.clone());
        }
        let found = self.inner.people_on(assignment_id).await?;
        locked(&self.people).insert(assignment_id, found.clone());
        Ok(found)
    }

    async fn active_with_roles(&self, roles: &[Role]) -> DomainResult<Vec<UserId>> {
        if let Some(known) = locked(&self.roles).get(roles) {
            return Ok(known.clone());
        }
        let found = self.inner.active_with_roles(roles).await?;
        locked(&self.roles).insert(roles.to_vec(), found.clone());
        Ok(found)
    }
}
