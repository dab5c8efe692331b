//! Hostile input: dates outside the accepted range, control characters, oversized text.
//! Each is refused with a JSON 4xx, changes nothing, and leaves everyone's views working.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database as SeaDatabase, DbBackend, Statement};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use zenops_domain::instant::{self, Instant};
use zenops_domain::text::limits;

use crate::assignments::{bank_case, create};
use crate::helpers::*;

/// Asserts a 4xx with the `{detail, code}` body and returns the body.
async fn refused(response: reqwest::Response, status: u16) -> Value {
    let body = expect(response, status).await;
    assert!(body["detail"].is_string(), "no detail: {body}");
    assert!(body["code"].is_string(), "no code: {body}");
    body
}

fn field_names(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every shared view still answers for the admin (a stored bad value would break them).
async fn views_still_work(app: &TestApp, admin: &str, id: i64) {
    for path in [
        "/api/assignments".to_owned(),
        "/api/assignments/with-due".to_owned(),
        "/api/calendar/events".to_owned(),
        "/api/tasks/my".to_owned(),
        "/api/dashboard/overview".to_owned(),
        format!("/api/assignments/{id}"),
        format!("/api/assignments/{id}/detail"),
        format!("/api/assignments/{id}/tasks"),
    ] {
        expect(app.get(&path, admin).await, 200).await;
    }
}

/// A field valuer's own assignment, made by the admin.
async fn field_assignment(app: &TestApp, admin: &str) -> Value {
    let field = app.user_id(admin, FIELD).await;
    let mut body = bank_case("Own Case");
    body["assigned_to_user_id"] = json!(field);
    create(app, admin, &body).await
}

const OUT_OF_RANGE: [&str; 8] = [
    "-0001-01-01",
    "0000-01-01",
    "1899-12-31",
    "2201-01-01",
    "10000-01-01",
    "9999-12-31T23:59:59-01:00",
    "0000-01-01T00:00:00+23:59",
    "-0001-01-01T10:00",
];

#[tokio::test]
async fn dates_outside_the_range_are_422_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.login(FIELD).await;
    let own = field_assignment(&app, &admin).await;
    let id = own["id"].as_i64().unwrap();
    let path = format!("/api/assignments/{id}");
    for bad in OUT_OF_RANGE {
        for name in ["site_visit_date", "report_due_date"] {
            let body = refused(app.patch(&path, &field, &json!({ name: bad })).await, 422).await;
            assert_eq!(field_names(&body), [name], "{bad}: {body}");
        }
        let mut new = bank_case("Never Stored");
        new["report_due_date"] = json!(bad);
        let body = refused(app.post("/api/assignments", &admin, &new).await, 422).await;
        assert_eq!(field_names(&body), ["report_due_date"], "{bad}: {body}");
        let task = json!({"title": "Visit", "due_at": bad});
        let body = refused(app.post(&format!("{path}/tasks"), &admin, &task).await, 422).await;
        assert_eq!(field_names(&body), ["due_at"], "{bad}: {body}");
    }
    let after = expect(app.get(&path, &admin).await, 200).await;
    assert_eq!(after["site_visit_date"], own["site_visit_date"]);
    assert_eq!(after["report_due_date"], own["report_due_date"]);
    assert_eq!(after["updated_at"], own["updated_at"]);
    let tasks = expect(app.get(&format!("{path}/tasks"), &admin).await, 200).await;
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["title"] != "Visit")
    );
    let list = expect(app.get("/api/assignments?limit=500", &admin).await, 200).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|a| a["borrower_name"] != "Never Stored")
    );
    views_still_work(&app, &admin, id).await;
}

#[tokio::test]
async fn time_filters_outside_the_range_are_422_naming_the_parameter() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    for bad in [
        "9999-12-31T23:59:59-01:00",
        "0000-01-01T00:00:00%2B23:59",
        "1899-12-31T23:59:59Z",
        "2201-01-01T00:00:00Z",
        "yesterday",
    ] {
        for (path, name) in [
            ("/api/assignments", "created_from"),
            ("/api/assignments", "created_to"),
            ("/api/assignments/with-due", "created_from"),
            ("/api/activities", "created_from"),
            ("/api/activity", "created_to"),
            ("/api/calendar/events", "start_from"),
            ("/api/calendar/events", "start_to"),
            ("/api/tasks/my", "due_from"),
            ("/api/tasks/my", "due_to"),
        ] {
            let body = refused(app.get(&format!("{path}?{name}={bad}"), &admin).await, 422).await;
            assert_eq!(field_names(&body), [name], "{path}?{name}={bad}: {body}");
        }
    }
}

#[tokio::test]
async fn control_characters_are_refused_in_bodies_and_queries() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let own = field_assignment(&app, &admin).await;
    let id = own["id"].as_i64().unwrap();
    let nul = "ad\u{0}min";
    let cases: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::PATCH,
            "/api/auth/me".into(),
            json!({"full_name": nul}),
            "full_name",
        ),
        (
            Method::PATCH,
            "/api/auth/me".into(),
            json!({"phone": "98\u{7}"}),
            "phone",
        ),
        (
            Method::POST,
            "/api/auth/users".into(),
            {
                let mut u = new_user("nul@zenops.local", "EMPLOYEE");
                u["full_name"] = json!(nul);
                u
            },
            "full_name",
        ),
        (
            Method::POST,
            "/api/auth/users".into(),
            new_user("a\u{0}b@zenops.local", "EMPLOYEE"),
            "email",
        ),
        (
            Method::PATCH,
            format!("/api/assignments/{id}"),
            json!({"borrower_name": nul}),
            "borrower_name",
        ),
        (
            Method::PATCH,
            format!("/api/assignments/{id}"),
            json!({"notes": "a\u{1b}[31m"}),
            "notes",
        ),
        (
            Method::PATCH,
            format!("/api/assignments/{id}"),
            json!({"floors": [{"floor_name": nul, "area": 10}]}),
            "floors[0].floor_name",
        ),
        (
            Method::POST,
            format!("/api/assignments/{id}/tasks"),
            json!({"title": nul}),
            "title",
        ),
        (
            Method::POST,
            format!("/api/assignments/{id}/tasks"),
            json!({"title": "Visit", "description": nul}),
            "description",
        ),
        (
            Method::POST,
            format!("/api/assignments/{id}/messages"),
            json!({"message": nul}),
            "message",
        ),
        (
            Method::POST,
            "/api/master/banks".into(),
            json!({"name": nul}),
            "name",
        ),
        (
            Method::POST,
            "/api/master/clients".into(),
            json!({"name": "Client", "contact_name": nul}),
            "contact_name",
        ),
    ];
    for (method, path, body, field) in cases {
        let response = app
            .request(method.clone(), &path, Some(&admin), Some(&body))
            .await;
        let answer = refused(response, 422).await;
        assert_eq!(field_names(&answer), [field], "{method} {path}: {answer}");
    }
    // Tab and newline are text; a Windows line end is kept as a newline.
    let kept = expect(
        app.patch(
            &format!("/api/assignments/{id}"),
            &admin,
            &json!({"notes": "first\r\n\tsecond"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(kept["notes"], "first\n\tsecond");
    for path in [
        "/api/assignments?q=%00",
        "/api/assignments?search=a%0Ab",
        "/api/assignments/with-due?q=%00",
        "/api/activities?type=%00",
        "/api/master/banks?q=%7F",
        "/api/assignments/1%00",
    ] {
        refused(app.get(path, &admin).await, 422).await;
    }
    views_still_work(&app, &admin, id).await;
}

#[tokio::test]
async fn oversized_text_is_refused_at_the_column_limit() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let own = field_assignment(&app, &admin).await;
    let id = own["id"].as_i64().unwrap();
    let over = |n: usize| "x".repeat(n + 1);
    let at = |n: usize| "é".repeat(n);
    let cases: Vec<(Method, String, &str, usize)> = vec![
        (
            Method::PATCH,
            "/api/auth/me".into(),
            "full_name",
            limits::NAME,
        ),
        (Method::PATCH, "/api/auth/me".into(), "phone", limits::CODE),
        (
            Method::PATCH,
            format!("/api/assignments/{id}"),
            "borrower_name",
            limits::NAME,
        ),
        (
            Method::PATCH,
            format!("/api/assignments/{id}"),
            "address",
            limits::ADDRESS,
        ),
        (
            Method::PATCH,
            format!("/api/assignments/{id}"),
            "notes",
            limits::LONG,
        ),
        (
            Method::POST,
            "/api/master/banks".into(),
            "name",
            limits::NAME,
        ),
    ];
    for (method, path, field, limit) in cases {
        let body = json!({ field: over(limit) });
        let answer = refused(
            app.request(method.clone(), &path, Some(&admin), Some(&body))
                .await,
            422,
        )
        .await;
        assert_eq!(field_names(&answer), [field], "{method} {path}: {answer}");
        // Exactly at the limit (in characters, not bytes) is accepted.
        if method == Method::PATCH {
            let body = json!({ field: at(limit) });
            let stored = expect(
                app.request(method, &path, Some(&admin), Some(&body)).await,
                200,
            )
            .await;
            assert_eq!(
                stored[field].as_str().map(|s| s.chars().count()),
                Some(limit)
            );
        }
    }
    // A megabyte is refused before it reaches the rules, still as JSON.
    let response = app
        .patch(
            "/api/auth/me",
            &admin,
            &json!({"full_name": "x".repeat(1 << 20)}),
        )
        .await;
    let status = response.status().as_u16();
    assert!(status == 413 || status == 422, "{status}");
    refused(response, status).await;
    let me = expect(app.get("/api/auth/me", &admin).await, 200).await;
    assert_eq!(
        me["full_name"].as_str().map(|s| s.chars().count()),
        Some(limits::NAME)
    );
}

/// Which domain limit guards each text column, or why none is needed (the server writes
/// it). A new text column fails this test until it is listed here with its limit.
fn column_limit(table: &str, column: &str) -> Result<Option<usize>, String> {
    use zenops_domain::{approval, calendar, document, message, task};
    let limit = match (table, column) {
        ("users", "email") => Some(limits::NAME),
        ("users", "full_name") => Some(limits::NAME),
        ("users", "phone") => Some(limits::CODE),
        ("users", "password_hash" | "roles" | "capability_overrides" | "session_kept_id") => None,
        ("revoked_sessions", "session_id") => None,
        ("login_failures", "account" | "address") => None,
        (
            "banks",
            "name" | "account_name" | "account_bank_name" | "account_branch_name" | "upi_id",
        ) => Some(limits::NAME),
        ("banks", "code") => Some(limits::CODE),
        ("banks", "account_number") => Some(limits::ACCOUNT_NUMBER),
        ("banks", "ifsc") => Some(limits::IFSC),
        ("banks", "invoice_notes") => Some(limits::NOTE),
        ("branches", "name") => Some(limits::NAME),
        ("branches", "code") => Some(limits::CODE),
        ("branches", "city" | "state") => Some(limits::SHORT),
        ("clients", "name" | "contact_name" | "contact_email") => Some(limits::NAME),
        ("clients", "client_type") => Some(limits::SHORT),
        ("clients", "contact_phone") => Some(limits::CODE),
        ("property_types" | "property_subtypes", "name") => Some(limits::NAME),
        ("property_types" | "property_subtypes", "description") => Some(limits::NOTE),
        ("company_accounts", "account_name" | "bank_name" | "branch_name" | "upi_id") => {
            Some(limits::NAME)
        }
        ("company_accounts", "account_number") => Some(limits::ACCOUNT_NUMBER),
        ("company_accounts", "ifsc_code") => Some(limits::IFSC),
        ("company_accounts", "notes") => Some(limits::NOTE),
        ("calendar_labels", "name") => Some(limits::NAME),
        ("calendar_labels", "description") => Some(limits::NOTE),
        ("calendar_labels", "default_event_type") => None,
        ("doc_templates", "category") => Some(limits::SHORT),
        ("doc_templates", "notes") => Some(limits::NOTE),
        ("doc_templates", "case_type") => None,
        ("assignments", "valuer_client_name" | "borrower_name") => Some(limits::NAME),
        ("assignments", "phone") => Some(limits::CODE),
        ("assignments", "address") => Some(limits::ADDRESS),
        ("assignments", "notes" | "cancel_reason") => Some(limits::LONG),
        // Kept by triggers from `assignments.status`.
        ("assignment_tallies", "status") => None,
        // Codes, enums, copies of master-data names and the search document, written by
        // the server.
        (
            "assignments",
            "assignment_code"
            | "search_text"
            | "case_type"
            | "service_line"
            | "status"
            | "bank_name"
            | "branch_name"
            | "property_type_name"
            | "property_subtype_name",
        ) => None,
        ("assignment_floors", "floor_name") => Some(limits::SHORT),
        ("assignment_tasks", "title") => Some(task::TITLE_MAX_CHARS),
        ("assignment_tasks", "description") => Some(task::DESCRIPTION_MAX_CHARS),
        ("assignment_tasks", "template_type") => Some(task::TEMPLATE_TYPE_MAX_CHARS),
        ("assignment_tasks", "status") => None,
        ("assignment_messages", "message") => Some(message::MESSAGE_MAX_CHARS),
        ("assignment_messages", "mentions") => None,
        ("activity_logs", "type" | "message" | "payload_json") => None,
        ("calendar_events", "title") => Some(limits::NAME),
        ("calendar_events", "description") => Some(limits::NOTE),
        ("calendar_events", "payload_json") => Some(calendar::PAYLOAD_MAX_CHARS),
        ("calendar_events", "event_type" | "assigned_user_ids") => None,
        ("leave_requests", "reason" | "decision_comment") => Some(limits::NOTE),
        // Dates are declared as text on SQLite.
        (
            "leave_requests",
            "leave_type" | "half_day_session" | "status" | "start_date" | "end_date",
        ) => None,
        ("holidays", "name") => Some(limits::NAME),
        ("holidays", "holiday_date") => None,
        // A SHA-256 in hex, written by the server.
        ("calendar_feed_tokens", "token_hash") => None,
        ("assignment_documents" | "invoice_attachments", "original_name") => {
            Some(document::NAME_MAX_CHARS)
        }
        (
            "assignment_documents" | "invoice_attachments" | "document_version_counters",
            "category",
        ) => Some(document::CATEGORY_MAX_CHARS),
        ("assignment_documents", "review_note") => Some(document::NOTE_MAX_CHARS),
        // Server-made keys, sniffed types, checksums and enums.
        ("assignment_documents" | "invoice_attachments", "object_key" | "mime_type" | "sha256") => {
            None
        }
        ("assignment_documents", "review_status" | "visibility") => None,
        ("approvals", "reason") => Some(limits::LONG),
        ("approvals", "decision_comment") => Some(approval::COMMENT_MAX_CHARS),
        // Enums and the action's parameters, written by the server from typed values.
        ("approvals", "entity_type" | "action_type" | "status" | "payload_json") => None,
        ("company_profiles", "legal_name" | "tagline" | "contact_email" | "website") => {
            Some(limits::NAME)
        }
        ("company_profiles", "address") => Some(limits::ADDRESS),
        ("company_profiles", "state_name") => Some(limits::SHORT),
        ("company_profiles", "state_code" | "gstin" | "pan" | "contact_phone") => {
            Some(limits::CODE)
        }
        ("invoices", "bill_to_name") => Some(limits::NAME),
        ("invoices", "bill_to_address") => Some(limits::ADDRESS),
        ("invoices", "bill_to_gstin") => Some(limits::CODE),
        ("invoices", "place_of_supply") => Some(limits::SHORT),
        ("invoices", "terms" | "notes" | "void_reason") => Some(limits::LONG),
        // Numbers, enums and the currency, written by the server.
        (
            "invoices",
            "invoice_number" | "status" | "stage" | "currency" | "assignment_code" | "search_text",
        ) => None,
        // Dates (SQLite keeps them as text), parsed by the server.
        ("invoices", "issued_date" | "due_date") => None,
        ("invoice_items", "description") => Some(limits::NAME),
        ("invoice_payments", "reference_no") => Some(limits::SHORT),
        ("invoice_payments", "notes") => Some(limits::LONG),
        ("invoice_payments", "mode") => None,
        ("invoice_adjustments", "reason") => Some(limits::LONG),
        ("invoice_adjustments", "adjustment_type" | "credit_note_number") => None,
        ("invoice_audit_logs", "event_type" | "diff_json") => None,
        // The key is checked to at most 128 visible characters (the column's width); the
        // rest is written by the server.
        ("idempotency_keys", "key") => Some(128),
        ("idempotency_keys", "scope" | "fingerprint" | "response") => None,
        ("assignment_code_counters" | "credit_note_counters" | "seaql_migrations", _) => None,
        // Made by the server from typed values: types, messages, payloads, keys, states.
        ("notifications", "type" | "message" | "payload_json" | "dedup_key") => None,
        (
            "notification_deliveries",
            "type" | "channel" | "status" | "provider_message_id" | "error",
        ) => None,
        ("user_notification_prefs", "per_type_json") => None,
        ("job_leases", "job" | "holder" | "last_result") => None,
        ("task_templates", "name") => Some(limits::NAME),
        // Enums, and the tasks as JSON written from checked values (titles 255, notes).
        (
            "task_templates",
            "trigger_event" | "trigger_status" | "case_type" | "service_line" | "tasks_json",
        ) => None,
        ("task_template_runs", "trigger_key") => None,
        _ => return Err(format!("{table}.{column} has no limit listed")),
    };
    Ok(limit)
}

#[tokio::test]
async fn every_text_column_has_a_domain_limit_that_fits_it() {
    let app = spawn_app().await;
    let url = app.settings.database_url().unwrap();
    let db = SeaDatabase::connect(&url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        // Declared types: SeaORM writes `varchar(n)` for a bounded string, `text` otherwise.
        DbBackend::Sqlite => {
            "SELECT m.name AS t, p.name AS c, lower(p.type) AS ty FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name AS t, column_name AS c, \
             CASE WHEN character_maximum_length IS NULL THEN data_type \
             ELSE 'varchar(' || character_maximum_length || ')' END AS ty \
             FROM information_schema.columns WHERE table_schema = 'public'"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    let mut checked = 0;
    let mut problems = Vec::new();
    for row in rows {
        let table: String = row.try_get("", "t").unwrap();
        let column: String = row.try_get("", "c").unwrap();
        let ty: String = row.try_get("", "ty").unwrap();
        let ty = ty.to_lowercase();
        let width = ty
            .strip_prefix("varchar(")
            .or_else(|| ty.strip_prefix("character varying("))
            .and_then(|rest| rest.trim_end_matches(')').parse::<usize>().ok());
        // SQLite declares timestamps as `timestamp_with_timezone_text`.
        let textual = (ty.contains("text") || ty.contains("char")) && !ty.contains("time");
        if width.is_none() && !textual {
            continue;
        }
        checked += 1;
        match column_limit(&table, &column) {
            Err(problem) => problems.push(problem),
            Ok(Some(limit)) => {
                if let Some(width) = width.filter(|w| limit > *w) {
                    problems.push(format!(
                        "{table}.{column}: the domain takes {limit} characters, the column {width}"
                    ));
                }
            }
            Ok(None) => {}
        }
    }
    db.close().await.ok();
    assert!(checked > 40, "only {checked} text columns found");
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Any instant inside the range, in any offset and at any precision, is stored and read
/// back as the same UTC microsecond, through the database and through JSON.
#[tokio::test]
async fn every_accepted_instant_round_trips_through_the_database_and_json() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let own = field_assignment(&app, &admin).await;
    let path = format!("/api/assignments/{}", own["id"]);
    let strategy = (
        instant::EARLIEST.unix_timestamp()..instant::END.unix_timestamp(),
        0u32..1_000_000_000,
        -(23 * 3600 + 59 * 60) / 60..=(23 * 3600 + 59 * 60) / 60,
    )
        .prop_map(|(seconds, nanos, offset_minutes)| {
            let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap()
                + time::Duration::nanoseconds(i64::from(nanos));
            at.to_offset(UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap())
        });
    let mut runner = TestRunner::deterministic();
    let mut samples: Vec<OffsetDateTime> = (0..60)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    samples.extend([
        instant::EARLIEST,
        instant::END - time::Duration::microseconds(1),
        time::macros::datetime!(1970-01-01 00:00:00 UTC),
        time::macros::datetime!(2200-12-31 23:59:59.999999 UTC),
    ]);
    for at in samples {
        let sent = at.format(&Rfc3339).unwrap();
        let Ok(expected) = Instant::new(at) else {
            continue;
        };
        let expected = expected.get().format(&Rfc3339).unwrap();
        let patched = expect(
            app.patch(&path, &admin, &json!({"site_visit_date": sent}))
                .await,
            200,
        )
        .await;
        assert_eq!(patched["site_visit_date"], expected, "sent {sent}");
        let read = expect(app.get(&path, &admin).await, 200).await;
        assert_eq!(read["site_visit_date"], expected, "sent {sent}");
        // And it is found again by a filter on the same instant.
        let events = expect(
            app.get(
                &format!(
                    "/api/calendar/events?start_from={}&start_to={}",
                    urlencode(&expected),
                    urlencode(&expected)
                ),
                &admin,
            )
            .await,
            200,
        )
        .await;
        assert!(
            events
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["event_type"] == "SITE_VISIT" && e["start_at"] == expected),
            "sent {sent}: {events}"
        );
    }
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn an_account_name_with_a_nul_is_refused_before_any_lookup() {
    let app = spawn_app().await;
    for response in [
        app.login_form("ad\u{0}min@zenops.local", "x").await,
        app.client
            .post(app.url("/api/auth/login"))
            .json(&json!({"email": "admin@zenops.local\u{0}", "password": "x"}))
            .send()
            .await
            .unwrap(),
    ] {
        let body = refused(response, 422).await;
        assert_eq!(body["code"], "validation_error", "{body}");
    }
    // The account itself is untouched and still signs in.
    app.login(ADMIN).await;
}

/// A change is written only over the row it was made from: a slow self-edit (argon2 runs
/// in between) cannot undo a deactivation that landed meanwhile.
#[tokio::test]
async fn a_stale_user_write_cannot_undo_a_deactivation() {
    use std::sync::Arc;
    use zenops_domain::user::{SessionsAfter, UserId, UserProfile, UserRepository};
    use zenops_infra::users::SeaUserRepository;
    use zenops_infra::{Database, SharedClock, SystemClock};

    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let id = UserId(app.user_id(&admin, EMPLOYEE).await);
    let url = app.settings.database_url().unwrap();
    let db = Database::connect(&url, Some(2)).await.unwrap();
    let clock: SharedClock = Arc::new(SystemClock);
    let users = SeaUserRepository::new(db.clone(), clock);

    // The self-edit reads the row…
    let read = users.get(id).await.unwrap();
    // …the admin deactivates the user…
    expect(
        app.delete(&format!("/api/auth/users/{}", id.0), &admin)
            .await,
        200,
    )
    .await;
    // …and the self-edit's write, made from the old row, is refused.
    let mut profile = UserProfile::from(&read);
    profile.phone = Some("9000000099".to_owned());
    let stale = users
        .update(
            id,
            read.updated_at,
            &profile,
            None,
            false,
            &SessionsAfter::Keep,
        )
        .await;
    match stale {
        Err(zenops_domain::DomainError::Conflict { code, .. }) => assert_eq!(code, "stale"),
        other => panic!("expected a stale conflict, got {other:?}"),
    }
    let now = users.get(id).await.unwrap();
    assert!(!now.is_active);
    assert_ne!(now.phone.as_deref(), Some("9000000099"));
    // A write made from the current row goes through.
    profile = UserProfile::from(&now);
    profile.phone = Some("9000000098".to_owned());
    let written = users
        .update(
            id,
            now.updated_at,
            &profile,
            None,
            false,
            &SessionsAfter::Keep,
        )
        .await
        .unwrap();
    assert_eq!(written.phone.as_deref(), Some("9000000098"));
    assert!(!written.is_active);
    db.close().await.ok();
}
