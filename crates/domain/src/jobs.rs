//! Background jobs and their leases.
//!
//! Every instance of the server runs the same job loops; before a run, an instance takes
//! the job's lease in the database (a row per job: holder and expiry). A lease is taken
//! when there is none, when it has expired, or when the taker already holds it; it is
//! given back when the run ends. A holder that dies keeps it only until it expires, so
//! another instance takes over. The lease row also keeps the job's cursor (where the
//! notifier has read the trail to) and when it last ran, for `/readyz`.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::error::DomainResult;

/// Turns the activity trail into notifications.
pub const NOTIFY: &str = "notify";
/// SLA and task reminders.
pub const SWEEP: &str = "sweep";
/// Sends the emails waiting in the delivery log.
pub const EMAIL: &str = "email";
/// The morning summary per person.
pub const DIGEST: &str = "digest";
/// Follow-up tasks for overdue invoices.
pub const FOLLOW_UPS: &str = "invoice-follow-ups";

pub const ALL: [&str; 5] = [NOTIFY, SWEEP, EMAIL, DIGEST, FOLLOW_UPS];

/// A lease as it stands in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub holder: Option<String>,
    pub until: Option<OffsetDateTime>,
}

/// Whether `holder` may take a lease that stands as `current` at `now`.
pub fn may_take(current: &LeaseRow, holder: &str, now: OffsetDateTime) -> bool {
    match (&current.holder, current.until) {
        (None, _) | (_, None) => true,
        (Some(h), _) if h == holder => true,
        (Some(_), Some(until)) => until <= now,
    }
}

/// A lease held for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job: &'static str,
    pub holder: String,
    pub until: OffsetDateTime,
    /// The job's stored cursor (0 when it never stored one).
    pub cursor: i64,
}

/// When a job last ran, for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub job: String,
    pub holder: Option<String>,
    pub lease_until: Option<OffsetDateTime>,
    pub last_started_at: Option<OffsetDateTime>,
    pub last_finished_at: Option<OffsetDateTime>,
    /// The last run's outcome: a short summary, or the error.
    pub last_result: Option<String>,
    pub last_ok: Option<bool>,
    pub runs: i64,
    pub cursor: i64,
}

#[async_trait]
pub trait JobLeases: Send + Sync {
    /// Takes the job's lease for `holder` until `until` if [`may_take`] allows it, in one
    /// conditional write; `None` when someone else holds it.
    async fn acquire(
        &self,
        job: &'static str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> DomainResult<Option<Lease>>;
    /// Gives the lease back (if still held) and records the run's outcome.
    async fn release(
        &self,
        lease: &Lease,
        now: OffsetDateTime,
        outcome: Result<String, String>,
    ) -> DomainResult<()>;
    async fn status(&self) -> DomainResult<Vec<JobStatus>>;
}

/// How long a run may hold its lease before others may take the job over.
pub const DEFAULT_LEASE: Duration = Duration::seconds(120);

/// Runs jobs under their leases.
#[derive(Clone)]
pub struct JobRunner {
    leases: std::sync::Arc<dyn JobLeases>,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    /// This instance, as lease holders are named.
    holder: String,
    lease: Duration,
    /// Numbers this instance's runs: each run holds the lease under its own name, so two
    /// runs in one instance (a timer's and an on-demand one) exclude each other too.
    runs: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl JobRunner {
    pub fn new(
        leases: std::sync::Arc<dyn JobLeases>,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
        holder: String,
        lease: Duration,
    ) -> Self {
        Self {
            leases,
            clock,
            holder,
            lease,
            runs: std::sync::Arc::default(),
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Runs `body` if the job's lease can be taken now, gives the lease back and records
    /// the outcome; `None` when another holder has it.
    pub async fn run_once<T, F, Fut>(&self, job: &'static str, body: F) -> DomainResult<Option<T>>
    where
        T: std::fmt::Display,
        F: FnOnce(Lease) -> Fut,
        Fut: std::future::Future<Output = DomainResult<T>>,
    {
        let now = self.clock.now();
        let run = self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let holder = format!("{}#{run}", self.holder);
        let Some(lease) = self
            .leases
            .acquire(job, &holder, now, now + self.lease)
            .await?
        else {
            return Ok(None);
        };
        let result = body(lease.clone()).await;
        let outcome = match &result {
            Ok(done) => Ok(done.to_string()),
            Err(error) => Err(error.to_string()),
        };
        self.leases
            .release(&lease, self.clock.now(), outcome)
            .await?;
        result.map(Some)
    }

    pub async fn status(&self) -> DomainResult<Vec<JobStatus>> {
        self.leases.status().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use time::macros::datetime;

    use super::*;
    use crate::clock::FixedClock;

    /// Leases in memory, with the same rule as the database's conditional write.
    #[derive(Default)]
    struct MemoryLeases(Mutex<Vec<(String, LeaseRow, Option<String>)>>);

    #[async_trait]
    impl JobLeases for MemoryLeases {
        async fn acquire(
            &self,
            job: &'static str,
            holder: &str,
            now: OffsetDateTime,
            until: OffsetDateTime,
        ) -> DomainResult<Option<Lease>> {
            let mut rows = self.0.lock().unwrap();
            if !rows.iter().any(|(j, _, _)| j == job) {
                rows.push((
                    job.into(),
                    LeaseRow {
                        holder: None,
                        until: None,
                    },
                    None,
                ));
            }
            let row = rows.iter_mut().find(|(j, _, _)| j == job).unwrap();
            if !may_take(&row.1, holder, now) {
                return Ok(None);
            }
            row.1 = LeaseRow {
                holder: Some(holder.into()),
                until: Some(until),
            };
            Ok(Some(Lease {
                job,
                holder: holder.into(),
                until,
                cursor: 0,
            }))
        }

        async fn release(
            &self,
            lease: &Lease,
            _now: OffsetDateTime,
            outcome: Result<String, String>,
        ) -> DomainResult<()> {
            let mut rows = self.0.lock().unwrap();
            let row = rows.iter_mut().find(|(j, _, _)| j == lease.job).unwrap();
            if row.1.holder.as_deref() == Some(lease.holder.as_str()) {
                row.1 = LeaseRow {
                    holder: None,
                    until: None,
                };
            }
            row.2 = Some(match outcome {
                Ok(s) => s,
                Err(e) => format!("error: {e}"),
            });
            Ok(())
        }

        async fn status(&self) -> DomainResult<Vec<JobStatus>> {
            Ok(vec![])
        }
    }

    const NOW: OffsetDateTime = datetime!(2026-03-10 06:00 UTC);

    #[tokio::test]
    async fn one_holder_at_a_time_and_a_dead_holders_lease_is_taken_over_once_expired() {
        let leases = Arc::new(MemoryLeases::default());
        let runner = |holder: &str, at: OffsetDateTime| {
            JobRunner::new(
                leases.clone(),
                Arc::new(FixedClock(at)),
                holder.into(),
                Duration::seconds(60),
            )
        };
        // A holder that died mid-run: its lease stands until it expires.
        leases
            .acquire(SWEEP, "dead", NOW, NOW + Duration::seconds(60))
            .await
            .unwrap()
            .unwrap();
        let ran = runner("b", NOW + Duration::seconds(59))
            .run_once(SWEEP, |_| async { Ok::<_, crate::DomainError>(1) })
            .await
            .unwrap();
        assert_eq!(ran, None);
        let ran = runner("b", NOW + Duration::seconds(60))
            .run_once(SWEEP, |_| async { Ok::<_, crate::DomainError>(2) })
            .await
            .unwrap();
        assert_eq!(ran, Some(2));
        // Given back after the run, with its outcome; a failure is recorded too.
        let ran = runner("c", NOW + Duration::seconds(61))
            .run_once(SWEEP, |_| async {
                Err::<u8, _>(crate::DomainError::unexpected("db down"))
            })
            .await;
        assert!(ran.is_err());
        let rows = leases.0.lock().unwrap();
        assert_eq!(rows[0].1.holder, None);
        assert!(rows[0].2.as_deref().unwrap().contains("db down"));
    }
}
