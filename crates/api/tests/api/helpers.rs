//! `spawn_app()`: the real server on a random port over a fresh database of its own.
//!
//! SQLite (default): one database file is migrated and seeded once per test run and copied
//! for each test. PostgreSQL (`TEST_DATABASE_URL=postgres://…/postgres`): one template
//! database is migrated and seeded once per run; each test gets `CREATE DATABASE … TEMPLATE`
//! and drops it when it ends.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::{Method, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database as SeaDatabase};
use serde_json::{Value, json};
use tempfile::TempDir;
use zenops_api::{Application, Settings};

pub const DEMO_PASSWORD: &str = "password";

/// The demo firm's users, by role, as seeded.
pub const ADMIN: &str = "admin@zenops.local";
pub const OPS: &str = "ops@zenops.local";
pub const HR: &str = "hr@zenops.local";
pub const FINANCE: &str = "finance@zenops.local";
pub const ASSISTANT: &str = "assistant@zenops.local";
pub const FIELD: &str = "field@zenops.local";
pub const EMPLOYEE: &str = "employee@zenops.local";
pub const EVERY_ROLE: [(&str, &str); 7] = [
    ("ADMIN", ADMIN),
    ("OPS_MANAGER", OPS),
    ("HR", HR),
    ("FINANCE", FINANCE),
    ("ASSISTANT_VALUER", ASSISTANT),
    ("FIELD_VALUER", FIELD),
    ("EMPLOYEE", EMPLOYEE),
];

enum Backend {
    Sqlite {
        template: PathBuf,
    },
    Postgres {
        server_url: String,
        template: String,
    },
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `postgres://user@host:port/db` → the same server with another database.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = server_url
        .split_once('?')
        .map_or((server_url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs an async block to completion on a private runtime, so that set-up shared by every
/// test (and clean-up in `Drop`) does not depend on any one test's runtime.
fn block_on<F: std::future::Future<Output = T> + Send + 'static, T: Send + 'static>(
    future: F,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(future)
    })
    .join()
    .expect("set-up thread panicked")
}

async fn prepare_template(url: String, data_dir: PathBuf) {
    let settings = Settings::for_database(&url, data_dir);
    let db = zenops_api::startup::prepare_database(&settings)
        .await
        .expect("migrate and seed the template");
    if db.kind == zenops_infra::DatabaseKind::Sqlite {
        db.conn
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .expect("checkpoint");
    }
    db.close().await.expect("close template");
}

fn backend() -> &'static Backend {
    static BACKEND: OnceLock<Backend> = OnceLock::new();
    BACKEND.get_or_init(|| match std::env::var("TEST_DATABASE_URL") {
        Ok(server_url) if server_url.starts_with("postgres") => {
            let template = format!(
                "zenops_tpl_{}_{}",
                unix_now(),
                uuid::Uuid::new_v4().simple()
            );
            let admin_url = server_url.clone();
            let name = template.clone();
            block_on(async move {
                let admin = SeaDatabase::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                drop_stale_databases(&admin).await;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create template database");
                admin.close().await.ok();
                let dir = std::env::temp_dir();
                prepare_template(with_database(&admin_url, &name), dir).await;
            });
            Backend::Postgres {
                server_url,
                template,
            }
        }
        _ => {
            // Kept for the whole run; the OS temp dir is cleaned by the system.
            let dir = TempDir::new().expect("temp dir").keep();
            let template = dir.join("template.db");
            let url = format!("sqlite://{}?mode=rwc", template.display());
            block_on(prepare_template(url, dir));
            Backend::Sqlite { template }
        }
    })
}

/// Databases left behind by runs that were killed (named with their creation time).
async fn drop_stale_databases(admin: &sea_orm::DatabaseConnection) {
    let cutoff = unix_now().saturating_sub(6 * 3600);
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'zenops_t%'",
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let created = name
            .split('_')
            .nth(2)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        if created < cutoff {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
        }
    }
}

/// Removes the test's database when the test ends, pass or fail.
enum DbGuard {
    Sqlite(#[allow(dead_code)] TempDir),
    Postgres { server_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { server_url, name } = self {
            let (url, name) = (server_url.clone(), name.clone());
            block_on(async move {
                if let Ok(admin) = SeaDatabase::connect(&url).await {
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok();
                    admin.close().await.ok();
                }
            });
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    _db: DbGuard,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after `adjust` has changed its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    // `TEST_LOG=1` shows the server's logs (with RUST_LOG) while debugging a test.
    if std::env::var_os("TEST_LOG").is_some() {
        zenops_api::telemetry::init(zenops_api::config::LogFormat::Pretty);
    }
    let data_dir = TempDir::new().expect("temp dir");
    let (url, guard) = match backend() {
        Backend::Sqlite { template } => {
            let file = data_dir.path().join("zenops.db");
            std::fs::copy(template, &file).expect("copy template database");
            (format!("sqlite://{}?mode=rwc", file.display()), None)
        }
        Backend::Postgres {
            server_url,
            template,
        } => {
            let name = format!(
                "zenops_test_{}_{}",
                unix_now(),
                uuid::Uuid::new_v4().simple()
            );
            let (admin_url, sql) = (
                server_url.clone(),
                format!("CREATE DATABASE {name} TEMPLATE {template}"),
            );
            block_on(async move {
                let admin = SeaDatabase::connect(&admin_url).await.expect("connect");
                admin
                    .execute_unprepared(&sql)
                    .await
                    .expect("create test database");
                admin.close().await.ok();
            });
            let guard = DbGuard::Postgres {
                server_url: server_url.clone(),
                name: name.clone(),
            };
            (with_database(server_url, &name), Some(guard))
        }
    };
    let mut settings = Settings::for_database(&url, data_dir.path().to_path_buf());
    settings.db_max_connections = Some(4);
    adjust(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        settings,
        _db: guard.unwrap_or(DbGuard::Sqlite(data_dir)),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Starts another server on this app's database, as a second instance behind a load
    /// balancer would run; returns its address. It stops when the test's runtime does.
    pub async fn another_instance(&self) -> String {
        let app = Application::build(self.settings.clone())
            .await
            .expect("build a second instance");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// Signs in with the OAuth2 form, as the frontend does; returns the token.
    pub async fn login(&self, email: &str) -> String {
        self.login_with(email, DEMO_PASSWORD).await
    }

    pub async fn login_with(&self, email: &str, password: &str) -> String {
        let response = self.login_form(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email} failed");
        let body: Value = response.json().await.expect("json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn login_form(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/auth/login"))
            .form(&[("username", email), ("password", password)])
            .send()
            .await
            .expect("request")
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// The id of a demo user by email.
    pub async fn user_id(&self, token: &str, email: &str) -> i64 {
        let users: Value = self
            .get("/api/auth/users/directory?include_inactive=true", token)
            .await
            .json()
            .await
            .expect("json");
        users
            .as_array()
            .expect("array")
            .iter()
            .find(|u| u["email"] == email)
            .and_then(|u| u["id"].as_i64())
            .unwrap_or_else(|| panic!("no user {email}"))
    }
}

/// Asserts the status and returns the JSON body (or `null` for an empty one).
pub async fn expect(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("json body")
    }
}

/// A password that satisfies the policy.
pub const STRONG_PASSWORD: &str = "Valuation#2026x";

pub fn new_user(email: &str, role: &str) -> Value {
    json!({"email": email, "password": STRONG_PASSWORD, "full_name": "New Person", "role": role})
}
