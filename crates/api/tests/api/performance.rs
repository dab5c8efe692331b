//! Speed that stays right, and seen: substring search through the trigram indexes gives
//! what a plain scan of the same rows gives (the same cases run on SQLite and PostgreSQL,
//! so both databases answer alike), totals equal plain counts, pages neither skip nor
//! repeat rows while others create work, and `/metrics` reports requests, the pool, jobs
//! and throttled sign-ins.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::assignments::{bank_case, create};
use crate::helpers::*;

/// Every live assignment the admin sees, by paging the plain list.
async fn everything(app: &TestApp, token: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    loop {
        let page = expect(
            app.get(
                &format!("/api/assignments?limit=500&skip={}", rows.len()),
                token,
            )
            .await,
            200,
        )
        .await;
        let page = page.as_array().unwrap().clone();
        let done = page.len() < 500;
        rows.extend(page);
        if done {
            return rows;
        }
    }
}

/// The search rule applied by hand: the term, lower-cased, inside one of the searched
/// fields, lower-cased.
fn scanned(rows: &[Value], term: &str) -> BTreeSet<i64> {
    let term = term.to_lowercase();
    rows.iter()
        .filter(|r| {
            [
                "assignment_code",
                "borrower_name",
                "address",
                "bank_name",
                "valuer_client_name",
            ]
            .iter()
            .filter_map(|f| r[*f].as_str())
            .any(|v| v.to_lowercase().contains(&term))
        })
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

async fn searched(app: &TestApp, token: &str, term: &str) -> (BTreeSet<i64>, u64) {
    let query: String = url_encode(term);
    let response = app
        .get(&format!("/api/assignments?q={query}&limit=500"), token)
        .await;
    let total = response
        .headers()
        .get("x-total-count")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let rows = expect(response, 200).await;
    let ids = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    (ids, total)
}

fn url_encode(term: &str) -> String {
    term.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn search_through_the_index_finds_what_a_plain_scan_finds() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let borrowers = [
        "Anita Rao",
        "ÉMILE Zola",
        "Rao & Sons \"Quoted\"",
        "100% Pure_Ghee",
        "Kiran",
    ];
    let mut made = Vec::new();
    for borrower in borrowers {
        made.push(create(&app, &admin, &bank_case(borrower)).await);
    }
    let direct = create(
        &app,
        &admin,
        &json!({"case_type": "DIRECT_CLIENT", "client_id": 1, "property_type_id": 1,
                "borrower_name": "Walk In", "address": "Lake View Road"}),
    )
    .await;
    // A change of name is searchable at once; the old name is gone. A deleted assignment
    // is never found.
    let kiran = made[4]["id"].as_i64().unwrap();
    expect(
        app.patch(
            &format!("/api/assignments/{kiran}"),
            &admin,
            &json!({"borrower_name": "Kiranmayi Iyer"}),
        )
        .await,
        200,
    )
    .await;
    let anita = made[0]["id"].as_i64().unwrap();
    expect(
        app.delete(&format!("/api/assignments/{anita}"), &admin)
            .await,
        204,
    )
    .await;

    let rows = everything(&app, &admin).await;
    let code = direct["assignment_code"].as_str().unwrap().to_owned();
    let client = direct["valuer_client_name"].as_str().unwrap().to_owned();
    let bank = made[1]["bank_name"].as_str().unwrap().to_owned();
    let terms = [
        "rao",
        "RAO",
        "émile",
        "Émile zola",
        "\"quoted\"",
        "100%",
        "e_g",
        "_",
        "%",
        "ra",
        "o",
        "iyer",
        "kiranmayi",
        "lake view",
        // Across two fields (borrower, address): never a match.
        "zola\u{20}12",
        "walk in lake",
        "nobody at all",
        code.as_str(),
        &code[..code.len() - 1],
        client.as_str(),
        bank.as_str(),
    ];
    for term in terms {
        let expected = scanned(&rows, term);
        let (found, total) = searched(&app, &admin, term).await;
        assert_eq!(found, expected, "{term:?}");
        assert_eq!(total, expected.len() as u64, "{term:?}: X-Total-Count");
    }
    // The cases above are not empty by accident.
    assert_eq!(scanned(&rows, "rao").len(), 1, "Anita Rao is deleted");
    assert!(!scanned(&rows, "émile").is_empty());
    assert!(!scanned(&rows, "kiranmayi").is_empty());
    assert!(scanned(&rows, "kiran ").is_empty());
    assert!(!scanned(&rows, &code).is_empty());
    assert!(!scanned(&rows, &client).is_empty());
    assert!(scanned(&rows, "zola\u{20}12").is_empty());
}

#[tokio::test]
async fn totals_equal_plain_counts_and_pages_neither_skip_nor_repeat_under_inserts() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    for i in 0..30 {
        create(&app, &admin, &bank_case(&format!("Paged {i}"))).await;
    }
    let before = everything(&app, &admin).await;
    assert_eq!(total_of(&app, &admin, "").await, before.len());
    let (found, total) = searched(&app, &admin, "paged").await;
    assert_eq!((found.len(), total), (30, 30));

    // Oldest first, ten at a time, while new work is created between pages: every row
    // that existed at the start is seen exactly once.
    let mut seen = Vec::new();
    let mut skip = 0;
    loop {
        let page = expect(
            app.get(
                &format!("/api/assignments?limit=10&skip={skip}&sort_by=created_at&sort_dir=asc"),
                &admin,
            )
            .await,
            200,
        )
        .await;
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        skip += page.len();
        seen.extend(page.iter().map(|r| r["id"].as_i64().unwrap()));
        if skip <= before.len() {
            create(&app, &admin, &bank_case(&format!("Later {skip}"))).await;
        }
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a row came twice");
    let existing: BTreeSet<i64> = before.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(existing.is_subset(&unique), "a row was skipped");
}

/// `X-Total-Count` of a list.
async fn total_of(app: &TestApp, token: &str, query: &str) -> usize {
    let response = app
        .get(&format!("/api/assignments?{query}&limit=1"), token)
        .await;
    let total = response.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    expect(response, 200).await;
    total
}

/// Totals by status and bank (read from the tallies the database keeps) equal the rows a
/// full scan finds, through creates, status changes, a change of bank, a cancellation and
/// deletions; a caller who sees only their own work gets their own count.
#[tokio::test]
async fn tallied_totals_equal_plain_counts_through_every_kind_of_change() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let ops = app.login(OPS).await;
    // A branch of each bank.
    let branches = expect(app.get("/api/master/branches", &admin).await, 200).await;
    let branch_of = |bank: i64| {
        branches
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["bank_id"].as_i64() == Some(bank))
            .unwrap()["id"]
            .clone()
    };
    let mut ids = Vec::new();
    for i in 0..12 {
        let mut body = bank_case(&format!("Tally {i}"));
        body["bank_id"] = json!(1 + i % 3);
        body["branch_id"] = branch_of(1 + i % 3);
        ids.push(create(&app, &admin, &body).await["id"].as_i64().unwrap());
    }
    create(
        &app,
        &admin,
        &json!({"case_type": "DIRECT_CLIENT", "client_id": 1, "property_type_id": 1, "borrower_name": "No Bank"}),
    )
    .await;
    let patch = |id: i64, body: Value| {
        let (app, ops) = (&app, &ops);
        async move {
            expect(
                app.patch(&format!("/api/assignments/{id}"), ops, &body)
                    .await,
                200,
            )
            .await;
        }
    };
    for status in ["UNDER_PROCESS", "SUBMITTED", "COMPLETED"] {
        patch(ids[0], json!({"status": status})).await;
    }
    patch(ids[6], json!({"status": "SITE_VISIT"})).await;
    patch(ids[1], json!({"bank_id": 3, "branch_id": branch_of(3)})).await;
    patch(
        ids[3],
        json!({"status": "CANCELLED", "cancel_reason": "client withdrew"}),
    )
    .await;
    for id in [ids[4], ids[5]] {
        expect(
            app.delete(&format!("/api/assignments/{id}"), &admin).await,
            204,
        )
        .await;
    }

    let rows = everything(&app, &admin).await;
    let scan = |status: &dyn Fn(&str) -> bool, bank: Option<i64>| {
        rows.iter()
            .filter(|r| status(r["status"].as_str().unwrap()))
            .filter(|r| bank.is_none_or(|b| r["bank_id"].as_i64() == Some(b)))
            .count()
    };
    let open = |s: &str| !matches!(s, "COMPLETED" | "CANCELLED");
    let any = |_: &str| true;
    assert_eq!(total_of(&app, &admin, "").await, scan(&any, None));
    assert_eq!(
        total_of(&app, &admin, "completion=PENDING").await,
        scan(&open, None)
    );
    assert_eq!(
        total_of(&app, &admin, "completion=COMPLETED").await,
        scan(&|s: &str| !open(s), None)
    );
    for bank in 1..=3 {
        assert_eq!(
            total_of(&app, &admin, &format!("bank_id={bank}")).await,
            scan(&any, Some(bank)),
            "bank {bank}"
        );
        assert_eq!(
            total_of(&app, &admin, &format!("completion=PENDING&bank_id={bank}")).await,
            scan(&open, Some(bank)),
            "open work of bank {bank}"
        );
    }
    for status in [
        "PENDING",
        "SITE_VISIT",
        "COMPLETED",
        "CANCELLED",
        "SUBMITTED",
    ] {
        assert_eq!(
            total_of(&app, &admin, &format!("status={status}")).await,
            scan(&|s: &str| s == status, None),
            "{status}"
        );
    }
    assert_eq!(total_of(&app, &admin, "bank_id=999").await, 0);
    // The cases are not empty by accident.
    assert!(scan(&|s: &str| s == "COMPLETED", None) >= 1);
    assert!(scan(&|s: &str| s == "CANCELLED", None) >= 1);
    assert_eq!(
        scan(&any, Some(3)),
        4,
        "four of bank 3, one moved there, one deleted"
    );
    // Someone who sees only their own work is counted, not tallied.
    let assistant = app.login(ASSISTANT).await;
    let own = everything(&app, &assistant).await.len();
    assert_eq!(total_of(&app, &assistant, "").await, own);
    assert!(own < rows.len());
}

/// The value of the first sample of `name` whose labels contain every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn metrics_text(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_report_requests_by_route_the_pool_jobs_and_throttled_sign_ins() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let made = create(&app, &admin, &bank_case("Metered")).await;
    let id = made["id"].as_i64().unwrap();
    for _ in 0..3 {
        expect(
            app.get(&format!("/api/assignments/{id}"), &admin).await,
            200,
        )
        .await;
    }
    expect(app.get("/api/assignments/999999", &admin).await, 404).await;
    expect(app.get("/no/such/route/12345", &admin).await, 404).await;
    // An invented method is one `OTHER` series, whatever its name.
    app.client
        .request(
            reqwest::Method::from_bytes(b"FROBNICATE").unwrap(),
            app.url("/api/assignments"),
        )
        .send()
        .await
        .unwrap();
    // Six wrong sign-ins from one address: the sixth is throttled.
    for _ in 0..6 {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", "10.9.9.9")
            .form(&[("username", ASSISTANT), ("password", "wrong")])
            .send()
            .await
            .unwrap();
    }
    // The notifier runs every second in tests.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let (status, text) = metrics_text(&app, None).await;
    assert_eq!(status, 200);
    let by_id = [
        "method=\"GET\"",
        "route=\"/api/assignments/{id}\"",
        "status=\"200\"",
    ];
    assert!(
        sample(&text, "http_requests_total", &by_id).unwrap() >= 3.0,
        "{text}"
    );
    assert!(
        sample(&text, "http_request_duration_seconds_count", &by_id).unwrap() >= 3.0,
        "{text}"
    );
    assert!(
        sample(
            &text,
            "http_request_duration_seconds_bucket",
            &["route=\"/api/assignments/{id}\"", "le=\"10\""]
        )
        .is_some(),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "http_requests_total",
            &["route=\"/api/assignments/{id}\"", "status=\"404\""]
        )
        .is_some()
    );
    // Paths that match no route are one series, whatever they are.
    assert!(sample(&text, "http_requests_total", &["route=\"unmatched\""]).is_some());
    assert!(!text.contains("/no/such/route"), "{text}");
    assert!(sample(&text, "http_requests_total", &["method=\"OTHER\""]).is_some());
    assert!(!text.contains("FROBNICATE"), "{text}");
    assert!(
        sample(&text, "db_pool_connections", &[]).unwrap() >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "db_pool_idle_connections", &[]).is_some(),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "job_runs_total",
            &["job=\"notify\"", "outcome=\"ok\""]
        )
        .unwrap()
            >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "login_throttled_total", &[]).unwrap() >= 1.0,
        "{text}"
    );
}

#[tokio::test]
async fn metrics_ask_for_their_token_when_one_is_set() {
    let app = spawn_app_with(|s| s.metrics_token = Some("scrape-secret-1".into())).await;
    let admin = app.login(ADMIN).await;
    assert_eq!(metrics_text(&app, None).await.0, 401);
    assert_eq!(metrics_text(&app, Some("scrape-secret-2")).await.0, 401);
    // A user's token is not the scrape token.
    assert_eq!(metrics_text(&app, Some(&admin)).await.0, 401);
    let (status, text) = metrics_text(&app, Some("scrape-secret-1")).await;
    assert_eq!(status, 200);
    assert!(text.contains("http_requests_total"), "{text}");
}

/// The totals of lists over all work filtered by status and bank are read from the tallies
/// (a tally changed behind the server's back shows in them), and every other list is
/// counted (it does not).
#[tokio::test]
async fn status_and_bank_totals_come_from_the_tallies_and_others_are_counted() {
    use sea_orm::{ConnectionTrait, Database as SeaDatabase};

    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    for i in 0..3 {
        create(&app, &admin, &bank_case(&format!("Counted {i}"))).await;
    }
    let plain = |query: &'static str| total_of(&app, &admin, query);
    let (all, open, bank, branch) = (
        plain("").await,
        plain("completion=PENDING&bank_id=1").await,
        plain("bank_id=1").await,
        plain("branch_id=1").await,
    );
    assert_eq!((all, open, bank, branch), (3, 3, 3, 3));

    let db = SeaDatabase::connect(&app.settings.database_url().unwrap())
        .await
        .unwrap();
    db.execute_unprepared(
        "UPDATE assignment_tallies SET n = n + 1000 WHERE status = 'PENDING' AND bank_id = 1",
    )
    .await
    .unwrap();
    db.close().await.ok();
    assert_eq!(plain("").await, all + 1000);
    assert_eq!(plain("completion=PENDING&bank_id=1").await, open + 1000);
    assert_eq!(plain("bank_id=1").await, bank + 1000);
    // Counted: another filter, a search, someone's own work.
    assert_eq!(plain("branch_id=1").await, branch);
    assert_eq!(plain("bank_id=1&q=counted").await, 3);
    let ops = app.login(OPS).await;
    assert!(total_of(&app, &ops, "mine=true").await < 1000);
}
