//! The background jobs of this process: a loop per job that, on each tick, runs the job if
//! its lease in the database can be taken (so with several instances, one at a time runs
//! each job, and a dead holder's lease is taken over when it expires).

use std::time::Duration;

use zenops_domain::access::Actor;
use zenops_domain::error::{DomainError, DomainResult};
use zenops_domain::jobs::{self, JobRunner, Lease};
use zenops_domain::notification::email::{EmailPolicy, EmailSender};
use zenops_domain::notification::{DrainRun, Notifier, SweepReport};

use crate::state::AppState;

/// The jobs' timing and email rules (from configuration).
#[derive(Debug, Clone)]
pub struct JobSettings {
    pub enabled: bool,
    pub notify_every: Duration,
    pub email_every: Duration,
    pub sweep_every: Duration,
    pub follow_up_every: Duration,
    pub follow_up_overdue_days: i64,
    pub digest_hour: u8,
    pub lease: time::Duration,
    pub email: EmailPolicy,
}

/// How often the digest job looks whether the morning has come.
const DIGEST_EVERY: Duration = Duration::from_secs(600);
/// How long an on-demand run waits for a lease another run holds.
const PATIENCE: Duration = Duration::from_secs(10);

/// The workers and the runner they share.
#[derive(Clone)]
pub struct Workers {
    pub runner: JobRunner,
    pub notifier: Notifier,
    pub email: EmailSender,
    pub follow_up_overdue_days: i64,
}

impl Workers {
    /// Turns the trail into notifications (one run's worth).
    pub async fn notify(&self, lease: Lease) -> DomainResult<DrainRun> {
        self.notifier.drain_trail(&lease).await
    }

    /// Makes the follow-up tasks overdue invoices call for (the ledger's own rule), and
    /// tells ADMIN of those a month late.
    pub async fn follow_ups(&self, state: &AppState) -> DomainResult<FollowUpRun> {
        let system = Actor::system();
        let due = state
            .invoices
            .follow_ups(&system, self.follow_up_overdue_days)
            .await?;
        let escalated = self.notifier.invoices_overdue(&due).await?;
        let made = state.tasks.ensure_follow_ups(&system, due).await?;
        Ok(FollowUpRun { made, escalated })
    }

    /// Runs a job now, waiting a little for a run another instance holds.
    async fn run_now<T, F, Fut>(&self, job: &'static str, body: F) -> DomainResult<T>
    where
        T: std::fmt::Display,
        F: Fn(Lease) -> Fut,
        Fut: std::future::Future<Output = DomainResult<T>>,
    {
        let started = std::time::Instant::now();
        loop {
            if let Some(done) = self.runner.run_once(job, &body).await? {
                return Ok(done);
            }
            if started.elapsed() >= PATIENCE {
                return Err(DomainError::conflict(
                    "job_busy",
                    format!("The {job} job is running elsewhere; try again shortly"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `POST /api/notifications/sweep`: what the trail calls for first (so the answer
    /// reflects everything that happened before it), then the reminder sweeps.
    /// Only ADMIN, OPS_MANAGER and view-all roles may ask for it.
    pub async fn sweep_now(&self, actor: &Actor) -> DomainResult<SweepReport> {
        zenops_domain::notification::may_run_sweeps(actor)?;
        // Runs until the notifier has caught up (each run is bounded; a busy trail may
        // take several).
        for _ in 0..1000 {
            if !self
                .run_now(jobs::NOTIFY, |lease| self.notify(lease))
                .await?
                .more
            {
                break;
            }
        }
        self.run_now(jobs::SWEEP, |_| self.notifier.sweep()).await
    }
}

/// What a follow-up run did.
pub struct FollowUpRun {
    pub made: u64,
    pub escalated: u64,
}

impl std::fmt::Display for FollowUpRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "follow-up tasks {}, escalated to ADMIN {}",
            self.made, self.escalated
        )
    }
}

/// Starts a loop per job on the current runtime.
pub fn spawn(state: actix_web::web::Data<AppState>, settings: &JobSettings) {
    if !settings.enabled {
        return;
    }
    let every = [
        (jobs::NOTIFY, settings.notify_every),
        (jobs::EMAIL, settings.email_every),
        (jobs::SWEEP, settings.sweep_every),
        (jobs::DIGEST, DIGEST_EVERY),
        (jobs::FOLLOW_UPS, settings.follow_up_every),
    ];
    for (job, period) in every {
        let state = state.clone();
        tokio::spawn(async move {
            // The first run comes one period after start, like every other.
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let w = &state.workers;
                let ran = match job {
                    jobs::NOTIFY => w
                        .runner
                        .run_once(job, |l| w.notify(l))
                        .await
                        .map(|r| r.is_some()),
                    jobs::EMAIL => w
                        .runner
                        .run_once(job, |l| w.email.run(l.until))
                        .await
                        .map(|r| r.is_some()),
                    jobs::SWEEP => w
                        .runner
                        .run_once(job, |_| w.notifier.sweep())
                        .await
                        .map(|r| r.is_some()),
                    jobs::DIGEST => w
                        .runner
                        .run_once(job, |_| w.notifier.digest())
                        .await
                        .map(|r| r.is_some()),
                    _ => w
                        .runner
                        .run_once(job, |_| w.follow_ups(&state))
                        .await
                        .map(|r| r.is_some()),
                };
                match ran {
                    Ok(true) => crate::metrics::job_run(job, "ok"),
                    Ok(false) => crate::metrics::job_run(job, "skipped"),
                    Err(error) => {
                        crate::metrics::job_run(job, "failed");
                        tracing::warn!(job, error = %crate::error::cause_chain(&error), "background job failed");
                    }
                }
            }
        });
    }
}

/// A name for this instance as a lease holder: host, process and a random part (so two
/// instances in one process, as in tests, differ too).
pub fn holder_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let started = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("{host}:{}:{started:x}:{n}", std::process::id());
    // The column holds 120 characters (with the run's number after it); the tail is what
    // tells instances apart.
    let skip = name.chars().count().saturating_sub(100);
    name.chars().skip(skip).collect()
}
