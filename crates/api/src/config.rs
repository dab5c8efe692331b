//! Typed configuration, read once at start-up from the environment (and `.env`), with
//! command-line flags taking precedence. Secrets are never printed.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Args)]
pub struct Settings {
    /// `development` or `production`. Production refuses a missing or short JWT_SECRET and
    /// refuses demo data.
    #[arg(long, env = "ZENOPS_ENV", value_enum, default_value = "development")]
    pub environment: Environment,

    /// Database URL: `sqlite://…` or `postgres://…`. Default: an SQLite file in DATA_DIR.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Where the embedded database and the generated development secret live.
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Connections in the database pool (default: 8 for SQLite, which has one writer and
    /// whose connections each keep a page cache; 16 for PostgreSQL).
    #[arg(long, env = "DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,

    /// Address and port the HTTP server listens on (port 0 picks a free one).
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: String,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "HTTP_WORKERS")]
    pub http_workers: Option<usize>,

    /// HS256 signing secret, at least 32 characters. In development a random one is
    /// generated once and kept in DATA_DIR/jwt_secret.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of an access token; the frontend renews it with the heartbeat.
    #[arg(long, env = "ACCESS_TOKEN_TTL_MINUTES", default_value_t = 60)]
    pub access_token_ttl_minutes: i64,

    /// Longest a session may be kept alive by heartbeats before signing in again.
    #[arg(long, env = "SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: i64,

    /// Comma-separated browser origins allowed by CORS. In development any
    /// http://localhost:* and http://127.0.0.1:* origin is allowed as well.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',', default_value = "")]
    pub cors_origins: Vec<String>,

    /// Take the client address from X-Forwarded-For (only behind a trusted proxy); it keys
    /// the login throttle.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,

    /// Bearer token that `GET /metrics` asks for. Unset: `/metrics` is open in development
    /// and absent (404) in production.
    #[arg(long, env = "METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Seed the demo firm when the database has no users. Ignored (refused) in production.
    #[arg(long, env = "SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// With SEED_DEMO, also give the demo firm a dozen assignments with tasks and messages
    /// (when there are no assignments yet).
    #[arg(long, env = "SEED_DEMO_WORK", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo_work: bool,

    /// The firm's time zone (IANA name): SLA due times fall at 18:00 local time and codes
    /// are numbered by the local year.
    #[arg(long, env = "FIRM_TIMEZONE", default_value = "Asia/Kolkata")]
    pub firm_timezone: String,

    /// The firm's weekly off days, comma-separated (`SUN`, `SAT,SUN`; empty: none). Leave
    /// does not count them and work due on them is due the next working day.
    #[arg(long, env = "WEEKLY_OFF_DAYS", default_value = "SUN")]
    pub weekly_off_days: String,

    /// The address the firm reaches this API at (`https://ops.example.com`), for links the
    /// API hands out, such as calendar feeds. Unset: taken from each request's Host.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,

    /// Where document content is kept: unset for `DATA_DIR/uploads` on this machine, a
    /// directory (`file:///srv/zenops/uploads` or a plain path), or an S3-compatible bucket
    /// (`s3://bucket/prefix`, with `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION` and, for MinIO or R2, `AWS_ENDPOINT_URL`).
    #[arg(long, env = "STORAGE_URL")]
    pub storage_url: Option<String>,

    /// Largest document upload, in megabytes (MiB); larger ones get 413 and nothing is kept.
    #[arg(long, env = "MAX_UPLOAD_MB", default_value_t = 25)]
    pub max_upload_mb: u64,

    /// The prefix of assignment codes (`VAL` gives `VAL/2026/0001`).
    #[arg(long, env = "ASSIGNMENT_CODE_PREFIX", default_value = "VAL")]
    pub assignment_code_prefix: String,

    /// The prefix an invoice number puts in place of the assignment code's
    /// (`VAL/2026/0012` → `INV/2026/0012`).
    #[arg(long, env = "INVOICE_NUMBER_PREFIX", default_value = "INV")]
    pub invoice_number_prefix: String,

    /// Seconds a request body may go without a byte arriving while it is being read; then
    /// the request gets 408 and the connection is closed.
    #[arg(long, env = "CLIENT_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub client_body_timeout_secs: u64,

    /// `pretty` (development) or `json` (log shippers).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,

    /// Run the background jobs (notifications, reminders, email, digest, invoice
    /// follow-ups) in this process. Several instances may all run them: a lease in the
    /// database lets one at a time run each job.
    #[arg(long, env = "JOBS_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub jobs_enabled: bool,

    /// Seconds between turns of the trail into notifications.
    #[arg(long, env = "NOTIFY_INTERVAL_SECS", default_value_t = 2)]
    pub notify_interval_secs: u64,

    /// Seconds between email deliveries.
    #[arg(long, env = "EMAIL_INTERVAL_SECS", default_value_t = 5)]
    pub email_interval_secs: u64,

    /// Seconds between SLA and task reminder sweeps.
    #[arg(long, env = "SWEEP_INTERVAL_SECS", default_value_t = 300)]
    pub sweep_interval_secs: u64,

    /// Seconds between runs of the invoice overdue follow-up.
    #[arg(long, env = "FOLLOW_UP_INTERVAL_SECS", default_value_t = 3600)]
    pub follow_up_interval_secs: u64,

    /// Days past its due date before an issued invoice gets a follow-up task.
    #[arg(long, env = "FOLLOW_UP_OVERDUE_DAYS", default_value_t = 7)]
    pub follow_up_overdue_days: i64,

    /// The firm-local hour (0–23) from which each person's morning digest is made.
    #[arg(long, env = "DIGEST_HOUR", default_value_t = 8)]
    pub digest_hour: u8,

    /// Seconds a job run may hold its lease; a holder that dies is taken over after it.
    #[arg(long, env = "JOB_LEASE_SECS", default_value_t = 120)]
    pub job_lease_secs: u64,

    /// The SMTP server (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host:465`). Unset: emails are recorded in the delivery log and only logged.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of emails.
    #[arg(long, env = "SMTP_FROM", default_value = "Zen Ops <zenops@localhost>")]
    pub smtp_from: String,

    /// Emails per person per firm-local day; more are skipped (still in the app).
    #[arg(long, env = "EMAIL_DAILY_CAP", default_value_t = 20)]
    pub email_daily_cap: u64,

    /// Seconds before the first retry of a refused email (each further retry waits five
    /// times longer); three attempts in all.
    #[arg(long, env = "EMAIL_RETRY_SECS", default_value_t = 60)]
    pub email_retry_secs: u64,

    /// The web app's address, for the link in emails (`https://ops.example.com`).
    #[arg(long, env = "APP_URL")]
    pub app_url: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("environment", &self.environment)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("data_dir", &self.data_dir)
            .field("bind_addr", &self.bind_addr)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("access_token_ttl_minutes", &self.access_token_ttl_minutes)
            .field("cors_origins", &self.cors_origins)
            .field("seed_demo", &self.seed_demo)
            .field("jobs_enabled", &self.jobs_enabled)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .finish_non_exhaustive()
    }
}

/// Hides a password in a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("JWT_SECRET must be set to at least 32 characters in production")]
    WeakSecret,
    #[error("demo data is refused in production: set SEED_DEMO=false")]
    DemoInProduction,
    #[error("could not prepare DATA_DIR {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("ACCESS_TOKEN_TTL_MINUTES and SESSION_MAX_HOURS must be positive")]
    Lifetimes,
    #[error("FIRM_TIMEZONE: {0}")]
    TimeZone(String),
    #[error("WEEKLY_OFF_DAYS: {0}")]
    WeeklyOffs(String),
    #[error("PUBLIC_BASE_URL must start with http:// or https://")]
    PublicBaseUrl,
    #[error("STORAGE_URL: {0}")]
    Storage(String),
    #[error("MAX_UPLOAD_MB must be between 1 and 10240")]
    UploadLimit,
    #[error("ASSIGNMENT_CODE_PREFIX: {0}")]
    CodePrefix(String),
    #[error("CLIENT_BODY_TIMEOUT_SECS must be positive")]
    BodyTimeout,
    #[error("{0}")]
    Jobs(String),
    #[error("{0}")]
    Smtp(String),
}

pub const MIN_SECRET_LEN: usize = 32;

impl Settings {
    /// Settings for a given database with development defaults: for tests and tools.
    pub fn for_database(database_url: &str, data_dir: PathBuf) -> Self {
        Self {
            environment: Environment::Development,
            database_url: Some(database_url.to_owned()),
            data_dir,
            db_max_connections: None,
            bind_addr: "127.0.0.1:0".into(),
            http_workers: Some(1),
            jwt_secret: Some("test-secret-that-is-long-enough-0123456789".into()),
            access_token_ttl_minutes: 60,
            session_max_hours: 12,
            cors_origins: Vec::new(),
            trust_forwarded_for: false,
            metrics_token: None,
            seed_demo: true,
            seed_demo_work: false,
            firm_timezone: "Asia/Kolkata".into(),
            weekly_off_days: "SUN".into(),
            public_base_url: None,
            storage_url: None,
            max_upload_mb: 25,
            assignment_code_prefix: "VAL".into(),
            invoice_number_prefix: "INV".into(),
            client_body_timeout_secs: 30,
            log_format: LogFormat::Pretty,
            jobs_enabled: true,
            notify_interval_secs: 1,
            email_interval_secs: 1,
            sweep_interval_secs: 300,
            follow_up_interval_secs: 3600,
            follow_up_overdue_days: 7,
            digest_hour: 8,
            job_lease_secs: 120,
            smtp_url: None,
            smtp_from: "Zen Ops <zenops@localhost>".into(),
            email_daily_cap: 20,
            email_retry_secs: 60,
            app_url: None,
        }
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    fn data_dir_ready(&self) -> Result<(), ConfigError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|source| ConfigError::DataDir {
            path: self.data_dir.clone(),
            source,
        })
    }

    /// The database URL, defaulting to `DATA_DIR/zenops.db` (created on first start).
    pub fn database_url(&self) -> Result<String, ConfigError> {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => Ok(url.trim().to_owned()),
            _ => {
                self.data_dir_ready()?;
                let path = self.data_dir.join("zenops.db");
                Ok(format!("sqlite://{}?mode=rwc", path.display()))
            }
        }
    }

    /// The signing secret. Production insists on a strong configured one; development
    /// generates one on first start and keeps it, so tokens survive restarts.
    pub fn jwt_secret(&self) -> Result<String, ConfigError> {
        match &self.jwt_secret {
            Some(secret) if secret.len() >= MIN_SECRET_LEN => Ok(secret.clone()),
            _ if self.is_production() => Err(ConfigError::WeakSecret),
            Some(secret) if !secret.is_empty() => {
                tracing::warn!(
                    "JWT_SECRET is shorter than {MIN_SECRET_LEN} characters; fine for development only"
                );
                Ok(secret.clone())
            }
            _ => self.development_secret(),
        }
    }

    fn development_secret(&self) -> Result<String, ConfigError> {
        self.data_dir_ready()?;
        let path = self.data_dir.join("jwt_secret");
        let io = |source| ConfigError::DataDir {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(secret) if secret.trim().len() >= MIN_SECRET_LEN => Ok(secret.trim().to_owned()),
            _ => {
                let secret = format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                );
                std::fs::write(&path, &secret).map_err(io)?;
                tracing::info!(path = %path.display(), "generated a development JWT secret");
                Ok(secret)
            }
        }
    }

    pub fn firm_zone(&self) -> Result<zenops_domain::sla::FirmZone, ConfigError> {
        zenops_domain::sla::FirmZone::parse(&self.firm_timezone).map_err(ConfigError::TimeZone)
    }

    pub fn weekly_offs(&self) -> Result<zenops_domain::workdays::WeeklyOffs, ConfigError> {
        zenops_domain::workdays::WeeklyOffs::parse(&self.weekly_off_days)
            .map_err(ConfigError::WeeklyOffs)
    }

    /// The configured public address without a trailing slash, if any.
    pub fn public_base_url(&self) -> Result<Option<String>, ConfigError> {
        match self.public_base_url.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Ok(Some(url.trim_end_matches('/').to_owned()))
            }
            Some(_) => Err(ConfigError::PublicBaseUrl),
        }
    }

    /// The document store this configuration names.
    pub fn storage(
        &self,
    ) -> Result<std::sync::Arc<dyn zenops_domain::document::ObjectStorage>, ConfigError> {
        use zenops_infra::documents::StoreStorage;
        let storage = match self.storage_url.as_deref().map(str::trim) {
            None | Some("") => StoreStorage::local(&self.data_dir.join("uploads")),
            Some(url) if url.starts_with("s3://") => StoreStorage::s3(url),
            Some(url) if url.starts_with("file://") => {
                StoreStorage::local(std::path::Path::new(&url["file://".len()..]))
            }
            // Another scheme (`S3://`, `gs://`) is a mistake, not a directory name.
            Some(url) if url.contains("://") => Err(format!(
                "'{url}' is not s3://bucket[/prefix], file://path or a directory"
            )),
            Some(path) => StoreStorage::local(std::path::Path::new(path)),
        }
        .map_err(ConfigError::Storage)?;
        Ok(std::sync::Arc::new(storage))
    }

    /// The upload limit in bytes.
    pub fn max_upload_bytes(&self) -> Result<u64, ConfigError> {
        match self.max_upload_mb {
            1..=10_240 => Ok(self.max_upload_mb * 1024 * 1024),
            _ => Err(ConfigError::UploadLimit),
        }
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        if self.access_token_ttl_minutes <= 0 || self.session_max_hours <= 0 {
            return Err(ConfigError::Lifetimes);
        }
        if self.client_body_timeout_secs == 0 {
            return Err(ConfigError::BodyTimeout);
        }
        self.firm_zone()?;
        self.weekly_offs()?;
        self.public_base_url()?;
        self.max_upload_bytes()?;
        self.jobs()?;
        self.mailer()?;
        zenops_domain::assignment::AssignmentCode::new(&self.assignment_code_prefix, 2026, 1)
            .map_err(ConfigError::CodePrefix)?;
        zenops_domain::assignment::AssignmentCode::new(&self.invoice_number_prefix, 2026, 1)
            .map_err(ConfigError::CodePrefix)?;
        if self.is_production() {
            self.jwt_secret()?;
        }
        Ok(())
    }

    /// Who may read `/metrics`.
    pub fn metrics_access(&self) -> crate::metrics::MetricsAccess {
        use crate::metrics::MetricsAccess;
        match self.metrics_token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() => MetricsAccess::Token(token.to_owned()),
            _ if self.is_production() => MetricsAccess::Closed,
            _ => MetricsAccess::Open,
        }
    }

    /// The background jobs' timing and email rules.
    pub fn jobs(&self) -> Result<crate::jobs::JobSettings, ConfigError> {
        let positive = |name: &str, v: u64| {
            if (1..=86_400).contains(&v) {
                Ok(std::time::Duration::from_secs(v))
            } else {
                Err(ConfigError::Jobs(format!(
                    "{name} must be between 1 and 86400 seconds"
                )))
            }
        };
        if self.digest_hour > 23 {
            return Err(ConfigError::Jobs("DIGEST_HOUR must be 0 to 23".into()));
        }
        if !(1..=365).contains(&self.follow_up_overdue_days) {
            return Err(ConfigError::Jobs(
                "FOLLOW_UP_OVERDUE_DAYS must be 1 to 365".into(),
            ));
        }
        if !(1..=10_000).contains(&self.email_daily_cap) {
            return Err(ConfigError::Jobs(
                "EMAIL_DAILY_CAP must be 1 to 10000".into(),
            ));
        }
        let lease = positive("JOB_LEASE_SECS", self.job_lease_secs)?;
        Ok(crate::jobs::JobSettings {
            enabled: self.jobs_enabled,
            notify_every: positive("NOTIFY_INTERVAL_SECS", self.notify_interval_secs)?,
            email_every: positive("EMAIL_INTERVAL_SECS", self.email_interval_secs)?,
            sweep_every: positive("SWEEP_INTERVAL_SECS", self.sweep_interval_secs)?,
            follow_up_every: positive("FOLLOW_UP_INTERVAL_SECS", self.follow_up_interval_secs)?,
            follow_up_overdue_days: self.follow_up_overdue_days,
            digest_hour: self.digest_hour,
            lease: time::Duration::try_from(lease).map_err(|e| ConfigError::Jobs(e.to_string()))?,
            email: zenops_domain::notification::email::EmailPolicy {
                daily_cap: self.email_daily_cap,
                retry_after: time::Duration::seconds(
                    i64::try_from(self.email_retry_secs.min(86_400)).unwrap_or(60),
                ),
                ..Default::default()
            },
        })
    }

    /// The mailer: SMTP when `SMTP_URL` is set, the log otherwise.
    pub fn mailer(
        &self,
    ) -> Result<std::sync::Arc<dyn zenops_domain::notification::email::Mailer>, ConfigError> {
        let app_url = match self.app_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_owned())
            }
            Some(_) => {
                return Err(ConfigError::Smtp(
                    "APP_URL must start with http:// or https://".into(),
                ));
            }
        };
        match self.smtp_url.as_deref().map(str::trim) {
            None | Some("") => Ok(std::sync::Arc::new(zenops_infra::mail::LogMailer)),
            Some(url) => Ok(std::sync::Arc::new(
                zenops_infra::mail::SmtpMailer::new(url, &self.smtp_from, app_url)
                    .map_err(ConfigError::Smtp)?,
            )),
        }
    }

    /// Whether to seed an empty database with the demo firm.
    pub fn wants_demo_data(&self) -> Result<bool, ConfigError> {
        match (self.seed_demo, self.is_production()) {
            (true, true) => Err(ConfigError::DemoInProduction),
            (wanted, _) => Ok(wanted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/zenops"),
            "postgres://app:***@db:5432/zenops"
        );
        assert_eq!(redact_url("sqlite://data/z.db"), "sqlite://data/z.db");
    }

    #[test]
    fn metrics_are_open_in_development_closed_in_production_unless_a_token_is_set() {
        use crate::metrics::MetricsAccess;
        let mut s = Settings::for_database("sqlite::memory:", std::env::temp_dir());
        assert!(matches!(s.metrics_access(), MetricsAccess::Open));
        s.environment = Environment::Production;
        assert!(matches!(s.metrics_access(), MetricsAccess::Closed));
        s.metrics_token = Some(" scrape ".into());
        assert!(matches!(s.metrics_access(), MetricsAccess::Token(t) if t == "scrape"));
    }

    #[test]
    fn production_refuses_weak_secrets_and_demo_data() {
        let mut settings = Settings::for_database("sqlite::memory:", PathBuf::from("/nonexistent"));
        settings.environment = Environment::Production;
        settings.jwt_secret = Some("short".into());
        assert!(matches!(settings.check(), Err(ConfigError::WeakSecret)));
        settings.jwt_secret = None;
        assert!(matches!(
            settings.jwt_secret(),
            Err(ConfigError::WeakSecret)
        ));
        assert!(matches!(
            settings.wants_demo_data(),
            Err(ConfigError::DemoInProduction)
        ));
        settings.seed_demo = false;
        assert!(!settings.wants_demo_data().unwrap());
    }

    #[test]
    fn development_secret_is_generated_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_database("sqlite::memory:", dir.path().to_path_buf());
        settings.jwt_secret = None;
        let first = settings.jwt_secret().unwrap();
        assert!(first.len() >= MIN_SECRET_LEN);
        assert_eq!(settings.jwt_secret().unwrap(), first);
    }

    #[test]
    fn storage_takes_a_directory_or_s3_and_refuses_other_schemes() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_database("sqlite::memory:", dir.path().to_path_buf());
        assert!(settings.storage().is_ok());
        assert!(dir.path().join("uploads").is_dir());
        let elsewhere = dir.path().join("docs");
        settings.storage_url = Some(format!("file://{}", elsewhere.display()));
        assert!(settings.storage().is_ok());
        assert!(elsewhere.is_dir());
        for wrong in ["S3://bucket", "gs://bucket/x"] {
            settings.storage_url = Some(wrong.to_owned());
            assert!(
                matches!(settings.storage(), Err(ConfigError::Storage(_))),
                "{wrong}"
            );
        }
        settings.max_upload_mb = 0;
        assert!(matches!(
            settings.max_upload_bytes(),
            Err(ConfigError::UploadLimit)
        ));
    }
}
