//! The notifications scenario: how fast the notifier turns the activity trail into
//! notifications, and how long a reminder sweep takes, on the bench firm.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use reqwest::Client;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Deserialize)]
struct Job {
    job: String,
    last_started_at: Option<String>,
    last_finished_at: Option<String>,
    last_result: Option<String>,
    last_ok: Option<bool>,
    cursor: i64,
}

#[derive(Debug, Deserialize)]
struct Ready {
    jobs: Vec<Job>,
}

#[derive(Debug, Deserialize)]
struct Swept {
    assignment: SlaCounts,
    tasks: TaskCounts,
}

#[derive(Debug, Deserialize)]
struct SlaCounts {
    sla_due_soon: u64,
    sla_overdue: u64,
}

#[derive(Debug, Deserialize)]
struct TaskCounts {
    task_due_soon: u64,
    task_overdue: u64,
}

#[derive(Debug)]
pub struct Measured {
    pub events: i64,
    pub notified: u64,
    pub drain_s: f64,
    pub swept: u64,
    pub first_sweep_s: f64,
    pub second_sweep_s: f64,
}

impl Measured {
    pub fn events_per_s(&self) -> f64 {
        if self.drain_s > 0.0 {
            self.events as f64 / self.drain_s
        } else {
            0.0
        }
    }
}

async fn job(client: &Client, base: &str, name: &str) -> Result<Job> {
    let ready: Ready = client
        .get(format!("{base}/readyz"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    ready
        .jobs
        .into_iter()
        .find(|j| j.job == name)
        .with_context(|| format!("/readyz lists no {name} job"))
}

fn seconds_between(job: &Job) -> Result<f64> {
    let parse = |t: &Option<String>| -> Result<OffsetDateTime> {
        Ok(OffsetDateTime::parse(
            t.as_deref().context("job never ran")?,
            &Rfc3339,
        )?)
    };
    Ok((parse(&job.last_finished_at)? - parse(&job.last_started_at)?).as_seconds_f64())
}

pub async fn sweep(client: &Client, base: &str) -> Result<(f64, u64)> {
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/notifications/sweep"))
        // The first drains the whole trail of the bench's creates.
        .timeout(std::time::Duration::from_secs(1800))
        .json(&serde_json::json!({}))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("sweep answered {}", response.status());
    }
    let swept: Swept = response.json().await?;
    let made = swept.assignment.sla_due_soon
        + swept.assignment.sla_overdue
        + swept.tasks.task_due_soon
        + swept.tasks.task_overdue;
    Ok((started.elapsed().as_secs_f64(), made))
}

/// Drains the trail (through the sweep endpoint, which runs the notifier until it has
/// caught up, then sweeps) and sweeps again.
pub async fn measure(client: &Client, base: &str) -> Result<Measured> {
    let before = job(client, base, "notify").await?;
    let (total_s, swept) = sweep(client, base).await?;
    let notify = job(client, base, "notify").await?;
    if notify.last_ok != Some(true) {
        bail!("the notify job failed: {:?}", notify.last_result);
    }
    let sweep_job = job(client, base, "sweep").await?;
    let first_sweep_s = seconds_between(&sweep_job)?;
    let notified = count_notifications(client, base).await?;
    let (second_sweep_s, again) = sweep(client, base).await?;
    if again != 0 {
        bail!("the second sweep made {again} notifications");
    }
    Ok(Measured {
        events: notify.cursor - before.cursor,
        notified: notified.saturating_sub(swept),
        // The notifier's runs are the request's time less the sweep's.
        drain_s: (total_s - first_sweep_s).max(0.0),
        swept,
        first_sweep_s,
        second_sweep_s,
    })
}

/// All notifications so far: the unread counts of every demo user (nothing is read
/// during the bench), summed.
async fn count_notifications(client: &Client, base: &str) -> Result<u64> {
    #[derive(Deserialize)]
    struct Count {
        total: u64,
    }
    let mut total = 0;
    for email in [
        "admin@zenops.local",
        "ops@zenops.local",
        "hr@zenops.local",
        "finance@zenops.local",
        "assistant@zenops.local",
        "field@zenops.local",
        "employee@zenops.local",
    ] {
        let token = crate::api::login_as(client, base, email).await?;
        let count: Count = client
            .get(format!("{base}/api/notifications/unread-count"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        total += count.total;
    }
    Ok(total)
}
