//! Closed-loop load generation: N workers, each sending one request at a time, with every
//! loop bounded both in time and in count.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use reqwest::RequestBuilder;
use serde::Serialize;
use tokio::task::JoinSet;

/// Upper bound on the requests one worker sends in a timed scenario, whatever the rate.
const MAX_REQUESTS_PER_WORKER: u64 = 2_000_000;
/// Error bodies kept for the report.
const ERROR_SAMPLES: usize = 3;
/// Characters of an error body kept.
const ERROR_SAMPLE_CHARS: usize = 300;

/// Builds the next request of a timed scenario; the generator picks random ids.
pub type MakeRequest = Arc<dyn Fn(&mut StdRng) -> RequestBuilder + Send + Sync>;
/// Builds the request of the `index`-th item of a counted scenario.
pub type MakeIndexed = Arc<dyn Fn(usize) -> RequestBuilder + Send + Sync>;
/// Checks a successful body of a counted scenario: the created id, or why it is wrong.
pub type Accept = Arc<dyn Fn(&[u8]) -> std::result::Result<i64, String> + Send + Sync>;

/// What one scenario measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One entry per completed request (success or not), microseconds.
    pub latencies_us: Vec<u64>,
    pub errors: u64,
    pub error_samples: Vec<String>,
    pub elapsed: Duration,
    /// Ids of created records (the create scenario only).
    pub created_ids: Vec<i64>,
    /// The scenario hit its time limit before doing all its work (create only).
    pub timed_out: bool,
}

impl Outcome {
    fn absorb(&mut self, other: Outcome) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        for sample in other.error_samples {
            if self.error_samples.len() < ERROR_SAMPLES {
                self.error_samples.push(sample);
            }
        }
        self.created_ids.extend(other.created_ids);
        self.timed_out |= other.timed_out;
    }

    fn error(&mut self, sample: impl FnOnce() -> String) {
        self.errors += 1;
        if self.error_samples.len() < ERROR_SAMPLES {
            let mut text = sample();
            if text.chars().count() > ERROR_SAMPLE_CHARS {
                text = text.chars().take(ERROR_SAMPLE_CHARS).collect::<String>() + "…";
            }
            self.error_samples.push(text);
        }
    }

    pub fn summary(&self, name: &str, target: Option<Target>) -> Summary {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let requests = sorted.len() as u64;
        let secs = self.elapsed.as_secs_f64();
        let rps = if secs > 0.0 {
            requests as f64 / secs
        } else {
            0.0
        };
        let ms = |us: u64| us as f64 / 1000.0;
        let p50_ms = ms(percentile(&sorted, 50.0));
        let p99_ms = ms(percentile(&sorted, 99.0));
        let max_ms = ms(sorted.last().copied().unwrap_or(0));
        let verdict = target.map(|t| t.verdict(rps, p99_ms, self.errors));
        Summary {
            scenario: name.to_owned(),
            requests,
            errors: self.errors,
            elapsed_s: secs,
            rps,
            p50_ms,
            p99_ms,
            max_ms,
            target: target.map(|t| t.describe()),
            target_met: verdict,
            timed_out: self.timed_out,
            error_samples: self.error_samples.clone(),
            peak_rss_mb: None,
        }
    }
}

/// Nearest-rank percentile of sorted values; 0 for none.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A figure to compare against; printed, never asserted.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub min_rps: f64,
    pub max_p99_ms: Option<f64>,
    pub zero_errors: bool,
}

impl Target {
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("≥{} req/s", self.min_rps)];
        if let Some(p99) = self.max_p99_ms {
            parts.push(format!("p99 ≤{p99} ms"));
        }
        if self.zero_errors {
            parts.push("0 errors".to_owned());
        }
        parts.join(", ")
    }

    fn verdict(&self, rps: f64, p99_ms: f64, errors: u64) -> bool {
        rps >= self.min_rps
            && self.max_p99_ms.is_none_or(|max| p99_ms <= max)
            && (!self.zero_errors || errors == 0)
    }
}

/// One row of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub requests: u64,
    pub errors: u64,
    pub elapsed_s: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub target: Option<String>,
    pub target_met: Option<bool>,
    pub timed_out: bool,
    pub error_samples: Vec<String>,
    /// The server's peak resident memory (VmHWM) when the scenario ended, MiB.
    pub peak_rss_mb: Option<f64>,
}

/// Sends one request, reads the whole body, and records latency and status.
/// Returns the body of a successful response.
async fn exchange(request: RequestBuilder, out: &mut Outcome) -> Option<Bytes> {
    let started = Instant::now();
    let result = match request.send().await {
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(body) => Ok((status, body)),
                Err(e) => Err(format!("{status}: reading the body failed: {e}")),
            }
        }
        Err(e) => Err(format!("request failed: {e}")),
    };
    out.latencies_us
        .push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    match result {
        Ok((status, body)) if status.is_success() => Some(body),
        Ok((status, body)) => {
            out.error(|| format!("{status}: {}", String::from_utf8_lossy(&body)));
            None
        }
        Err(message) => {
            out.error(|| message);
            None
        }
    }
}

/// Runs `make` from `concurrency` workers until `duration` has passed.
pub async fn run_timed(
    concurrency: usize,
    duration: Duration,
    make: MakeRequest,
) -> Result<Outcome> {
    run_timed_each(vec![make; concurrency], duration).await
}

/// Runs one worker per maker until `duration` has passed: for scenarios whose clients
/// differ (each signing in from its own address, say).
pub async fn run_timed_each(makers: Vec<MakeRequest>, duration: Duration) -> Result<Outcome> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = JoinSet::new();
    for (worker, make) in makers.into_iter().enumerate() {
        workers.spawn(async move {
            let mut rng = StdRng::seed_from_u64(0x5eed_0000 + worker as u64);
            let mut out = Outcome::default();
            let mut sent = 0;
            while sent < MAX_REQUESTS_PER_WORKER && Instant::now() < deadline {
                sent += 1;
                exchange(make(&mut rng), &mut out).await;
            }
            out
        });
    }
    collect(workers, started).await
}

/// Sends one request every `interval` until `duration` has passed, whether or not the
/// earlier ones have answered, and records each one's latency. An open-loop probe: a
/// server that stalls shows in every request sent during the stall, where a closed-loop
/// client would be waiting on just one of them and sample the stall once.
pub async fn run_paced(
    interval: Duration,
    duration: Duration,
    make: MakeRequest,
) -> Result<Outcome> {
    let started = Instant::now();
    let mut ticks = tokio::time::interval(interval);
    let mut rng = StdRng::seed_from_u64(0x5eed_ffff);
    let mut requests = JoinSet::new();
    while started.elapsed() < duration {
        ticks.tick().await;
        let request = make(&mut rng);
        requests.spawn(async move {
            let mut out = Outcome::default();
            exchange(request, &mut out).await;
            out
        });
    }
    collect(requests, started).await
}

/// Runs `total` requests built by `make(index)` from `concurrency` workers that take
/// indexes from a shared counter; stops early after `time_limit`. `accept` checks a
/// successful body and returns the created id, or an error message.
pub async fn run_counted(
    concurrency: usize,
    total: usize,
    time_limit: Duration,
    make: MakeIndexed,
    accept: Accept,
) -> Result<Outcome> {
    let started = Instant::now();
    let deadline = started + time_limit;
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let make = Arc::clone(&make);
        let accept = Arc::clone(&accept);
        let next = Arc::clone(&next);
        workers.spawn(async move {
            let mut out = Outcome::default();
            loop {
                if Instant::now() >= deadline {
                    out.timed_out = next.load(Ordering::Relaxed) < total;
                    break;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= total {
                    break;
                }
                if let Some(body) = exchange(make(index), &mut out).await {
                    match accept(&body) {
                        Ok(id) => out.created_ids.push(id),
                        Err(message) => out.error(|| message),
                    }
                }
            }
            out
        });
    }
    collect(workers, started).await
}

async fn collect(mut workers: JoinSet<Outcome>, started: Instant) -> Result<Outcome> {
    let mut total = Outcome::default();
    while let Some(joined) = workers.join_next().await {
        total.absorb(joined.context("a load worker failed")?);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn targets_are_judged() {
        let list = Target {
            min_rps: 1000.0,
            max_p99_ms: Some(50.0),
            zero_errors: false,
        };
        assert!(list.verdict(1200.0, 40.0, 3));
        assert!(!list.verdict(1200.0, 60.0, 0));
        assert!(!list.verdict(900.0, 10.0, 0));
        let create = Target {
            min_rps: 700.0,
            max_p99_ms: None,
            zero_errors: true,
        };
        assert!(!create.verdict(800.0, 999.0, 1));
        assert_eq!(create.describe(), "≥700 req/s, 0 errors");
    }
}
