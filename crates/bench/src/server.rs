//! The server under test: a fresh database, the `zenops` child process and the guards that
//! clean both up on every exit path (success, error, Ctrl-C).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use rand::distr::{Alphanumeric, SampleString};
use tempfile::TempDir;

/// How long `psql` may take to connect before it gives up.
const PSQL_CONNECT_TIMEOUT_SECS: &str = "10";

/// Configuration variables of the server that would change what is measured; they are
/// removed from the child's environment so a stray value in the shell cannot skew a run.
/// (`HTTP_WORKERS` and `DB_MAX_CONNECTIONS` are passed through on purpose: they are the
/// knobs worth experimenting with.)
const SCRUBBED_ENV: &[&str] = &[
    "ZENOPS_ENV",
    "ACCESS_TOKEN_TTL_MINUTES",
    "SESSION_MAX_HOURS",
    "CORS_ORIGINS",
    "TRUST_FORWARDED_FOR",
];

/// A PostgreSQL database made for one run and dropped (`WITH (FORCE)`) when this guard is
/// dropped, including on errors.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    /// Creates `zenops_bench_<unix timestamp>` through `psql` on `admin_url`.
    pub fn create(admin_url: &str) -> Result<Self> {
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = format!("zenops_bench_{ts}");
        psql(admin_url, &format!("CREATE DATABASE {name}"))
            .with_context(|| format!("creating PostgreSQL database {name}"))?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of the new database: the admin URL with its database name replaced.
    pub fn url(&self) -> Result<String> {
        with_database(&self.admin_url, &self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = psql(&self.admin_url, &sql) {
            eprintln!(
                "warning: could not drop PostgreSQL database {}: {e:#}",
                self.name
            );
        }
    }
}

/// Runs one SQL statement with `psql`, failing with its stderr.
fn psql(url: &str, sql: &str) -> Result<()> {
    let output = Command::new("psql")
        .args([
            "--no-psqlrc",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", PSQL_CONNECT_TIMEOUT_SECS)
        .stdin(Stdio::null())
        .output()
        .context("running psql (is it installed and on PATH?)")?;
    if output.status.success() {
        Ok(())
    } else {
        bail!(
            "psql failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
    }
}

/// Replaces the database name (the path) of a `postgres://` URL, keeping any query string.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let scheme_end = url.find("://").ok_or_else(|| anyhow!("not a URL: {url}"))? + 3;
    let (base, query) = match url.find('?') {
        Some(q) if q > scheme_end => (&url[..q], &url[q..]),
        _ => (url, ""),
    };
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    Ok(format!("{}/{name}{query}", &base[..authority_end]))
}

/// A free loopback port: bind port 0, note what the kernel picked, release it.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a probe socket")?;
    Ok(listener.local_addr()?.port())
}

/// The `zenops` child process. Dropping it kills the process and then removes its
/// temporary data directory.
pub struct ServerProcess {
    child: Child,
    pid: u32,
    base_url: String,
    log_path: PathBuf,
    // Declared last so it is removed only after the process has been killed (fields drop
    // in declaration order, after `Drop::drop`).
    data_dir: TempDir,
}

impl ServerProcess {
    /// Starts `bin serve` on a free port with a fresh JWT secret and demo data.
    /// `env` is passed to the server on top of the bench's own settings.
    pub fn start(
        bin: &Path,
        database_url: &str,
        data_dir: TempDir,
        env: &[(&str, &str)],
    ) -> Result<Self> {
        let port = free_port()?;
        let log_path = data_dir.path().join("server.log");
        let log = File::create(&log_path).context("creating the server log file")?;
        let log_err = log.try_clone()?;
        let secret = Alphanumeric.sample_string(&mut rand::rng(), 48);
        let mut command = Command::new(bin);
        command
            .arg("serve")
            // No `.env` of the caller's is picked up: the child runs in its temp dir.
            .current_dir(data_dir.path())
            .env("DATABASE_URL", database_url)
            .env("DATA_DIR", data_dir.path())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", secret)
            .env("SEED_DEMO", "true")
            .env("RUST_LOG", "warn")
            .env("LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        for name in SCRUBBED_ENV {
            command.env_remove(name);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id();
        Ok(Self {
            child,
            pid,
            base_url: format!("http://127.0.0.1:{port}"),
            log_path,
            data_dir,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Polls `GET /readyz` until it answers 200, the process exits, or `timeout` passes.
    pub async fn wait_ready(&mut self, client: &reqwest::Client, timeout: Duration) -> Result<()> {
        let url = format!("{}/readyz", self.base_url);
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited during start-up ({status}); its log ends with:\n{}",
                    self.log_tail()
                );
            }
            let probe = client
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(response) = probe
                && response.status() == reqwest::StatusCode::OK
            {
                return Ok(());
            }
            if start.elapsed() >= timeout {
                bail!(
                    "the server was not ready within {} s; its log ends with:\n{}",
                    timeout.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The last few KiB of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        const TAIL: u64 = 4096;
        let read = || -> std::io::Result<String> {
            let mut file = File::open(&self.log_path)?;
            let len = file.metadata()?.len();
            file.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        };
        read().unwrap_or_else(|e| format!("(log unreadable: {e})"))
    }

    /// `VmRSS` and `VmHWM` of the server in MiB, from `/proc/<pid>/status` (Linux).
    pub fn memory(&self) -> Result<Memory> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let field = |name: &str| -> Result<f64> {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
                .map(|kib| kib / 1024.0)
                .ok_or_else(|| anyhow!("{name} missing from {path}"))
        };
        Ok(Memory {
            rss_mb: field("VmRSS:")?,
            hwm_mb: field("VmHWM:")?,
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Already gone (crashed): nothing to kill, but still reap it.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Memory {
    /// Resident set size after the scenarios, MiB.
    pub rss_mb: f64,
    /// Peak resident set size over the server's life, MiB.
    pub hwm_mb: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() -> Result<()> {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x")?,
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x")?,
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x")?,
            "postgres://h:5432/x"
        );
        assert_eq!(
            with_database("postgres://h?sslmode=disable", "x")?,
            "postgres://h/x?sslmode=disable"
        );
        Ok(())
    }
}
