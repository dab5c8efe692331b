//! Notifications end to end: what each change tells whom (never the actor), once; the
//! Notifications page's calls; reminder sweeps; two instances at once; a dead holder's
//! lease; and email over a real SMTP conversation.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database as SeaDatabase, Statement};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::assignments::{bank_case, create};
use crate::helpers::*;

fn in_days(days: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::days(days))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Everything the trail calls for so far is made (the sweep drains the trail first).
pub async fn drain(app: &TestApp) -> Value {
    let admin = app.login(ADMIN).await;
    expect(
        app.post("/api/notifications/sweep", &admin, &json!({}))
            .await,
        200,
    )
    .await
}

/// The caller's notifications, snoozed ones too.
pub async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let rows = expect(
        app.get("/api/notifications?include_snoozed=true&limit=500", token)
            .await,
        200,
    )
    .await;
    rows.as_array().unwrap().clone()
}

/// A job as `/readyz` shows it.
async fn job_state(app: &TestApp, job: &str) -> Value {
    let ready = expect(
        app.client.get(app.url("/readyz")).send().await.unwrap(),
        200,
    )
    .await;
    ready["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == job)
        .cloned()
        .unwrap_or_else(|| panic!("/readyz lists no {job} job: {ready}"))
}

fn of_type<'a>(rows: &'a [Value], kind: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["type"] == kind).collect()
}

fn types(rows: &[Value]) -> Vec<String> {
    let mut t: Vec<String> = rows
        .iter()
        .map(|r| r["type"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn each_change_tells_the_people_it_concerns_once_and_never_the_actor() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let field = app.login(FIELD).await;
    let assistant = app.login(ASSISTANT).await;
    let hr = app.login(HR).await;
    let admin = app.login(ADMIN).await;
    let field_id = app.user_id(&ops, FIELD).await;
    let assistant_id = app.user_id(&ops, ASSISTANT).await;
    let ops_id = app.user_id(&ops, OPS).await;

    // OPS gives work to the field valuer and the assistant.
    let mut body = bank_case("Notify");
    body["assigned_to_user_id"] = json!(field_id);
    body["assignee_user_ids"] = json!([assistant_id]);
    let made = create(&app, &ops, &body).await;
    let id = made["id"].as_i64().unwrap();
    let code = made["assignment_code"].as_str().unwrap().to_owned();
    // The field valuer mentions OPS; OPS gives the assistant a task.
    expect(
        app.post(
            &format!("/api/assignments/{id}/messages"),
            &field,
            &json!({"message": format!("Question @[Ops]({ops_id})")}),
        )
        .await,
        201,
    )
    .await;
    let task = expect(
        app.post(
            &format!("/api/assignments/{id}/tasks"),
            &ops,
            &json!({"title": "Collect sale deed", "assigned_to_user_id": assistant_id, "due_at": in_days(2)}),
        )
        .await,
        201,
    )
    .await;
    drain(&app).await;

    let field_rows = inbox(&app, &field).await;
    let assigned = of_type(&field_rows, "ASSIGNMENT_ASSIGNED");
    assert_eq!(assigned.len(), 1, "{field_rows:#?}");
    assert_eq!(assigned[0]["payload_json"]["assignment_id"], id);
    assert_eq!(
        assigned[0]["payload_json"]["assignment_code"],
        code.as_str()
    );
    assert!(assigned[0]["message"].as_str().unwrap().contains(&code));
    assert!(assigned[0]["read_at"].is_null());
    // The mention was the field valuer's own action: they get nothing for it.
    assert!(of_type(&field_rows, "MENTION").is_empty());

    let assistant_rows = inbox(&app, &assistant).await;
    assert_eq!(
        types(&assistant_rows),
        ["ASSIGNMENT_ASSIGNED", "TASK_ASSIGNED"],
        "{assistant_rows:#?}"
    );
    let task_note = of_type(&assistant_rows, "TASK_ASSIGNED")[0];
    assert_eq!(task_note["payload_json"]["task_id"], task["id"]);

    let ops_rows = inbox(&app, &ops).await;
    assert_eq!(
        types(&ops_rows),
        ["MENTION"],
        "OPS acted on everything else"
    );

    // Leave: HR and ADMIN hear of the request; the requester of the decision.
    let leave = expect(
        app.post(
            "/api/leave/request",
            &field,
            &json!({"leave_type": "FULL_DAY", "start_date": "2027-03-10", "end_date": "2027-03-10"}),
        )
        .await,
        201,
    )
    .await;
    drain(&app).await;
    for token in [&hr, &admin] {
        let rows = inbox(&app, token).await;
        let pending = of_type(&rows, "APPROVAL_PENDING");
        assert_eq!(pending.len(), 1, "{rows:#?}");
        assert_eq!(pending[0]["payload_json"]["leave_request_id"], leave["id"]);
    }
    expect(
        app.post(
            &format!("/api/leave/{}/approve", leave["id"]),
            &hr,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    // Approvals: a non-ADMIN's delete asks OPS and ADMIN; OPS rejects.
    let asked = expect(
        app.delete(&format!("/api/assignments/{id}"), &field).await,
        202,
    )
    .await;
    drain(&app).await;
    let ops_pending = of_type(&inbox(&app, &ops).await, "APPROVAL_PENDING")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(ops_pending.len(), 1);
    assert_eq!(ops_pending[0]["payload_json"]["approval_id"], asked["id"]);
    expect(
        app.post(
            &format!("/api/approvals/{}/reject", asked["id"]),
            &ops,
            &json!({"comment": "no"}),
        )
        .await,
        200,
    )
    .await;
    drain(&app).await;
    let field_rows = inbox(&app, &field).await;
    assert_eq!(of_type(&field_rows, "LEAVE_APPROVED").len(), 1);
    assert_eq!(of_type(&field_rows, "APPROVAL_REJECTED").len(), 1);
    assert!(of_type(&inbox(&app, &hr).await, "LEAVE_APPROVED").is_empty());
    // Decided requests wait for nobody: what asked ADMIN (who did not decide them) to
    // decide the leave and the delete is read now.
    let admin_pending = of_type(&inbox(&app, &admin).await, "APPROVAL_PENDING")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(admin_pending.len(), 2, "{admin_pending:#?}");
    assert!(
        admin_pending.iter().all(|n| n["read_at"].is_string()),
        "{admin_pending:#?}"
    );

    // Draining again makes nothing new for anyone.
    let before: usize = futures_len(&app, &[&ops, &field, &assistant, &hr, &admin]).await;
    drain(&app).await;
    drain(&app).await;
    assert_eq!(
        futures_len(&app, &[&ops, &field, &assistant, &hr, &admin]).await,
        before
    );
}

async fn futures_len(app: &TestApp, tokens: &[&String]) -> usize {
    let mut n = 0;
    for token in tokens {
        n += inbox(app, token).await.len();
    }
    n
}

#[tokio::test]
async fn a_refused_request_tells_nobody() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let field = app.login(FIELD).await;
    let field_id = app.user_id(&ops, FIELD).await;
    let id = create(&app, &ops, &bank_case("Refused")).await["id"]
        .as_i64()
        .unwrap();
    // A task whose title is too short is refused whole: no task, no notification.
    expect(
        app.post(
            &format!("/api/assignments/{id}/tasks"),
            &ops,
            &json!({"title": "x", "assigned_to_user_id": field_id}),
        )
        .await,
        422,
    )
    .await;
    // A reassignment onto someone on leave is refused (409) as a whole.
    let leave = expect(
        app.post(
            "/api/leave/request",
            &field,
            &json!({"leave_type": "FULL_DAY", "start_date": "2027-03-10", "end_date": "2027-03-12"}),
        )
        .await,
        201,
    )
    .await;
    let hr = app.login(HR).await;
    expect(
        app.post(
            &format!("/api/leave/{}/approve", leave["id"]),
            &hr,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let mut on_leave = bank_case("On leave");
    on_leave["assigned_to_user_id"] = json!(field_id);
    on_leave["site_visit_date"] = json!("2027-03-11T05:00:00Z");
    on_leave["report_due_date"] = json!("2027-03-15T05:00:00Z");
    expect(app.post("/api/assignments", &ops, &on_leave).await, 409).await;
    drain(&app).await;
    let rows = inbox(&app, &field).await;
    assert_eq!(types(&rows), ["LEAVE_APPROVED"], "{rows:#?}");
}

#[tokio::test]
async fn the_notifications_page_reads_marks_and_snoozes_its_own() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let field = app.login(FIELD).await;
    let field_id = app.user_id(&ops, FIELD).await;
    for name in ["One", "Two", "Three"] {
        let mut body = bank_case(name);
        body["assigned_to_user_id"] = json!(field_id);
        create(&app, &ops, &body).await;
    }
    drain(&app).await;
    let rows = inbox(&app, &field).await;
    assert_eq!(rows.len(), 3);
    // Newest first.
    assert!(rows[0]["message"].as_str().unwrap().contains("0003"));
    let count = expect(
        app.get("/api/notifications/unread-count", &field).await,
        200,
    )
    .await;
    assert_eq!(
        count,
        json!({"total": 3, "by_type": {"ASSIGNMENT_ASSIGNED": 3}})
    );

    // Mark one read: the answer is the notification as it now is; again, unchanged.
    let first = rows[0]["id"].as_i64().unwrap();
    let read = expect(
        app.post(
            &format!("/api/notifications/{first}/read"),
            &field,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(read["id"], first);
    assert!(read["read_at"].is_string());
    let again = expect(
        app.post(
            &format!("/api/notifications/{first}/read"),
            &field,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again["read_at"], read["read_at"]);
    // Someone else's is not found.
    expect(
        app.post(
            &format!("/api/notifications/{first}/read"),
            &ops,
            &json!({}),
        )
        .await,
        404,
    )
    .await;
    let unread = expect(
        app.get("/api/notifications?unread_only=true", &field).await,
        200,
    )
    .await;
    assert_eq!(unread.as_array().unwrap().len(), 2);

    // Snooze one for an hour: hidden from the list and the count, shown when asked.
    let second = rows[1]["id"].as_i64().unwrap();
    let snoozed = expect(
        app.post(
            "/api/notifications/snooze",
            &field,
            &json!({"notification_ids": [second], "snooze_minutes": 60}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(snoozed["updated"], 1);
    assert!(snoozed["snoozed_until"].is_string());
    let visible = expect(app.get("/api/notifications", &field).await, 200).await;
    assert_eq!(visible.as_array().unwrap().len(), 2);
    assert_eq!(inbox(&app, &field).await.len(), 3);
    let count = expect(
        app.get("/api/notifications/unread-count", &field).await,
        200,
    )
    .await;
    assert_eq!(count["total"], 1);
    // Bad snoozes are 422; another's ids are 404.
    for bad in [
        json!({"notification_ids": []}),
        json!({"notification_ids": [second], "snooze_minutes": 0}),
        json!({"notification_ids": [second], "snooze_until": "2001-01-01T00:00:00Z"}),
    ] {
        expect(
            app.post("/api/notifications/snooze", &field, &bad).await,
            422,
        )
        .await;
    }
    expect(
        app.post(
            "/api/notifications/snooze",
            &ops,
            &json!({"notification_ids": [second]}),
        )
        .await,
        404,
    )
    .await;
    // Waking it brings it back.
    expect(
        app.post(
            "/api/notifications/snooze",
            &field,
            &json!({"notification_ids": [second], "clear": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        expect(app.get("/api/notifications", &field).await, 200)
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Filters: type, search, time window; a bad type is 422.
    let by_search = expect(app.get("/api/notifications?search=0002", &field).await, 200).await;
    assert_eq!(by_search.as_array().unwrap().len(), 1);
    let by_type = expect(
        app.get("/api/notifications?type=MENTION", &field).await,
        200,
    )
    .await;
    assert!(by_type.as_array().unwrap().is_empty());
    let later = expect(
        app.get(
            &format!("/api/notifications?created_from={}", in_days(1)),
            &field,
        )
        .await,
        200,
    )
    .await;
    assert!(later.as_array().unwrap().is_empty());
    expect(app.get("/api/notifications?type=NOPE", &field).await, 422).await;
    expect(app.get("/api/notifications?limit=0", &field).await, 422).await;
    let limited = expect(app.get("/api/notifications?limit=1", &field).await, 200).await;
    assert_eq!(limited.as_array().unwrap().len(), 1);

    // Read all.
    let all = expect(
        app.post("/api/notifications/read-all", &field, &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(all["marked"], 2);
    let count = expect(
        app.get("/api/notifications/unread-count", &field).await,
        200,
    )
    .await;
    assert_eq!(count, json!({"total": 0, "by_type": {}}));
}

#[tokio::test]
async fn the_sweep_reminds_due_and_overdue_work_and_escalates_each_step_once() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let ops = app.login(OPS).await;
    let field = app.login(FIELD).await;
    let field_id = app.user_id(&admin, FIELD).await;
    // Over five days late (eight, less a weekly off or holiday it may roll over): the
    // assignees, then OPS_MANAGER (72 h) and ADMIN (5 days).
    let mut late = bank_case("Late");
    late["assigned_to_user_id"] = json!(field_id);
    late["site_visit_date"] = json!(in_days(-10));
    late["report_due_date"] = json!(in_days(-8));
    let late = create(&app, &admin, &late).await;
    // A task due within the hour.
    let soon = (OffsetDateTime::now_utc() + time::Duration::minutes(50))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    expect(
        app.post(
            &format!("/api/assignments/{}/tasks", late["id"]),
            &admin,
            &json!({"title": "Call the bank", "assigned_to_user_id": field_id, "due_at": soon}),
        )
        .await,
        201,
    )
    .await;
    let report = drain(&app).await;
    assert_eq!(report["assignment"]["sla_overdue"], 3, "{report}");
    assert_eq!(report["tasks"]["task_due_soon"], 1, "{report}");
    assert!(report["timestamp"].is_string());
    let field_rows = inbox(&app, &field).await;
    assert_eq!(
        of_type(&field_rows, "SLA_OVERDUE").len(),
        1,
        "{field_rows:#?}"
    );
    assert_eq!(of_type(&field_rows, "TASK_DUE_SOON").len(), 1);
    let ops_rows = inbox(&app, &ops).await;
    let escalated = of_type(&ops_rows, "SLA_OVERDUE");
    assert_eq!(escalated.len(), 1);
    assert!(
        escalated[0]["message"]
            .as_str()
            .unwrap()
            .contains("Escalated")
    );
    assert_eq!(of_type(&inbox(&app, &admin).await, "SLA_OVERDUE").len(), 1);
    // Again: nothing new.
    let again = drain(&app).await;
    assert_eq!(
        again["assignment"],
        json!({"sla_due_soon": 0, "sla_overdue": 0})
    );
    assert_eq!(
        again["tasks"],
        json!({"task_due_soon": 0, "task_overdue": 0})
    );
    // Cancelled work is not swept.
    let mut dropped = bank_case("Dropped");
    dropped["assigned_to_user_id"] = json!(field_id);
    dropped["site_visit_date"] = json!(in_days(-10));
    dropped["report_due_date"] = json!(in_days(-8));
    let dropped = create(&app, &admin, &dropped).await;
    expect(
        app.patch(
            &format!("/api/assignments/{}", dropped["id"]),
            &admin,
            &json!({"status": "CANCELLED", "cancel_reason": "Bank withdrew"}),
        )
        .await,
        200,
    )
    .await;
    let after = drain(&app).await;
    assert_eq!(after["assignment"]["sla_overdue"], 0, "{after}");
    // Those outside operations may not sweep.
    expect(
        app.post("/api/notifications/sweep", &field, &json!({}))
            .await,
        403,
    )
    .await;
    // /readyz tells when each job last ran.
    let sweep = job_state(&app, "sweep").await;
    assert_eq!(sweep["last_ok"], true);
    assert!(sweep["last_finished_at"].is_string());
    assert!(sweep["runs"].as_i64().unwrap() >= 2);
}

async fn db_of(app: &TestApp) -> sea_orm::DatabaseConnection {
    SeaDatabase::connect(app.settings.database_url.clone().unwrap())
        .await
        .unwrap()
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn two_instances_sweeping_at_once_make_each_notification_and_email_once() {
    let app = spawn_app().await;
    let second = app.another_instance().await;
    let admin = app.login(ADMIN).await;
    let field_id = app.user_id(&admin, FIELD).await;
    for n in 0..6 {
        let mut late = bank_case(&format!("Twice {n}"));
        late["assigned_to_user_id"] = json!(field_id);
        late["site_visit_date"] = json!(in_days(-9));
        late["report_due_date"] = json!(in_days(-7 + n % 3));
        create(&app, &admin, &late).await;
    }
    let mut runs = Vec::new();
    for round in 0..6 {
        let base = if round % 2 == 0 {
            app.address.clone()
        } else {
            second.clone()
        };
        let client = app.client.clone();
        let token = admin.clone();
        runs.push(tokio::spawn(async move {
            let response = client
                .post(format!("{base}/api/notifications/sweep"))
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }));
    }
    for run in runs {
        let (status, body) = run.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let db = db_of(&app).await;
    let duplicates = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT user_id, type, payload_json, message FROM notifications \
         GROUP BY user_id, type, payload_json, message HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(duplicates, 0);
    // Each of the six: its assignee and ADMIN (+ OPS where 72 h late), overdue once.
    let overdue = count(
        &db,
        "SELECT COUNT(*) FROM notifications WHERE type = 'SLA_OVERDUE'",
    )
    .await;
    assert!(overdue >= 12, "{overdue}");
    let emails = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT notification_id FROM notification_deliveries \
         GROUP BY notification_id, channel HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(emails, 0);
    let email_rows = count(
        &db,
        "SELECT COUNT(*) FROM notification_deliveries WHERE type = 'SLA_OVERDUE'",
    )
    .await;
    assert_eq!(email_rows, overdue, "SLA_OVERDUE is emailed by default");
    // The email jobs of both instances send them, each once (LOGGED without SMTP).
    let mut logged = 0;
    for _ in 0..100 {
        logged = count(
            &db,
            "SELECT COUNT(*) FROM notification_deliveries WHERE status = 'LOGGED'",
        )
        .await;
        let all = count(&db, "SELECT COUNT(*) FROM notification_deliveries").await;
        if logged == all {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        logged,
        count(&db, "SELECT COUNT(*) FROM notification_deliveries").await
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM notification_deliveries WHERE attempts <> 1"
        )
        .await,
        0,
        "each email was attempted once"
    );
    db.close().await.ok();
}

#[tokio::test]
async fn a_lease_held_by_a_dead_instance_is_taken_over_when_it_expires() {
    let app = spawn_app().await;
    let db = db_of(&app).await;
    let backend = db.get_database_backend();
    // An instance took the sweep's lease for three seconds and died.
    let until = OffsetDateTime::now_utc() + time::Duration::seconds(3);
    let stamp = until
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!(
            "INSERT INTO job_leases (job, holder, lease_until, cursor, runs) \
             VALUES ('sweep', 'dead', '{stamp}', 0, 0) ON CONFLICT (job) DO UPDATE \
             SET holder = 'dead', lease_until = '{stamp}'"
        ),
        _ => {
            // SQLite keeps instants as nine-digit RFC 3339 text (see Database::stored_time).
            let text = until
                .replace_nanosecond(until.microsecond() * 1000 + 1)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            format!(
                "INSERT INTO job_leases (job, holder, lease_until, cursor, runs) \
                 VALUES ('sweep', 'dead', '{text}', 0, 0) ON CONFLICT (job) DO UPDATE \
                 SET holder = 'dead', lease_until = '{text}'"
            )
        }
    };
    db.execute_unprepared(&sql).await.unwrap();
    let started = std::time::Instant::now();
    drain(&app).await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "ran before the dead holder's lease expired"
    );
    let sweep = job_state(&app, "sweep").await;
    assert_eq!(sweep["running"], false, "given back after the run");
    assert_eq!(sweep["last_ok"], true);
    db.close().await.ok();
}

#[tokio::test]
async fn preferences_turn_email_off_and_are_the_callers_own() {
    let app = spawn_app().await;
    let field = app.login(FIELD).await;
    let admin = app.login(ADMIN).await;
    let field_id = app.user_id(&admin, FIELD).await;
    let defaults = expect(app.get("/api/notifications/preferences", &field).await, 200).await;
    assert_eq!(defaults, json!({"email_enabled": true, "per_type": {}}));
    let saved = expect(
        app.patch(
            "/api/notifications/preferences",
            &field,
            &json!({"email_enabled": true, "per_type": {"ASSIGNMENT_ASSIGNED": false, "TASK_UPDATED": true}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["per_type"]["ASSIGNMENT_ASSIGNED"], false);
    expect(
        app.patch(
            "/api/notifications/preferences",
            &field,
            &json!({"email_enabled": true, "per_type": {"NOPE": true}}),
        )
        .await,
        422,
    )
    .await;
    let mut body = bank_case("Quiet");
    body["assigned_to_user_id"] = json!(field_id);
    create(&app, &admin, &body).await;
    drain(&app).await;
    assert_eq!(
        of_type(&inbox(&app, &field).await, "ASSIGNMENT_ASSIGNED").len(),
        1
    );
    let log = expect(
        app.get(
            &format!("/api/notifications/deliveries?user_id={field_id}"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert!(
        log.as_array().unwrap().is_empty(),
        "in the app, not by email: {log}"
    );
    expect(
        app.get("/api/notifications/deliveries?status=NOPE", &admin)
            .await,
        422,
    )
    .await;
}

async fn deliveries(app: &TestApp, admin: &str) -> Vec<Value> {
    expect(
        app.get("/api/notifications/deliveries?limit=500", admin)
            .await,
        200,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

/// Waits until no email is PENDING or SENDING.
async fn settled(app: &TestApp, admin: &str) -> Vec<Value> {
    for _ in 0..150 {
        let rows = deliveries(app, admin).await;
        if !rows.is_empty()
            && rows
                .iter()
                .all(|d| d["status"] != "PENDING" && d["status"] != "SENDING")
        {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("emails still waiting: {:#?}", deliveries(app, admin).await);
}

async fn assign_to_field(app: &TestApp, admin: &str, borrower: &str) -> String {
    let field_id = app.user_id(admin, FIELD).await;
    let mut body = bank_case(borrower);
    body["assigned_to_user_id"] = json!(field_id);
    create(app, admin, &body).await["assignment_code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_email_goes_over_smtp_to_the_recipient_with_subject_and_bodies() {
    let sink = crate::smtp::SmtpSink::start(0).await;
    let app = spawn_app_with(|s| s.smtp_url = Some(sink.url())).await;
    let admin = app.login(ADMIN).await;
    let code = assign_to_field(&app, &admin, "Mailed").await;
    drain(&app).await;
    let log = settled(&app, &admin).await;
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(log[0]["status"], "SENT");
    assert_eq!(log[0]["type"], "ASSIGNMENT_ASSIGNED");
    assert_eq!(log[0]["attempts"], 1);
    let mail = sink.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, [FIELD]);
    let data = &mail[0].data;
    assert!(
        data.contains(&format!(
            "Subject: [Zen Ops] Assignment {code} was assigned to you"
        )),
        "{data}"
    );
    assert!(data.contains("<zenops@localhost>"), "{data}");
    assert!(
        data.contains("To: \"Field Valuer\" <field@zenops.local>"),
        "{data}"
    );
    assert!(
        data.contains("text/plain") && data.contains("text/html"),
        "{data}"
    );
    assert!(data.contains(&format!("Assignment {code} was assigned to you")));
    // No secret travels: no token, no password hash.
    assert!(!data.contains("$argon2"));
    assert!(!data.to_lowercase().contains("bearer"));
}

#[tokio::test]
async fn a_refused_email_is_retried_and_arrives_once() {
    let sink = crate::smtp::SmtpSink::start(1).await;
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(sink.url());
        s.email_retry_secs = 1;
    })
    .await;
    let admin = app.login(ADMIN).await;
    assign_to_field(&app, &admin, "Retried").await;
    drain(&app).await;
    let log = settled(&app, &admin).await;
    assert_eq!(log[0]["status"], "SENT", "{log:#?}");
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn the_daily_cap_holds_and_the_rest_stay_in_the_app() {
    let sink = crate::smtp::SmtpSink::start(0).await;
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(sink.url());
        s.email_daily_cap = 2;
    })
    .await;
    let admin = app.login(ADMIN).await;
    for n in 0..3 {
        assign_to_field(&app, &admin, &format!("Capped {n}")).await;
    }
    drain(&app).await;
    let log = settled(&app, &admin).await;
    let status: Vec<&str> = log.iter().map(|d| d["status"].as_str().unwrap()).collect();
    assert_eq!(
        status.iter().filter(|s| **s == "SENT").count(),
        2,
        "{log:#?}"
    );
    let skipped: Vec<&Value> = log.iter().filter(|d| d["status"] == "SKIPPED").collect();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0]["error"]
            .as_str()
            .unwrap()
            .contains("daily limit")
    );
    assert_eq!(sink.messages().len(), 2);
    let field = app.login(FIELD).await;
    assert_eq!(
        of_type(&inbox(&app, &field).await, "ASSIGNMENT_ASSIGNED").len(),
        3
    );
}

async fn template(app: &TestApp, admin: &str, body: Value) -> Value {
    expect(
        app.post("/api/master/task-templates", admin, &body).await,
        201,
    )
    .await
}

async fn tasks_of(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    expect(
        app.get(&format!("/api/assignments/{id}/tasks"), token)
            .await,
        200,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

#[tokio::test]
async fn task_templates_fire_on_creation_and_status_once_each() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.login(FIELD).await;
    let field_id = app.user_id(&admin, FIELD).await;
    let ops_id = app.user_id(&admin, OPS).await;
    let intake = template(
        &app,
        &admin,
        json!({"name": "Intake", "trigger": "ASSIGNMENT_CREATED", "case_type": "BANK", "tasks": [
            {"title": "Request documents", "assignee": "PRIMARY", "due_in_working_days": 0},
            {"title": "Check the file", "assignee": "ROLE:OPS_MANAGER", "due_in_working_days": 2}
        ]}),
    )
    .await;
    assert_eq!(intake["tasks"][1]["assignee"], "ROLE:OPS_MANAGER");
    template(
        &app,
        &admin,
        json!({"name": "Drafting", "trigger": "STATUS_ENTERED", "status": "UNDER_PROCESS", "tasks": [
            {"title": "Draft the report", "due_in_working_days": 1}
        ]}),
    )
    .await;
    template(
        &app,
        &admin,
        json!({"name": "Direct clients", "case_type": "DIRECT_CLIENT", "tasks": [{"title": "Call the client"}]}),
    )
    .await;

    let mut body = bank_case("Templated");
    body["assigned_to_user_id"] = json!(field_id);
    let id = create(&app, &admin, &body).await["id"].as_i64().unwrap();
    let tasks = tasks_of(&app, &admin, id).await;
    let mut made: Vec<(String, i64)> = tasks
        .iter()
        .map(|t| {
            (
                t["title"].as_str().unwrap().to_owned(),
                t["assigned_to_user_id"].as_i64().unwrap(),
            )
        })
        .collect();
    made.sort();
    assert_eq!(
        made,
        [
            ("Check the file".to_owned(), ops_id),
            ("Request documents".to_owned(), field_id)
        ]
    );
    for t in &tasks {
        // The end of a working day: 18:00 in Kolkata.
        let due = OffsetDateTime::parse(
            t["due_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!((due.hour(), due.minute()), (12, 30), "{t}");
        assert_ne!(
            due.to_offset(time::macros::offset!(+5:30)).weekday(),
            time::Weekday::Sunday
        );
        assert_eq!(t["template_type"], format!("template:{}", intake["id"]));
    }
    // Into UNDER_PROCESS, out to SUBMITTED and back: the drafting task comes once.
    let path = format!("/api/assignments/{id}");
    for step in ["UNDER_PROCESS", "SUBMITTED", "UNDER_PROCESS"] {
        expect(
            app.patch(&path, &admin, &json!({"status": step})).await,
            200,
        )
        .await;
    }
    let tasks = tasks_of(&app, &admin, id).await;
    assert_eq!(tasks.len(), 3, "{tasks:#?}");
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t["title"] == "Draft the report")
            .count(),
        1
    );
    // The people given the tasks are told, once each.
    drain(&app).await;
    assert_eq!(
        of_type(&inbox(&app, &field).await, "TASK_ASSIGNED").len(),
        2
    );

    // What a template must say.
    for (bad, status) in [
        (
            json!({"name": "No status", "trigger": "STATUS_ENTERED", "tasks": [{"title": "x y"}]}),
            422,
        ),
        (
            json!({"name": "Bad who", "tasks": [{"title": "x y", "assignee": "BOSS"}]}),
            422,
        ),
        (
            json!({"name": "Nobody", "tasks": [{"title": "x y", "assignee": "USER:999999"}]}),
            422,
        ),
        (
            json!({"name": "Far", "tasks": [{"title": "x y", "due_in_working_days": 61}]}),
            422,
        ),
        (json!({"name": "Empty", "tasks": []}), 422),
        (json!({"name": "Intake", "tasks": [{"title": "x y"}]}), 409),
    ] {
        expect(
            app.post("/api/master/task-templates", &admin, &bad).await,
            status,
        )
        .await;
    }
    // Switched off, it fires no more; deleting keeps the tasks it made.
    expect(
        app.patch(
            &format!("/api/master/task-templates/{}", intake["id"]),
            &admin,
            &json!({"is_active": false}),
        )
        .await,
        200,
    )
    .await;
    let quiet = create(&app, &admin, &bank_case("Untemplated")).await["id"]
        .as_i64()
        .unwrap();
    assert!(tasks_of(&app, &admin, quiet).await.is_empty());
    let listed = expect(app.get("/api/master/task-templates", &field).await, 200).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "inactive ones are hidden by default"
    );
    expect(
        app.delete(
            &format!("/api/master/task-templates/{}", intake["id"]),
            &admin,
        )
        .await,
        204,
    )
    .await;
    assert_eq!(tasks_of(&app, &admin, id).await.len(), 3);
}

#[tokio::test]
async fn the_follow_up_job_gives_overdue_invoices_a_task_and_tells_admin_of_a_month_late_once() {
    let app = spawn_app_with(|s| s.follow_up_interval_secs = 1).await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let finance_id = app.user_id(&admin, FINANCE).await;
    let (assignment, _) = crate::invoices::billable(&app, &admin, "Very late", "100.00").await;
    let created = expect(
        app.post(
            "/api/invoices",
            &finance,
            &json!({"assignment_id": assignment, "issued_date": "2026-01-01", "due_date": "2026-01-15"}),
        )
        .await,
        201,
    )
    .await;
    let invoice = created["id"].as_i64().unwrap();
    let issued = expect(
        app.post(
            &format!("/api/invoices/{invoice}/issue"),
            &finance,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let number = issued["invoice_number"].as_str().unwrap().to_owned();
    // The job (every second here) makes the task by itself, in the first FINANCE user's name.
    let mut follow_up = None;
    for _ in 0..100 {
        let tasks = tasks_of(&app, &admin, assignment).await;
        follow_up = tasks
            .into_iter()
            .find(|t| t["title"] == format!("Follow up: {number} overdue"));
        if follow_up.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let follow_up = follow_up.expect("the follow-up job made no task");
    assert_eq!(follow_up["assigned_to_user_id"], finance_id);
    // Let it run a few more times: still one task, one escalation.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drain(&app).await;
    let tasks = tasks_of(&app, &admin, assignment).await;
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t["title"] == follow_up["title"])
            .count(),
        1
    );
    let escalated: Vec<Value> = of_type(&inbox(&app, &admin).await, "PAYMENT_PENDING")
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(escalated.len(), 1, "{escalated:#?}");
    assert_eq!(escalated[0]["payload_json"]["invoice_id"], invoice);
    assert!(
        escalated[0]["message"]
            .as_str()
            .unwrap()
            .contains("days overdue")
    );
    // FINANCE hears of the task the system gave them.
    assert_eq!(
        of_type(&inbox(&app, &finance).await, "TASK_ASSIGNED").len(),
        1
    );
}
