//! The parts of the Zen Ops HTTP API the bench uses: sign-in, reference data and the
//! request shapes of each scenario.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const ADMIN_EMAIL: &str = "admin@zenops.local";
pub const ADMIN_PASSWORD: &str = "password";
pub const ASSIGNEE_EMAIL: &str = "assistant@zenops.local";

/// A client tuned for the bench: no proxy, keep-alive with enough idle connections for
/// every worker, bounded timeouts, and optionally a bearer token on every request.
pub fn client(concurrency: usize, token: Option<&str>) -> Result<Client> {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("the access token is not a valid header value")?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Client::builder()
        .no_proxy()
        .default_headers(headers)
        .pool_max_idle_per_host(concurrency.max(1) * 2)
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")
}

/// A client whose connections come from `local` (a loopback address such as 127.0.0.7):
/// the server throttles sign-ins per client address, so each signing-in client of the
/// sign-in scenario gets an address of its own.
pub fn client_from(local: IpAddr) -> Result<Client> {
    Client::builder()
        .no_proxy()
        .local_address(local)
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")
}

/// `POST /api/auth/login` as the demo admin (the sign-in scenario).
pub fn login_request(client: &Client, base: &str) -> RequestBuilder {
    client
        .post(format!("{base}/api/auth/login"))
        .form(&[("username", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
}

#[derive(Debug, Deserialize)]
struct LoginResponse {
    access_token: String,
}

/// `POST /api/auth/login` as a demo user; returns the access token.
pub async fn login_as(client: &Client, base: &str, email: &str) -> Result<String> {
    let response = client
        .post(format!("{base}/api/auth/login"))
        .form(&[("username", email), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .context("POST /api/auth/login")?;
    let login: LoginResponse = json_of(response, "POST /api/auth/login").await?;
    Ok(login.access_token)
}

/// `POST /api/auth/login` with the demo admin; returns the access token.
pub async fn login(client: &Client, base: &str) -> Result<String> {
    let response = client
        .post(format!("{base}/api/auth/login"))
        .form(&[("username", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .context("POST /api/auth/login")?;
    let login: LoginResponse = json_of(response, "POST /api/auth/login").await?;
    Ok(login.access_token)
}

async fn json_of<T: DeserializeOwned>(response: reqwest::Response, what: &str) -> Result<T> {
    let status = response.status();
    let body = response
        .bytes()
        .await
        .with_context(|| format!("{what}: reading the body"))?;
    if status != StatusCode::OK {
        bail!("{what}: {status}: {}", String::from_utf8_lossy(&body));
    }
    serde_json::from_slice(&body).with_context(|| format!("{what}: unexpected body"))
}

async fn get_json<T: DeserializeOwned>(client: &Client, base: &str, path: &str) -> Result<T> {
    let what = format!("GET {path}");
    let response = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .with_context(|| what.clone())?;
    json_of(response, &what).await
}

#[derive(Debug, Clone, Deserialize)]
pub struct Bank {
    pub id: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Branch {
    pub id: i64,
    pub bank_id: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PropertyType {
    pub id: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DirectoryEntry {
    pub id: i64,
    pub email: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A bank with the branches that belong to it.
#[derive(Debug, Clone)]
pub struct BankBranches {
    pub bank_id: i64,
    pub branch_ids: Vec<i64>,
}

/// The master data the create scenario rotates through.
#[derive(Debug, Clone)]
pub struct Reference {
    pub banks: Vec<BankBranches>,
    pub property_type_ids: Vec<i64>,
    pub assignee_id: i64,
    pub counts: ReferenceCounts,
}

#[derive(Debug, Clone, Copy)]
pub struct ReferenceCounts {
    pub banks: usize,
    pub branches: usize,
    pub property_types: usize,
    pub users: usize,
}

impl Reference {
    pub async fn fetch(client: &Client, base: &str) -> Result<Self> {
        let banks: Vec<Bank> = get_json(client, base, "/api/master/banks").await?;
        let branches: Vec<Branch> = get_json(client, base, "/api/master/branches").await?;
        let types: Vec<PropertyType> = get_json(client, base, "/api/master/property-types").await?;
        let users: Vec<DirectoryEntry> =
            get_json(client, base, "/api/auth/users/directory").await?;
        let counts = ReferenceCounts {
            banks: banks.len(),
            branches: branches.len(),
            property_types: types.len(),
            users: users.len(),
        };
        let with_branches: Vec<BankBranches> = banks
            .iter()
            .filter_map(|bank| {
                let branch_ids: Vec<i64> = branches
                    .iter()
                    .filter(|b| b.bank_id == bank.id)
                    .map(|b| b.id)
                    .collect();
                (!branch_ids.is_empty()).then_some(BankBranches {
                    bank_id: bank.id,
                    branch_ids,
                })
            })
            .collect();
        if with_branches.is_empty() {
            bail!(
                "no bank has a branch ({} banks, {} branches): is the demo data seeded?",
                banks.len(),
                branches.len()
            );
        }
        if types.is_empty() {
            bail!("no property types: is the demo data seeded?");
        }
        let assignee = users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(ASSIGNEE_EMAIL))
            .with_context(|| {
                let known: Vec<String> = users
                    .iter()
                    .map(|u| format!("{} {:?}", u.email, u.roles))
                    .collect();
                format!("no user {ASSIGNEE_EMAIL} in the directory; have: {known:?}")
            })?;
        Ok(Self {
            banks: with_branches,
            property_type_ids: types.iter().map(|t| t.id).collect(),
            assignee_id: assignee.id,
            counts,
        })
    }

    /// The bank ids that have branches (and so get assignments).
    pub fn bank_ids(&self) -> Vec<i64> {
        self.banks.iter().map(|b| b.bank_id).collect()
    }
}

/// Request bodies of the create scenario, with dates fixed when the run starts.
#[derive(Debug, Clone)]
pub struct AssignmentFactory {
    reference: Reference,
    site_visit_date: String,
    report_due_date: String,
    /// Report due dates from ten days late to ten days ahead instead of all in three days.
    spread: Option<OffsetDateTime>,
}

impl AssignmentFactory {
    pub fn new(reference: Reference, spread_due_dates: bool) -> Result<Self> {
        let now = OffsetDateTime::now_utc();
        Ok(Self {
            reference,
            site_visit_date: (now + time::Duration::days(1)).format(&Rfc3339)?,
            report_due_date: (now + time::Duration::days(3)).format(&Rfc3339)?,
            spread: spread_due_dates.then_some(now),
        })
    }

    /// The body of the `index`-th assignment: banks, their branches and property types
    /// rotate so the data is spread over every combination.
    pub fn body(&self, index: usize) -> serde_json::Value {
        let banks = &self.reference.banks;
        let bank = &banks[index % banks.len()];
        let branch_id = bank.branch_ids[(index / banks.len()) % bank.branch_ids.len()];
        let types = &self.reference.property_type_ids;
        let property_type_id = types[index % types.len()];
        let (site_visit_date, report_due_date) = match self.spread {
            None => (self.site_visit_date.clone(), self.report_due_date.clone()),
            Some(now) => {
                let days = i64::try_from(index % 21).unwrap_or(0) - 10;
                let due = now + time::Duration::days(days);
                (
                    (due - time::Duration::days(2))
                        .format(&Rfc3339)
                        .unwrap_or_default(),
                    due.format(&Rfc3339).unwrap_or_default(),
                )
            }
        };
        serde_json::json!({
            "case_type": "BANK",
            "service_line": "VALUATION",
            "bank_id": bank.bank_id,
            "branch_id": branch_id,
            "property_type_id": property_type_id,
            "borrower_name": format!("Bench Borrower {index}"),
            "address": format!("{index} Bench Street"),
            "phone": "9000000000",
            "assigned_to_user_id": self.reference.assignee_id,
            "site_visit_date": site_visit_date,
            "report_due_date": report_due_date,
            "fees": "4500.00",
            "notes": "bench",
        })
    }
}

/// Checks a create response: it must carry an integer `id` and an `assignment_code`.
pub fn created_id(body: &[u8]) -> std::result::Result<i64, String> {
    #[derive(Deserialize)]
    struct Created {
        id: i64,
        assignment_code: String,
    }
    match serde_json::from_slice::<Created>(body) {
        Ok(created) if !created.assignment_code.is_empty() => Ok(created.id),
        Ok(_) => Err("created, but assignment_code is empty".to_owned()),
        Err(e) => Err(format!(
            "created, but the body lacks id/assignment_code ({e}): {}",
            String::from_utf8_lossy(body)
        )),
    }
}

/// Checks an answer that must carry an integer `id` (an invoice drafted or issued).
pub fn record_id(body: &[u8]) -> std::result::Result<i64, String> {
    #[derive(Deserialize)]
    struct Record {
        id: i64,
    }
    serde_json::from_slice::<Record>(body)
        .map(|r| r.id)
        .map_err(|e| {
            format!(
                "the body lacks an id ({e}): {}",
                String::from_utf8_lossy(body)
            )
        })
}

/// `POST /api/assignments`.
pub fn create_request(client: &Client, base: &str, body: &serde_json::Value) -> RequestBuilder {
    client.post(format!("{base}/api/assignments")).json(body)
}
