//! `zenops-bench`: throughput and latency of the Zen Ops assignment endpoints.
//!
//! For each database (SQLite, PostgreSQL) it makes a fresh database, starts the `zenops`
//! server binary on it as a child process, signs in as the demo admin, seeds assignments
//! through `POST /api/assignments` (measuring creates/s), then drives the list, with-due,
//! get and detail endpoints from N concurrent clients for a fixed time each and reports
//! req/s, p50/p99/max latency and the server's resident memory. Last, it measures
//! `GET /healthz` alone and while many clients sign in at once (password hashing must not
//! hold other requests up). The bench talks to the server over loopback HTTP only; it does
//! not link any workspace crate.
#![forbid(unsafe_code)]

mod api;
mod load;
mod notify;
mod scale;
mod server;
mod upload;

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use rand::Rng;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::{AssignmentFactory, Reference};
use crate::load::{MakeRequest, Summary, Target};
use crate::server::{Memory, PgDatabase, ServerProcess};

/// Untimed warm-up before each read scenario.
const WARM_UP: Duration = Duration::from_secs(1);
/// How often the sign-in scenario probes `GET /healthz`.
const PROBE_INTERVAL: Duration = Duration::from_millis(10);
/// How long the server may take to answer `GET /readyz` with 200.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Resident-memory target, MiB (compared with the peak, VmHWM).
const RSS_TARGET_MB: f64 = 64.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum DbKind {
    Sqlite,
    #[value(alias = "pg")]
    Postgres,
}

impl DbKind {
    fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// Throughput and latency of the Zen Ops assignment endpoints on SQLite and PostgreSQL.
///
/// Build the server first: `cargo build --release -p zenops-api`.
#[derive(Debug, Parser)]
#[command(name = "zenops-bench", version)]
struct Cli {
    /// The server binary; a relative path is taken from the workspace root.
    #[arg(long, default_value = "target/release/zenops")]
    server_bin: PathBuf,

    /// Databases to run on, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres"
    )]
    databases: Vec<DbKind>,

    /// Maintenance URL of the PostgreSQL server; the bench creates (and drops) its own
    /// database `zenops_bench_<unix time>` there.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,

    /// Assignments to create (the create scenario, which also seeds the read scenarios).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    assignments: u32,

    /// Invoices to draft and issue for the first assignments (then the ledger is read);
    /// 0 skips invoicing.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    invoices: u32,

    /// Concurrent clients (each sends one request at a time).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=512))]
    concurrency: u16,

    /// Measured seconds per read scenario (after a 1 s warm-up).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,

    /// Longest the create scenario may run before it stops, seconds.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=7200))]
    create_timeout: u64,

    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,

    /// Check the harness against a server without the assignment endpoints: skip the
    /// assignment scenarios and measure `GET /api/master/banks` and `GET /api/auth/me`.
    #[arg(long)]
    smoke: bool,

    /// Clients signing in at once in the sign-in scenario, each from its own loopback
    /// address (127.0.0.2, 127.0.0.3, …); 0 skips the scenario.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u16).range(0..=250))]
    logins: u16,

    /// Run only the sign-in scenario: no assignment is created or read.
    #[arg(long)]
    logins_only: bool,

    /// Only measure the server's memory around one document upload (and download) of this
    /// many MiB, streamed; no other scenario runs.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    upload_memory_mb: Option<u64>,

    /// Only measure notifications: create `--assignments` assignments with due dates spread
    /// from ten days late to ten days ahead (the server's jobs held back), then time the
    /// notifier turning the trail into notifications (events/s) and the reminder sweep.
    #[arg(long)]
    notifications: bool,

    /// After the read scenarios, copy assignments with SQL straight into the database until
    /// it holds this many, and run the list, filtered list, search and detail again.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
    scale_to: Option<u32>,
}

#[derive(Debug, Serialize)]
struct RunReport {
    command: String,
    started_at: String,
    server_bin: String,
    smoke: bool,
    assignments: u32,
    concurrency: u16,
    seconds: u64,
    cpus: usize,
    databases: Vec<DbReport>,
    failures: Vec<Failure>,
}

#[derive(Debug, Serialize)]
struct Failure {
    database: DbKind,
    error: String,
}

#[derive(Debug, Serialize)]
struct DbReport {
    database: DbKind,
    startup_s: f64,
    reference: ReferenceSummary,
    scenarios: Vec<Summary>,
    memory: Memory,
    memory_target_mb: f64,
    memory_target_met: bool,
}

#[derive(Debug, Serialize)]
struct ReferenceSummary {
    banks: usize,
    banks_with_branches: usize,
    branches: usize,
    property_types: usize,
    users: usize,
}

/// One timed read scenario.
struct ReadScenario {
    name: &'static str,
    target: Option<Target>,
    make: MakeRequest,
}

#[tokio::main]
async fn main() -> ExitCode {
    // reqwest's TLS (unused on loopback, but built with every client) runs on ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    tokio::select! {
        result = run(cli) => match result {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("zenops-bench: {e:#}");
                ExitCode::FAILURE
            }
        },
        // Dropping `run` kills the server and drops the PostgreSQL database.
        _ = tokio::signal::ctrl_c() => {
            eprintln!("zenops-bench: interrupted; cleaning up");
            ExitCode::from(130)
        }
    }
}

/// Runs every requested database; `Ok(false)` when one of them failed.
async fn run(cli: Cli) -> Result<bool> {
    let command = shell_command();
    let bin = resolve_server_bin(&cli.server_bin)?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut report = RunReport {
        command: command.clone(),
        started_at: OffsetDateTime::now_utc().format(&Rfc3339)?,
        server_bin: bin.display().to_string(),
        smoke: cli.smoke,
        assignments: cli.assignments,
        concurrency: cli.concurrency,
        seconds: cli.seconds,
        cpus,
        databases: Vec::new(),
        failures: Vec::new(),
    };
    println!(
        "# Zen Ops bench{}\n",
        if cli.smoke { " (smoke)" } else { "" }
    );
    println!(
        "Server `{}`{}; {} CPU(s) shared by server and bench; {} clients; {} s per read scenario after a {} s warm-up.",
        bin.display(),
        binary_age(&bin),
        cpus,
        cli.concurrency,
        cli.seconds,
        WARM_UP.as_secs()
    );
    for name in ["HTTP_WORKERS", "DB_MAX_CONNECTIONS"] {
        if let Ok(value) = std::env::var(name) {
            println!("{name}={value} is passed to the server.");
        }
    }
    let mut seen = Vec::new();
    for &kind in &cli.databases {
        if seen.contains(&kind) {
            continue;
        }
        seen.push(kind);
        eprintln!("== {} ==", kind.label());
        match bench_database(&cli, &bin, kind).await {
            Ok(db) => {
                print_database(&cli, &db);
                report.databases.push(db);
            }
            Err(e) => {
                eprintln!("{}: {e:#}", kind.label());
                println!("\n## {}\n\nFAILED: {e:#}", kind.label());
                report.failures.push(Failure {
                    database: kind,
                    error: format!("{e:#}"),
                });
            }
        }
    }
    println!("\nCommand: `{command}`");
    if let Some(path) = &cli.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        println!("JSON: {}", path.display());
    }
    Ok(report.failures.is_empty())
}

async fn bench_database(cli: &Cli, bin: &Path, kind: DbKind) -> Result<DbReport> {
    let concurrency = usize::from(cli.concurrency);
    let data_dir = tempfile::Builder::new()
        .prefix("zenops-bench-")
        .tempdir()
        .context("creating a temporary data directory")?;
    // Declared before the server so that it is dropped after it (locals drop in reverse).
    let mut pg: Option<PgDatabase> = None;
    let database_url = match kind {
        DbKind::Sqlite => format!("sqlite://{}/bench.db?mode=rwc", data_dir.path().display()),
        DbKind::Postgres => {
            let db = PgDatabase::create(&cli.pg_url)?;
            eprintln!("created PostgreSQL database {}", db.name());
            let url = db.url()?;
            pg = Some(db);
            url
        }
    };

    // In the notifications scenario the jobs wait (after their first run at start-up) so
    // the bench times them alone.
    let held_back: &[(&str, &str)] = if cli.notifications {
        &[
            ("NOTIFY_INTERVAL_SECS", "86400"),
            ("SWEEP_INTERVAL_SECS", "86400"),
            ("EMAIL_INTERVAL_SECS", "86400"),
            ("FOLLOW_UP_INTERVAL_SECS", "86400"),
        ]
    } else {
        // The creates leave an email row for every notification they cause (60,000 for
        // 20,000 assignments); working that backlog off is not the steady load the read
        // scenarios measure, so email waits.
        &[("EMAIL_INTERVAL_SECS", "86400")]
    };
    let mut server = ServerProcess::start(bin, &database_url, data_dir, held_back)?;
    eprintln!(
        "server pid {} at {} (data dir {})",
        server.pid(),
        server.base_url(),
        server.data_dir().display()
    );
    let anonymous = api::client(concurrency, None)?;
    let started = Instant::now();
    server.wait_ready(&anonymous, READY_TIMEOUT).await?;
    let startup_s = started.elapsed().as_secs_f64();
    eprintln!("ready after {startup_s:.2} s (migrations and demo seed included)");

    let base = server.base_url().to_owned();
    let token = api::login(&anonymous, &base).await?;
    let client = api::client(concurrency, Some(&token))?;
    let reference = Reference::fetch(&client, &base).await?;
    let reference_summary = ReferenceSummary {
        banks: reference.counts.banks,
        banks_with_branches: reference.banks.len(),
        branches: reference.counts.branches,
        property_types: reference.counts.property_types,
        users: reference.counts.users,
    };
    eprintln!("reference data: {reference_summary:?}");

    let mut rows = Vec::new();
    let mut created: Vec<i64> = Vec::new();
    if let Some(mb) = cli.upload_memory_mb {
        let m = upload::measure(&client, &base, &server, mb).await?;
        println!(
            "\n## {} — document upload of {} MiB, streamed\n\n| moment | VmRSS MB | VmHWM (peak) MB |\n| --- | ---: | ---: |\n| before | {:.1} | {:.1} |\n| after the upload ({:.2} s) | {:.1} | {:.1} |\n| after the download ({:.2} s) | {:.1} | {:.1} |",
            kind.label(),
            m.file_mb,
            m.before.rss_mb,
            m.before.hwm_mb,
            m.upload_s,
            m.after_upload.rss_mb,
            m.after_upload.hwm_mb,
            m.download_s,
            m.after_download.rss_mb,
            m.after_download.hwm_mb,
        );
    }
    if cli.notifications {
        let (row, _) = create_scenario(cli, &client, &base, &reference).await?;
        rows.push(row);
        let n = notify::measure(&client, &base).await?;
        println!(
            "\n## {} — notifications on {} assignments\n\n| step | seconds | work | rate |\n| --- | ---: | ---: | ---: |\n| trail → notifications | {:.2} | {} trail entries, {} notifications | {:.0} events/s |\n| reminder sweep (first) | {:.2} | {} notifications | |\n| reminder sweep (again, nothing new) | {:.2} | 0 notifications | |",
            kind.label(),
            cli.assignments,
            n.drain_s,
            n.events,
            n.notified,
            n.events_per_s(),
            n.first_sweep_s,
            n.swept,
            n.second_sweep_s,
        );
    }
    let scenarios = if cli.smoke {
        smoke_scenarios(&client, &base)
    } else if cli.logins_only || cli.upload_memory_mb.is_some() || cli.notifications {
        Vec::new()
    } else {
        let (mut row, ids) = create_scenario(cli, &client, &base, &reference).await?;
        row.peak_rss_mb = Some(server.memory()?.hwm_mb);
        rows.push(row);
        if ids.is_empty() {
            bail!("no assignment was created, so there is nothing to read");
        }
        // The creates left a trail the notifier turns into notifications in the
        // background; the reads are measured once it has caught up, as in steady use.
        let (settle_s, _) = notify::sweep(&client, &base).await?;
        eprintln!("notifier caught up with the creates' trail in {settle_s:.1} s");
        if kind == DbKind::Postgres {
            scale::vacuum_postgres(&database_url).await?;
            eprintln!("VACUUM ANALYZE done (as autovacuum would)");
        }
        created = ids.clone();
        let mut scenarios = read_scenarios(&client, &base, &reference, Arc::new(ids.clone()));
        if cli.invoices > 0 {
            let invoiced = invoice_scenarios(cli, &client, &base, &ids, &mut rows).await?;
            scenarios.extend(ledger_scenarios(&client, &base, invoiced));
        }
        scenarios
    };
    for scenario in scenarios {
        let name = scenario.name.to_owned();
        rows.push(read_scenario(cli, &server, &name, &scenario).await?);
    }
    if let (Some(target), Some(&template)) = (cli.scale_to, created.first()) {
        let extra = i64::from(target) - i64::from(cli.assignments);
        eprintln!("scale: copying {extra} assignments with SQL");
        let started = Instant::now();
        scale::seed(&database_url, template, extra).await?;
        eprintln!(
            "scale: {extra} copies in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let again = read_scenarios(&client, &base, &reference, Arc::new(created.clone()));
        for scenario in again.into_iter().filter(|s| s.name != "get") {
            let name = format!("{} @ {target} rows", scenario.name);
            rows.push(read_scenario(cli, &server, &name, &scenario).await?);
        }
    }
    if cli.logins > 0 {
        rows.extend(login_scenario(cli, &base).await?);
        // The sign-in rows end together; the peak is stamped on the last.
        if let Some(last) = rows.last_mut() {
            last.peak_rss_mb = Some(server.memory()?.hwm_mb);
        }
    }

    let memory = server.memory()?;
    drop(server);
    drop(pg);
    Ok(DbReport {
        database: kind,
        startup_s,
        reference: reference_summary,
        scenarios: rows,
        memory,
        memory_target_mb: RSS_TARGET_MB,
        memory_target_met: memory.hwm_mb < RSS_TARGET_MB,
    })
}

/// One read scenario: an unrecorded warm-up, then `--seconds` measured, and the server's
/// peak memory after it.
async fn read_scenario(
    cli: &Cli,
    server: &ServerProcess,
    name: &str,
    scenario: &ReadScenario,
) -> Result<Summary> {
    let concurrency = usize::from(cli.concurrency);
    eprintln!("{name}: warm-up {} s", WARM_UP.as_secs());
    load::run_timed(concurrency, WARM_UP, Arc::clone(&scenario.make)).await?;
    let outcome = load::run_timed(
        concurrency,
        Duration::from_secs(cli.seconds),
        Arc::clone(&scenario.make),
    )
    .await?;
    let mut row = outcome.summary(name, scenario.target);
    eprintln!(
        "{}: {} requests, {} errors, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
        row.scenario, row.requests, row.errors, row.rps, row.p50_ms, row.p99_ms
    );
    row.peak_rss_mb = Some(server.memory()?.hwm_mb);
    Ok(row)
}

/// Seeds `--assignments` assignments and measures creates/s. Returns the row and the ids.
async fn create_scenario(
    cli: &Cli,
    client: &reqwest::Client,
    base: &str,
    reference: &Reference,
) -> Result<(Summary, Vec<i64>)> {
    let total = usize::try_from(cli.assignments)?;
    eprintln!("create: {total} assignments");
    let factory = Arc::new(AssignmentFactory::new(
        reference.clone(),
        cli.notifications,
    )?);
    let make = {
        let client = client.clone();
        let base = base.to_owned();
        Arc::new(move |index: usize| api::create_request(&client, &base, &factory.body(index)))
    };
    let mut outcome = load::run_counted(
        usize::from(cli.concurrency),
        total,
        Duration::from_secs(cli.create_timeout),
        make,
        Arc::new(api::created_id),
    )
    .await?;
    let target = Target {
        min_rps: 700.0,
        max_p99_ms: None,
        zero_errors: true,
    };
    let ids = std::mem::take(&mut outcome.created_ids);
    let row = outcome.summary("create", Some(target));
    eprintln!(
        "create: {} requests, {} errors, {:.0} creates/s{}",
        row.requests,
        row.errors,
        row.rps,
        if row.timed_out {
            " (stopped at --create-timeout)"
        } else {
            ""
        }
    );
    Ok((row, ids))
}

/// Drafts an invoice for each of the first `--invoices` assignments, then issues each
/// (two rows: drafts/s and issues/s). Returns how many were issued.
async fn invoice_scenarios(
    cli: &Cli,
    client: &reqwest::Client,
    base: &str,
    assignments: &[i64],
    rows: &mut Vec<Summary>,
) -> Result<usize> {
    let total = usize::try_from(cli.invoices)?.min(assignments.len());
    eprintln!("invoices: drafting {total}");
    let ids = Arc::new(assignments[..total].to_vec());
    let draft = {
        let client = client.clone();
        let base = base.to_owned();
        Arc::new(move |index: usize| {
            client
                .post(format!("{base}/api/invoices"))
                .json(&serde_json::json!({ "assignment_id": ids[index] }))
        })
    };
    let limit = Duration::from_secs(cli.create_timeout);
    let mut drafted = load::run_counted(
        usize::from(cli.concurrency),
        total,
        limit,
        draft,
        Arc::new(api::record_id),
    )
    .await?;
    let invoices = Arc::new(std::mem::take(&mut drafted.created_ids));
    rows.push(drafted.summary("invoice draft", None));
    eprintln!("invoices: issuing {}", invoices.len());
    let issue = {
        let client = client.clone();
        let base = base.to_owned();
        let invoices = Arc::clone(&invoices);
        Arc::new(move |index: usize| {
            client.post(format!("{base}/api/invoices/{}/issue", invoices[index]))
        })
    };
    let issued = load::run_counted(
        usize::from(cli.concurrency),
        invoices.len(),
        limit,
        issue,
        Arc::new(api::record_id),
    )
    .await?;
    let count = issued.created_ids.len();
    rows.push(issued.summary("invoice issue", None));
    Ok(count)
}

/// The ledger's default page (25 by due date), and a search by the party's name. The
/// previous backend served these at 115 and 35 req/s; the targets are 25 times that.
fn ledger_scenarios(client: &reqwest::Client, base: &str, invoices: usize) -> Vec<ReadScenario> {
    let search = {
        let client = client.clone();
        let base = base.to_owned();
        let span = invoices.max(1);
        move |rng: &mut rand::rngs::StdRng| {
            let n = rng.random_range(0..span);
            client.get(format!(
                "{base}/api/invoices?search=Borrower%20{n}&page_size=25"
            ))
        }
    };
    vec![
        ReadScenario {
            name: "ledger, default page",
            target: Some(Target {
                min_rps: 115.0 * 25.0,
                max_p99_ms: None,
                zero_errors: false,
            }),
            make: fixed_get(client, format!("{base}/api/invoices")),
        },
        ReadScenario {
            name: "ledger, search",
            target: Some(Target {
                min_rps: 35.0 * 25.0,
                max_p99_ms: None,
                zero_errors: false,
            }),
            make: Arc::new(search),
        },
    ]
}

fn read_scenarios(
    client: &reqwest::Client,
    base: &str,
    reference: &Reference,
    ids: Arc<Vec<i64>>,
) -> Vec<ReadScenario> {
    let list_target = Some(Target {
        min_rps: 1000.0,
        max_p99_ms: Some(50.0),
        zero_errors: false,
    });
    let detail_target = Some(Target {
        min_rps: 3000.0,
        max_p99_ms: None,
        zero_errors: false,
    });
    let list_url = format!("{base}/api/assignments?limit=100&sort_by=created_at&sort_dir=desc");
    let bank_ids = Arc::new(reference.bank_ids());
    let with_due = {
        let client = client.clone();
        let base = base.to_owned();
        move |rng: &mut rand::rngs::StdRng| {
            let bank = bank_ids[rng.random_range(0..bank_ids.len())];
            client.get(format!(
                "{base}/api/assignments/with-due?completion=PENDING&bank_id={bank}&sort_by=created_at&sort_dir=desc&limit=100"
            ))
        }
    };
    let by_id = |suffix: &'static str| {
        let client = client.clone();
        let base = base.to_owned();
        let ids = Arc::clone(&ids);
        move |rng: &mut rand::rngs::StdRng| {
            let id = ids[rng.random_range(0..ids.len())];
            client.get(format!("{base}/api/assignments/{id}{suffix}"))
        }
    };
    // Borrower names are "Borrower {n}" and codes "VAL-{year}-{n:04}": a two-digit
    // fragment matches about one assignment in a hundred (and, in codes, some more).
    let search = {
        let client = client.clone();
        let base = base.to_owned();
        move |rng: &mut rand::rngs::StdRng| {
            let fragment = rng.random_range(10..100);
            client.get(format!(
                "{base}/api/assignments?q=ower%20{fragment}&limit=100&sort_by=created_at&sort_dir=desc"
            ))
        }
    };
    vec![
        ReadScenario {
            name: "list",
            target: list_target,
            make: fixed_get(client, list_url),
        },
        ReadScenario {
            name: "list, 1 row",
            target: None,
            make: fixed_get(
                client,
                format!("{base}/api/assignments?limit=1&sort_by=created_at&sort_dir=desc"),
            ),
        },
        ReadScenario {
            name: "search (q)",
            target: list_target,
            make: Arc::new(search),
        },
        ReadScenario {
            name: "with-due (filtered)",
            target: list_target,
            make: Arc::new(with_due),
        },
        ReadScenario {
            name: "get",
            target: None,
            make: Arc::new(by_id("")),
        },
        ReadScenario {
            name: "detail",
            target: detail_target,
            make: Arc::new(by_id("/detail")),
        },
    ]
}

/// `GET /healthz` sent every 10 ms, alone and then while `--logins` clients sign in as
/// fast as they can: whether password hashing holds other requests up. Three rows: the
/// idle probe, the probe under sign-ins, and the sign-ins themselves (warm-up included).
async fn login_scenario(cli: &Cli, base: &str) -> Result<Vec<Summary>> {
    let logins = usize::from(cli.logins);
    let measured = Duration::from_secs(cli.seconds);
    let probe = api::client(4, None)?;
    let health = fixed_get(&probe, format!("{base}/healthz"));
    eprintln!("healthz, idle: warm-up {} s", WARM_UP.as_secs());
    load::run_paced(PROBE_INTERVAL, WARM_UP, Arc::clone(&health)).await?;
    let idle = load::run_paced(PROBE_INTERVAL, measured, Arc::clone(&health))
        .await?
        .summary("healthz every 10 ms, idle", None);
    let makers = (0..logins)
        .map(|i| {
            let last = u8::try_from(i + 2).context("too many sign-in clients")?;
            let client = api::client_from(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))?;
            let base = base.to_owned();
            let make: MakeRequest =
                Arc::new(move |_: &mut rand::rngs::StdRng| api::login_request(&client, &base));
            Ok(make)
        })
        .collect::<Result<Vec<_>>>()?;
    eprintln!(
        "sign-ins: {logins} clients, {} s warm-up",
        WARM_UP.as_secs()
    );
    let signing_in = tokio::spawn(load::run_timed_each(makers, WARM_UP + measured));
    tokio::time::sleep(WARM_UP).await;
    let busy = load::run_paced(PROBE_INTERVAL, measured, health)
        .await?
        .summary(
            &format!("healthz every 10 ms, {logins} clients signing in"),
            None,
        );
    let logins_row = signing_in
        .await
        .context("the sign-in clients failed")??
        .summary(&format!("sign-ins ({logins} clients)"), None);
    for row in [&idle, &busy, &logins_row] {
        eprintln!(
            "{}: {} requests, {} errors, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
            row.scenario, row.requests, row.errors, row.rps, row.p50_ms, row.p99_ms
        );
    }
    Ok(vec![idle, busy, logins_row])
}

fn smoke_scenarios(client: &reqwest::Client, base: &str) -> Vec<ReadScenario> {
    vec![
        ReadScenario {
            name: "smoke: master/banks",
            target: None,
            make: fixed_get(client, format!("{base}/api/master/banks")),
        },
        ReadScenario {
            name: "smoke: auth/me",
            target: None,
            make: fixed_get(client, format!("{base}/api/auth/me")),
        },
    ]
}

fn fixed_get(client: &reqwest::Client, url: String) -> MakeRequest {
    let client = client.clone();
    Arc::new(move |_: &mut rand::rngs::StdRng| client.get(&url))
}

fn print_database(cli: &Cli, db: &DbReport) {
    let mut out = String::new();
    let _ = writeln!(out, "\n## {}\n", db.database.label());
    if !cli.smoke && !cli.logins_only {
        let _ = writeln!(
            out,
            "{} assignments created through the API, then {} s per read scenario.\n",
            cli.assignments, cli.seconds
        );
    }
    let _ = writeln!(
        out,
        "| scenario | requests | errors | req/s | p50 ms | p99 ms | max ms | peak RSS MB | target |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for row in &db.scenarios {
        let target = match (&row.target, row.target_met) {
            (Some(text), Some(true)) => format!("{text} — met"),
            (Some(text), _) => format!("{text} — missed"),
            (None, _) => "—".to_owned(),
        };
        let scenario = if row.timed_out {
            format!("{} (time limit hit)", row.scenario)
        } else {
            row.scenario.clone()
        };
        let peak = row
            .peak_rss_mb
            .map_or_else(|| "—".to_owned(), |mb| format!("{mb:.1}"));
        let _ = writeln!(
            out,
            "| {scenario} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {peak} | {target} |",
            row.requests, row.errors, row.rps, row.p50_ms, row.p99_ms, row.max_ms
        );
    }
    let _ = writeln!(
        out,
        "\nServer memory after all scenarios: VmRSS {:.1} MB, VmHWM (peak) {:.1} MB — target < {RSS_TARGET_MB:.0} MB (peak): {}",
        db.memory.rss_mb,
        db.memory.hwm_mb,
        if db.memory_target_met {
            "met"
        } else {
            "missed"
        }
    );
    let _ = writeln!(
        out,
        "Server start-up to ready: {:.2} s. Reference data: {} banks ({} with branches), {} branches, {} property types, {} users.",
        db.startup_s,
        db.reference.banks,
        db.reference.banks_with_branches,
        db.reference.branches,
        db.reference.property_types,
        db.reference.users
    );
    for row in db.scenarios.iter().filter(|r| !r.error_samples.is_empty()) {
        let _ = writeln!(out, "\nFirst errors of `{}`:", row.scenario);
        for sample in &row.error_samples {
            let _ = writeln!(out, "- {sample}");
        }
    }
    print!("{out}");
}

/// The workspace root, where this crate was built from (`crates/bench/../..`).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .unwrap_or(manifest)
        .to_path_buf()
}

fn resolve_server_bin(bin: &Path) -> Result<PathBuf> {
    let path = if bin.is_absolute() {
        bin.to_path_buf()
    } else {
        workspace_root().join(bin)
    };
    if !path.is_file() {
        bail!(
            "server binary {} not found: build it with `cargo build --release -p zenops-api` or pass --server-bin",
            path.display()
        );
    }
    Ok(path)
}

/// " (built N min ago)", when the file's modification time is known.
fn binary_age(bin: &Path) -> String {
    std::fs::metadata(bin)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map_or_else(String::new, |age| {
            format!(" (built {} min ago)", age.as_secs() / 60)
        })
}

/// The command line as typed, quoted for a POSIX shell.
fn shell_command() -> String {
    std::env::args()
        .map(|arg| {
            let plain = !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./:=,@%+".contains(c));
            if plain {
                arg
            } else {
                format!("'{}'", arg.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_defaults_match_the_brief() -> Result<()> {
        let cli = Cli::try_parse_from(["zenops-bench"])?;
        assert_eq!(cli.databases, vec![DbKind::Sqlite, DbKind::Postgres]);
        assert_eq!(cli.assignments, 20_000);
        assert_eq!(cli.concurrency, 16);
        assert_eq!(cli.seconds, 10);
        assert_eq!(cli.server_bin, PathBuf::from("target/release/zenops"));
        assert_eq!(cli.logins, 40);
        assert!(!cli.logins_only);
        let cli = Cli::try_parse_from(["zenops-bench", "--databases", "pg", "--smoke"])?;
        assert_eq!(cli.databases, vec![DbKind::Postgres]);
        assert!(cli.smoke);
        assert!(Cli::try_parse_from(["zenops-bench", "--concurrency", "0"]).is_err());
        Ok(())
    }
}
