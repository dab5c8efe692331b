//! Assignments: codes, lifecycle, row access, money privacy, lists, SLA, calendar,
//! workload, detail and the trail.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::helpers::*;

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn in_days(days: i64) -> String {
    rfc3339(OffsetDateTime::now_utc() + Duration::days(days))
}

/// A BANK case at Axis / Chennai Main (bank 1, branch 1), an independent house (type 2).
pub fn bank_case(borrower: &str) -> Value {
    json!({
        "case_type": "BANK", "bank_id": 1, "branch_id": 1, "property_type_id": 2,
        "borrower_name": borrower, "address": "12 MG Road, Chennai", "phone": "9000000001",
        "site_visit_date": in_days(1), "report_due_date": in_days(3)
    })
}

pub async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    expect(app.post("/api/assignments", token, body).await, 201).await
}

async fn activity_types(app: &TestApp, token: &str, id: i64) -> Vec<String> {
    let rows = expect(
        app.get(
            &format!("/api/activities?assignment_id={id}&limit=100"),
            token,
        )
        .await,
        200,
    )
    .await;
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(list: &Value) -> BTreeSet<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn create_gives_a_code_names_events_and_a_trail() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.user_id(&admin, FIELD).await;
    let mut body = bank_case("Ravi Kumar");
    body["assigned_to_user_id"] = json!(field);
    body["fees"] = json!(4500);
    body["floors"] =
        json!([{"floor_name": "Ground", "area": "450.50"}, {"floor_name": "First", "area": 320}]);
    let created = create(&app, &admin, &body).await;
    let year = OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+5:30))
        .year();
    assert_eq!(created["assignment_code"], format!("VAL/{year}/0001"));
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["bank_name"], "Axis Bank");
    assert_eq!(created["branch_name"], "Chennai Main");
    assert_eq!(created["property_type"], "Independent House");
    assert_eq!(created["fees"], "4500.00");
    assert_eq!(created["builtup_area"], "770.50");
    assert_eq!(created["assigned_to_user_id"], field);
    assert_eq!(created["assignee_user_ids"], json!([field]));
    assert!(created["assigned_at"].is_string());

    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        activity_types(&app, &admin, id).await,
        ["ASSIGNMENT_CREATED"]
    );
    let events = expect(
        app.get(&format!("/api/calendar/events?assignment_id={id}"), &admin)
            .await,
        200,
    )
    .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["SITE_VISIT", "REPORT_DUE"]);
    assert_eq!(events[0]["title"], format!("Site Visit — VAL/{year}/0001"));
    assert_eq!(events[0]["assigned_to_user_id"], field);

    let second = create(&app, &admin, &bank_case("Second")).await;
    assert_eq!(second["assignment_code"], format!("VAL/{year}/0002"));
}

#[tokio::test]
async fn concurrent_creates_get_exactly_the_next_fifty_codes() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..50 {
        let request = app
            .client
            .post(app.url("/api/assignments"))
            .bearer_auth(&ops)
            .json(&bank_case(&format!("B{i}")));
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 201);
            response.json::<Value>().await.unwrap()["assignment_code"]
                .as_str()
                .unwrap()
                .to_owned()
        });
    }
    let mut codes = BTreeSet::new();
    while let Some(code) = requests.join_next().await {
        codes.insert(code.unwrap());
    }
    let year = OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+5:30))
        .year();
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("VAL/{year}/{n:04}")).collect();
    assert_eq!(codes, expected);
}

#[tokio::test]
async fn bad_input_is_named_field_by_field() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let body = expect(
        app.post("/api/assignments", &admin, &json!({"case_type": "BANK"}))
            .await,
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["bank_id", "branch_id"]);
    // Hyderabad (branch 4) belongs to ICICI, not Axis.
    let wrong_branch = expect(
        app.post(
            "/api/assignments",
            &admin,
            &json!({"case_type": "BANK", "bank_id": 1, "branch_id": 4}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(wrong_branch["errors"][0]["field"], "branch_id");
    let client = expect(
        app.post(
            "/api/assignments",
            &admin,
            &json!({"case_type": "DIRECT_CLIENT"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(client["errors"][0]["field"], "client_id");
    let mut unknown_user = bank_case("X");
    unknown_user["assigned_to_user_id"] = json!(999);
    let body = expect(
        app.post("/api/assignments", &admin, &unknown_user).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "assignee_user_ids");
    let mut started = bank_case("X");
    started["status"] = json!("COMPLETED");
    expect(app.post("/api/assignments", &admin, &started).await, 422).await;
    let bad_enum = expect(
        app.post("/api/assignments", &admin, &json!({"case_type": "LOAN"}))
            .await,
        422,
    )
    .await;
    assert_eq!(bad_enum["errors"][0]["field"], "case_type");
    let mut bad_money = bank_case("X");
    bad_money["fees"] = json!("12.345");
    expect(app.post("/api/assignments", &admin, &bad_money).await, 422).await;
    let mut bad_date = bank_case("X");
    bad_date["report_due_date"] = json!("next tuesday");
    expect(app.post("/api/assignments", &admin, &bad_date).await, 422).await;

    // Money is set only by roles that handle it.
    let assistant = app.login(ASSISTANT).await;
    let mut with_fees = bank_case("X");
    with_fees["fees"] = json!("100");
    expect(
        app.post("/api/assignments", &assistant, &with_fees).await,
        403,
    )
    .await;
    expect(
        app.post("/api/assignments", &app.login(FIELD).await, &bank_case("X"))
            .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn the_lifecycle_is_enforced_and_recorded() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let field_token = app.login(FIELD).await;
    let field = app.user_id(&ops, FIELD).await;
    let mut body = bank_case("Lifecycle");
    body["assigned_to_user_id"] = json!(field);
    let id = create(&app, &ops, &body).await["id"].as_i64().unwrap();
    let path = format!("/api/assignments/{id}");
    let status = |s: &str| json!({"status": s});

    // The field valuer does the work...
    for step in ["SITE_VISIT", "UNDER_PROCESS", "SUBMITTED"] {
        let body = expect(app.patch(&path, &field_token, &status(step)).await, 200).await;
        assert_eq!(body["status"], step);
    }
    // ...but completing is a supervisor's call.
    let refused = expect(
        app.patch(&path, &field_token, &status("COMPLETED")).await,
        403,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("reassign"));
    let done = expect(app.patch(&path, &ops, &status("COMPLETED")).await, 200).await;
    assert!(done["completed_at"].is_string());
    assert!(done["report_submitted_at"].is_string());

    let illegal = expect(app.patch(&path, &ops, &status("SITE_VISIT")).await, 409).await;
    assert_eq!(illegal["code"], "invalid_transition");
    let detail = illegal["detail"].as_str().unwrap();
    assert!(
        detail.contains("COMPLETED") && detail.contains("SITE_VISIT"),
        "{detail}"
    );

    let reopened = expect(app.patch(&path, &ops, &status("UNDER_PROCESS")).await, 200).await;
    assert_eq!(reopened["completed_at"], Value::Null);
    assert_eq!(reopened["report_submitted_at"], Value::Null);

    let no_reason = expect(app.patch(&path, &ops, &status("CANCELLED")).await, 422).await;
    assert_eq!(no_reason["errors"][0]["field"], "cancel_reason");
    let cancelled = expect(
        app.patch(
            &path,
            &ops,
            &json!({"status": "CANCELLED", "cancel_reason": "Bank withdrew"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cancelled["cancel_reason"], "Bank withdrew");
    assert!(cancelled["cancelled_at"].is_string());
    let again = expect(app.patch(&path, &ops, &status("PENDING")).await, 200).await;
    assert_eq!(again["cancelled_at"], Value::Null);

    assert_eq!(
        activity_types(&app, &ops, id).await,
        [
            "ASSIGNMENT_REOPENED",
            "ASSIGNMENT_CANCELLED",
            "ASSIGNMENT_REOPENED",
            "ASSIGNMENT_COMPLETED",
            "ASSIGNMENT_SUBMITTED",
            "ASSIGNMENT_PROCESSING_STARTED",
            "ASSIGNMENT_SITE_VISIT_STARTED",
            "ASSIGNMENT_CREATED",
        ]
    );
    let trail = expect(
        app.get(
            &format!("/api/activity?assignment_id={id}&type=ASSIGNMENT_CANCELLED"),
            &ops,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        trail[0]["payload_json"],
        json!({"from": "UNDER_PROCESS", "to": "CANCELLED", "reason": "Bank withdrew"})
    );
    assert_eq!(trail[0]["actor_user_id"], app.user_id(&ops, OPS).await);
}

#[tokio::test]
async fn field_valuers_see_only_their_own_work_and_no_money() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field_token = app.login(FIELD).await;
    let field = app.user_id(&admin, FIELD).await;
    let assistant = app.user_id(&admin, ASSISTANT).await;
    let mut mine = bank_case("Mine");
    mine["assigned_to_user_id"] = json!(field);
    mine["fees"] = json!("5000");
    let mine = create(&app, &admin, &mine).await["id"].as_i64().unwrap();
    let mut shared = bank_case("Shared");
    shared["assigned_to_user_id"] = json!(assistant);
    shared["assignee_user_ids"] = json!([field]);
    let shared = create(&app, &admin, &shared).await["id"].as_i64().unwrap();
    let other = create(&app, &admin, &bank_case("Other")).await["id"]
        .as_i64()
        .unwrap();

    for path in [
        "/api/assignments",
        "/api/assignments/with-due",
        "/api/assignments/with-due?completion=PENDING&mine=true",
    ] {
        let response = app.get(path, &field_token).await;
        assert_eq!(response.headers()["x-total-count"], "2", "{path}");
        let list = expect(response, 200).await;
        assert_eq!(ids(&list), BTreeSet::from([mine, shared]), "{path}");
        for row in list.as_array().unwrap() {
            assert!(
                row.get("fees").is_none() && row.get("is_paid").is_none(),
                "money leaked in {path}"
            );
        }
    }
    for path in [
        format!("/api/assignments/{other}"),
        format!("/api/assignments/{other}/detail"),
    ] {
        expect(app.get(&path, &field_token).await, 404).await;
    }
    expect(
        app.patch(
            &format!("/api/assignments/{other}"),
            &field_token,
            &json!({"notes": "x"}),
        )
        .await,
        404,
    )
    .await;
    let own = expect(
        app.get(&format!("/api/assignments/{mine}"), &field_token)
            .await,
        200,
    )
    .await;
    assert!(own.get("fees").is_none());
    let summary = expect(app.get("/api/assignments/summary", &field_token).await, 200).await;
    assert_eq!(summary["total"], 2);
    assert!(summary.get("unpaid").is_none());

    // Money roles see the money; the admin sees everything.
    let finance = app.login(FINANCE).await;
    let row = expect(
        app.get(&format!("/api/assignments/{mine}"), &finance).await,
        200,
    )
    .await;
    assert_eq!(row["fees"], "5000.00");
    assert_eq!(row["is_paid"], false);
    let all = expect(app.get("/api/assignments", &admin).await, 200).await;
    assert_eq!(ids(&all), BTreeSet::from([mine, shared, other]));
    assert_eq!(
        expect(app.get("/api/assignments/summary", &admin).await, 200).await["unpaid"],
        3
    );
    // Changing money needs modify_money, even for a supervisor: without it the fee is a
    // FEE_OVERRIDE request, and the fee stays as it is until a money role approves.
    let ops = app.login(OPS).await;
    let asked = expect(
        app.patch(
            &format!("/api/assignments/{mine}"),
            &ops,
            &json!({"fees": "1"}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(
        asked["approvals_requested"][0]["action_type"],
        "FEE_OVERRIDE"
    );
    assert_ne!(asked["fees"], "1.00", "{asked}");
    let kept = expect(
        app.get(&format!("/api/assignments/{mine}"), &finance).await,
        200,
    )
    .await;
    assert_ne!(kept["fees"], "1.00");
    let paid = expect(
        app.patch(
            &format!("/api/assignments/{mine}"),
            &finance,
            &json!({"is_paid": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(paid["is_paid"], true);
    assert!(
        activity_types(&app, &admin, mine)
            .await
            .contains(&"ASSIGNMENT_FINANCE_UPDATED".to_owned())
    );
}

#[tokio::test]
async fn every_list_filter_works() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let assistant_token = app.login(ASSISTANT).await;
    let field = app.user_id(&admin, FIELD).await;
    let a = create(&app, &admin, &bank_case("Anita Rao")).await;
    let mut hdfc = json!({"case_type": "BANK", "bank_id": 2, "branch_id": 3, "borrower_name": "Suresh", "address": "Lake View Road",
                          "service_line": "DPR", "assigned_to_user_id": field, "fees": "900", "is_paid": true});
    let b = create(&app, &admin, &hdfc).await;
    hdfc["borrower_name"] = json!("Kiran");
    let direct = create(
        &app,
        &assistant_token,
        &json!({"case_type": "DIRECT_CLIENT", "client_id": 1, "property_type_id": 1, "borrower_name": "Direct One"}),
    )
    .await;
    let ops = app.login(OPS).await;
    expect(
        app.patch(
            &format!("/api/assignments/{}", b["id"]),
            &ops,
            &json!({"status": "UNDER_PROCESS"}),
        )
        .await,
        200,
    )
    .await;
    expect(
        app.patch(
            &format!("/api/assignments/{}", b["id"]),
            &ops,
            &json!({"status": "SUBMITTED"}),
        )
        .await,
        200,
    )
    .await;
    expect(
        app.patch(
            &format!("/api/assignments/{}", b["id"]),
            &ops,
            &json!({"status": "COMPLETED"}),
        )
        .await,
        200,
    )
    .await;
    let (a, b, c) = (
        a["id"].as_i64().unwrap(),
        b["id"].as_i64().unwrap(),
        direct["id"].as_i64().unwrap(),
    );
    let assistant = app.user_id(&admin, ASSISTANT).await;

    let cases: Vec<(String, BTreeSet<i64>)> = vec![
        ("bank_id=2".into(), [b].into()),
        ("branch_id=1".into(), [a].into()),
        ("client_id=1".into(), [c].into()),
        ("property_type_id=1".into(), [c].into()),
        ("case_type=DIRECT_CLIENT".into(), [c].into()),
        ("service_line=DPR".into(), [b].into()),
        ("status=COMPLETED".into(), [b].into()),
        ("completion=PENDING".into(), [a, c].into()),
        ("completion=COMPLETED".into(), [b].into()),
        ("completion=ALL".into(), [a, b, c].into()),
        (format!("assigned_to_user_id={field}"), [b].into()),
        ("unassigned=true".into(), [a, c].into()),
        (format!("created_by_user_id={assistant}"), [c].into()),
        ("is_paid=true".into(), [b].into()),
        ("is_paid=false".into(), [a, c].into()),
        ("search=suresh".into(), [b].into()),
        ("q=lake%20view".into(), [b].into()),
        ("search=VAL%2F".into(), [a, b, c].into()),
        ("bank_id=&status=".into(), [a, b, c].into()),
    ];
    for (query, expected) in cases {
        let list = expect(
            app.get(&format!("/api/assignments/with-due?{query}"), &admin)
                .await,
            200,
        )
        .await;
        assert_eq!(ids(&list), expected, "{query}");
    }
    let mine = expect(
        app.get("/api/assignments?mine=true", &assistant_token)
            .await,
        200,
    )
    .await;
    assert_eq!(ids(&mine), BTreeSet::from([c]));

    let newest = expect(
        app.get("/api/assignments?sort_by=created_at&sort_dir=desc", &admin)
            .await,
        200,
    )
    .await;
    let order: Vec<i64> = newest
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [c, b, a]);
    let by_code = expect(
        app.get(
            "/api/assignments?sort_by=assignment_code&sort_dir=asc",
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_code[0]["id"], a);
    let page = app
        .get("/api/assignments?limit=1&skip=1&sort_dir=asc", &admin)
        .await;
    assert_eq!(page.headers()["x-total-count"], "3");
    assert_eq!(ids(&expect(page, 200).await), BTreeSet::from([b]));

    for bad in [
        "completion=SOON",
        "status=DONE",
        "sort_by=fees_desc",
        "limit=-1",
        "bank_id=abc",
    ] {
        let body = expect(
            app.get(&format!("/api/assignments?{bad}"), &admin).await,
            422,
        )
        .await;
        assert_eq!(body["code"], "invalid_request", "{bad}");
    }
    // A timestamp filter is a value like a body field's: 422 naming the parameter.
    let body = expect(
        app.get("/api/assignments?created_from=yesterday", &admin)
            .await,
        422,
    )
    .await;
    assert_eq!(body["code"], "validation_error");
    assert_eq!(body["errors"][0]["field"], "created_from");
}

#[tokio::test]
async fn sla_states_follow_the_dates_and_ignore_closed_work() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let mut late = bank_case("Late");
    late["report_due_date"] = json!(in_days(-4));
    late["site_visit_date"] = json!(in_days(-6));
    let late = create(&app, &ops, &late).await["id"].as_i64().unwrap();
    let fine = create(&app, &ops, &bank_case("Fine")).await["id"]
        .as_i64()
        .unwrap();
    let rows = expect(app.get("/api/assignments/with-due", &ops).await, 200).await;
    let row = |id: i64| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row(late)["due_state"], "OVERDUE");
    assert!(row(late)["minutes_overdue"].as_i64().unwrap() > 72 * 60);
    assert_eq!(row(late)["escalation_role"], "OPS_MANAGER");
    assert_eq!(row(fine)["due_state"], "OK");
    assert!(row(fine)["minutes_left"].as_i64().unwrap() > 0);
    // Report due dates fall due at 18:00 in the firm's time zone (12:30 UTC).
    assert!(
        row(fine)["due_time"]
            .as_str()
            .unwrap()
            .ends_with("T12:30:00Z")
    );
    let summary = expect(app.get("/api/assignments/summary", &ops).await, 200).await;
    assert_eq!(
        (summary["overdue"].as_i64(), summary["pending"].as_i64()),
        (Some(1), Some(2))
    );

    let path = format!("/api/assignments/{late}");
    expect(
        app.patch(
            &path,
            &ops,
            &json!({"status": "CANCELLED", "cancel_reason": "Duplicate"}),
        )
        .await,
        200,
    )
    .await;
    let closed = expect(
        app.get(&format!("/api/assignments/{late}/detail"), &ops)
            .await,
        200,
    )
    .await;
    assert_eq!(closed["due"]["due_state"], "NA");
    assert_eq!(
        expect(app.get("/api/assignments/summary", &ops).await, 200).await["overdue"],
        0
    );
}

#[tokio::test]
async fn calendar_events_follow_dates_people_and_deletion() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let assistant = app.user_id(&admin, ASSISTANT).await;
    let created = create(&app, &admin, &bank_case("Cal")).await;
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/assignments/{id}");
    let events = |query: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            expect(
                app.get(&format!("/api/calendar/events?{query}"), &admin)
                    .await,
                200,
            )
            .await
        }
    };
    let visit = rfc3339(OffsetDateTime::now_utc() + Duration::days(5));
    expect(app.patch(&path, &admin, &json!({"site_visit_date": visit, "report_due_date": null, "assigned_to_user_id": assistant})).await, 200).await;
    let now = OffsetDateTime::now_utc();
    let window = format!(
        "start_from={}&start_to={}&assignment_id={id}",
        rfc3339(now - Duration::days(1)).replace('+', "%2B"),
        rfc3339(now + Duration::days(30)).replace('+', "%2B")
    );
    let list = events(window.clone()).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the REPORT_DUE event went with its date"
    );
    assert_eq!(list[0]["event_type"], "SITE_VISIT");
    assert_eq!(list[0]["start_at"].as_str().unwrap()[..10], visit[..10]);
    assert_eq!(list[0]["assigned_to_user_id"], assistant);
    let only_due = events(format!("{window}&event_type=REPORT_DUE")).await;
    assert!(only_due.as_array().unwrap().is_empty());

    expect(app.delete(&path, &admin).await, 204).await;
    assert!(
        events(format!("assignment_id={id}"))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn reassigning_needs_the_capability_and_is_recorded() {
    let app = spawn_app().await;
    let assistant_token = app.login(ASSISTANT).await;
    let admin = app.login(ADMIN).await;
    let field = app.user_id(&admin, FIELD).await;
    let hr_id = app.user_id(&admin, HR).await;
    let id = create(&app, &assistant_token, &bank_case("Mine")).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/assignments/{id}");
    // Without `reassign`, a change of people is a REASSIGN request, not a change.
    let asked = expect(
        app.patch(
            &path,
            &assistant_token,
            &json!({"assigned_to_user_id": field}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(asked["assigned_to_user_id"], Value::Null);
    assert_eq!(asked["approvals_pending"], 1);
    assert_eq!(asked["approvals_requested"][0]["action_type"], "REASSIGN");
    assert_eq!(
        asked["approvals_requested"][0]["payload_json"]["assigned_to_user_id"],
        field
    );
    // Sending back the same people is not a reassignment (the frontend sends the whole form).
    expect(
        app.patch(
            &path,
            &assistant_token,
            &json!({"assigned_to_user_id": null, "notes": "ok"}),
        )
        .await,
        200,
    )
    .await;
    let ops = app.login(OPS).await;
    let moved = expect(
        app.patch(
            &path,
            &ops,
            &json!({"assigned_to_user_id": field, "assignee_user_ids": [field, hr_id]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["assigned_to_user_id"], field);
    assert_eq!(moved["additional_assignee_user_ids"], json!([hr_id]));
    let mut all = vec![field, hr_id];
    all.sort_unstable();
    assert_eq!(moved["assignee_user_ids"], json!(all));
    let types = activity_types(&app, &ops, id).await;
    assert!(types.contains(&"ASSIGNMENT_REASSIGNED".to_owned()));
    assert!(types.contains(&"ASSIGNMENT_ASSIGNEES_UPDATED".to_owned()));
    assert!(types.contains(&"ASSIGNMENT_UPDATED".to_owned()));
    // The new assignee can now see it.
    let field_token = app.login(FIELD).await;
    expect(app.get(&path, &field_token).await, 200).await;
}

#[tokio::test]
async fn deleted_work_disappears_everywhere() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let ops = app.login(OPS).await;
    let keep = create(&app, &admin, &bank_case("Keep")).await["id"]
        .as_i64()
        .unwrap();
    let gone = create(&app, &admin, &bank_case("Gone")).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/assignments/{gone}");
    // Without `delete_assignment_direct` a delete is a request; the work stays.
    let asked = expect(app.delete(&path, &ops).await, 202).await;
    assert_eq!(asked["action_type"], "DELETE_ASSIGNMENT");
    assert_eq!(asked["status"], "PENDING");
    expect(app.get(&path, &ops).await, 200).await;
    expect(
        app.delete(&format!("{path}?reason=Opened%20twice"), &admin)
            .await,
        204,
    )
    .await;

    for list in [
        "/api/assignments",
        "/api/assignments/with-due",
        "/api/assignments/with-due?completion=PENDING",
    ] {
        assert_eq!(
            ids(&expect(app.get(list, &admin).await, 200).await),
            BTreeSet::from([keep]),
            "{list}"
        );
    }
    assert_eq!(
        expect(app.get("/api/assignments/summary", &admin).await, 200).await["total"],
        1
    );
    let workload = expect(app.get("/api/assignments/workload", &admin).await, 200).await;
    let open: u64 = workload
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["total_open"].as_u64().unwrap())
        .sum();
    assert_eq!(open, 1);
    for p in [
        path.clone(),
        format!("{path}/detail"),
        format!("{path}/tasks"),
    ] {
        expect(app.get(&p, &admin).await, 404).await;
    }
    expect(app.patch(&path, &admin, &json!({"notes": "x"})).await, 404).await;
    let trail = expect(
        app.get(
            &format!("/api/activities?assignment_id={gone}&activity_type=ASSIGNMENT_DELETED"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(trail[0]["message"], "Opened twice");
}

#[tokio::test]
async fn workload_counts_each_person_and_the_unassigned() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.user_id(&admin, FIELD).await;
    let assistant = app.user_id(&admin, ASSISTANT).await;
    let mut late = bank_case("Late");
    late["report_due_date"] = json!(in_days(-2));
    late["assigned_to_user_id"] = json!(field);
    late["assignee_user_ids"] = json!([assistant]);
    create(&app, &admin, &late).await;
    let mut fine = bank_case("Fine");
    fine["assigned_to_user_id"] = json!(field);
    create(&app, &admin, &fine).await;
    create(&app, &admin, &bank_case("Nobody")).await;
    let rows = expect(app.get("/api/assignments/workload", &admin).await, 200).await;
    let row = |user: Value| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["user_id"] == user)
            .unwrap()
            .clone()
    };
    let f = row(json!(field));
    assert_eq!(
        (
            f["total_open"].as_u64(),
            f["overdue"].as_u64(),
            f["ok"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(f["user_email"], FIELD);
    assert_eq!(f["on_leave_today"], false);
    assert_eq!(
        f["buckets"],
        json!([{"due_state": "OK", "count": 1}, {"due_state": "OVERDUE", "count": 1}])
    );
    assert_eq!(row(json!(assistant))["total_open"], 1);
    let unassigned = row(Value::Null);
    assert_eq!(
        (
            unassigned["total_open"].as_u64(),
            unassigned["user_name"].as_str()
        ),
        (Some(1), Some("Unassigned"))
    );
    assert_eq!(rows[0]["user_id"], field, "the most overdue first");

    let dashboard = expect(app.get("/api/dashboard/overview", &admin).await, 200).await;
    assert_eq!(dashboard["summary"]["total"], 3);
    assert_eq!(dashboard["overdue_assignments"], 1);
    assert_eq!(dashboard["workload"].as_array().unwrap().len(), 3);
    // The frontend reads both counts; nothing is pending before approvals and invoices exist.
    assert_eq!(dashboard["approvals_pending"], 0);
    assert_eq!(dashboard["payments_pending"], 0);
}

#[tokio::test]
async fn detail_has_every_array_and_the_work_on_it() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.user_id(&admin, FIELD).await;
    let mut body = bank_case("Detail");
    body["assigned_to_user_id"] = json!(field);
    let id = create(&app, &admin, &body).await["id"].as_i64().unwrap();
    let task = expect(
        app.post(&format!("/api/assignments/{id}/tasks"), &admin, &json!({"title": "Collect sale deed", "assigned_to_user_id": field, "due_at": in_days(1)})).await,
        201,
    )
    .await;
    assert_eq!(task["status"], "TODO");
    let message = expect(
        app.post(
            &format!("/api/assignments/{id}/messages"),
            &admin,
            &json!({"message": format!("Please visit today @[Field Valuer]({field})")}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(message["mentions"], json!([field]));
    let detail = expect(
        app.get(
            &format!("/api/assignments/{id}/detail?timeline_order=asc"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    for key in [
        "documents",
        "tasks",
        "messages",
        "approvals",
        "invoices",
        "timeline",
        "missing_documents",
    ] {
        assert!(detail[key].is_array(), "{key} is an array");
    }
    assert_eq!(detail["assignment"]["id"], id);
    assert_eq!(detail["due"]["due_state"], "OK");
    assert_eq!(detail["tasks"][0]["title"], "Collect sale deed");
    assert_eq!(
        detail["messages"][0]["sender_user_id"],
        app.user_id(&admin, ADMIN).await
    );
    let timeline: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        timeline,
        ["ASSIGNMENT_CREATED", "TASK_CREATED", "MESSAGE_CREATED"]
    );

    let field_token = app.login(FIELD).await;
    let my = expect(
        app.get("/api/tasks/my?include_done=false&limit=6", &field_token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        my[0]["assignment_code"],
        detail["assignment"]["assignment_code"]
    );
    let done = expect(
        app.patch(
            &format!("/api/assignments/{id}/tasks/{}", task["id"]),
            &field_token,
            &json!({"status": "DONE"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["status"], "DONE");
    assert!(
        expect(app.get("/api/tasks/my", &field_token).await, 200)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        expect(
            app.get("/api/tasks/my?include_done=true", &field_token)
                .await,
            200
        )
        .await
        .as_array()
        .unwrap()
        .len(),
        1
    );

    let bad_mention = expect(
        app.post(
            &format!("/api/assignments/{id}/messages"),
            &admin,
            &json!({"message": "hi", "mentions": [999]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(bad_mention["errors"][0]["field"], "mentions");
    let pinned = expect(
        app.post(
            &format!("/api/assignments/{id}/messages/{}/pin", message["id"]),
            &admin,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(pinned["pinned"], true);
    expect(
        app.delete(
            &format!("/api/assignments/{id}/messages/{}", message["id"]),
            &admin,
        )
        .await,
        204,
    )
    .await;
    expect(
        app.delete(
            &format!("/api/assignments/{id}/tasks/{}", task["id"]),
            &admin,
        )
        .await,
        204,
    )
    .await;
    let after = expect(
        app.get(&format!("/api/assignments/{id}/detail"), &admin)
            .await,
        200,
    )
    .await;
    assert!(
        after["tasks"].as_array().unwrap().is_empty()
            && after["messages"].as_array().unwrap().is_empty()
    );
    let types: Vec<&str> = after["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types[..3],
        ["TASK_DELETED", "MESSAGE_DELETED", "MESSAGE_PINNED"]
    );
}

#[tokio::test]
async fn the_trail_is_filtered_and_scoped() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field_token = app.login(FIELD).await;
    let field = app.user_id(&admin, FIELD).await;
    let mut body = bank_case("Theirs");
    body["assigned_to_user_id"] = json!(field);
    let theirs = create(&app, &admin, &body).await["id"].as_i64().unwrap();
    let hidden = create(&app, &admin, &bank_case("Hidden")).await["id"]
        .as_i64()
        .unwrap();
    let visible = expect(app.get("/api/activity?limit=120", &field_token).await, 200).await;
    let seen: BTreeSet<i64> = visible
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["assignment_id"].as_i64())
        .collect();
    assert_eq!(seen, BTreeSet::from([theirs]));
    let everything = expect(app.get("/api/activities", &admin).await, 200).await;
    let all: BTreeSet<i64> = everything
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["assignment_id"].as_i64())
        .collect();
    assert!(all.contains(&hidden));
    let admin_id = app.user_id(&admin, ADMIN).await;
    let by_actor = expect(
        app.get(
            &format!("/api/activities?actor_user_id={admin_id}&activity_type=ASSIGNMENT_CREATED"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_actor.as_array().unwrap().len(), 2);
    let response = app
        .get(
            "/api/activities?limit=1&activity_type=ASSIGNMENT_CREATED",
            &admin,
        )
        .await;
    assert_eq!(response.headers()["x-total-count"], "2");
    let future = rfc3339(OffsetDateTime::now_utc() + Duration::days(1)).replace('+', "%2B");
    let none = expect(
        app.get(&format!("/api/activities?created_from={future}"), &admin)
            .await,
        200,
    )
    .await;
    assert!(none.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_personnel_list_counts_open_and_overdue_work() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.user_id(&admin, FIELD).await;
    let mut late = bank_case("Late");
    late["report_due_date"] = json!(in_days(-2));
    late["assigned_to_user_id"] = json!(field);
    create(&app, &admin, &late).await;
    let users = expect(app.get("/api/auth/users", &admin).await, 200).await;
    let row = |email: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()
            .clone()
    };
    let f = row(FIELD);
    assert_eq!(
        (
            f["open_assignments"].as_u64(),
            f["overdue_assignments"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(f["on_leave_today"], false);
    assert_eq!(row(OPS)["open_assignments"], 0);
}

#[tokio::test]
async fn money_stays_hidden_in_the_trail_filters_and_answers() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let field_token = app.login(FIELD).await;
    let field = app.user_id(&admin, FIELD).await;
    let mut body = bank_case("Paid one");
    body["assigned_to_user_id"] = json!(field);
    let paid = create(&app, &admin, &body).await["id"].as_i64().unwrap();
    body["borrower_name"] = json!("Unpaid one");
    let unpaid = create(&app, &admin, &body).await["id"].as_i64().unwrap();
    let path = format!("/api/assignments/{paid}");
    expect(
        app.patch(
            &path,
            &finance,
            &json!({"fees": "7500.50", "is_paid": true}),
        )
        .await,
        200,
    )
    .await;

    // The trail shows the change to everyone who can see the work, the amounts only to
    // money roles.
    let entry = |token: String| {
        let app = &app;
        async move {
            let rows = expect(
                app.get(
                    &format!("/api/activity?assignment_id={paid}&type=ASSIGNMENT_FINANCE_UPDATED"),
                    &token,
                )
                .await,
                200,
            )
            .await;
            rows[0]["payload_json"].clone()
        }
    };
    assert_eq!(
        entry(admin.clone()).await,
        json!({"fees": "7500.50", "is_paid": true})
    );
    assert_eq!(entry(field_token.clone()).await, json!({}));
    let detail = expect(app.get(&format!("{path}/detail"), &field_token).await, 200).await;
    let payloads: Vec<&Value> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["payload_json"])
        .collect();
    assert!(!payloads.is_empty());
    assert!(
        payloads
            .iter()
            .all(|p| p.get("fees").is_none() && p.get("is_paid").is_none()),
        "{payloads:?}"
    );

    // Filtering by payment is ignored for them rather than answering the question.
    let filtered = expect(
        app.get("/api/assignments?is_paid=true", &field_token).await,
        200,
    )
    .await;
    assert_eq!(ids(&filtered), BTreeSet::from([paid, unpaid]));
    // Sending money fields is refused whatever their current value.
    let ops = app.login(OPS).await;
    expect(
        app.patch(
            &format!("/api/assignments/{unpaid}"),
            &ops,
            &json!({"is_paid": false}),
        )
        .await,
        403,
    )
    .await;
    expect(app.patch(&path, &ops, &json!({"is_paid": true})).await, 403).await;
}

#[tokio::test]
async fn tasks_follow_access_and_search_treats_wildcards_literally() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.user_id(&admin, FIELD).await;
    let assistant = app.user_id(&admin, ASSISTANT).await;
    let mut body = bank_case("50% Owner");
    body["assigned_to_user_id"] = json!(field);
    let id = create(&app, &admin, &body).await["id"].as_i64().unwrap();
    create(&app, &admin, &bank_case("Five Hundred Owner")).await;
    let tasks = format!("/api/assignments/{id}/tasks");
    expect(
        app.post(
            &tasks,
            &admin,
            &json!({"title": "Measure", "assigned_to_user_id": field}),
        )
        .await,
        201,
    )
    .await;
    let field_token = app.login(FIELD).await;
    assert_eq!(
        expect(app.get("/api/tasks/my", &field_token).await, 200)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Once the work moves to someone else, its tasks leave the old assignee's list.
    expect(
        app.patch(
            &format!("/api/assignments/{id}"),
            &admin,
            &json!({"assigned_to_user_id": assistant}),
        )
        .await,
        200,
    )
    .await;
    assert!(
        expect(app.get("/api/tasks/my", &field_token).await, 200)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );

    let found = expect(app.get("/api/assignments?search=50%25", &admin).await, 200).await;
    assert_eq!(ids(&found), BTreeSet::from([id]));
    let none = expect(app.get("/api/assignments?search=_0", &admin).await, 200).await;
    assert!(
        none.as_array().unwrap().is_empty(),
        "underscore is not a wildcard"
    );
}

#[tokio::test]
async fn plain_dates_and_local_times_are_the_firms() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let mut body = bank_case("Dates");
    body["report_due_date"] = json!("2026-12-10");
    body["site_visit_date"] = json!("2026-12-09T10:30");
    let created = create(&app, &admin, &body).await;
    // Noon in Asia/Kolkata keeps the date whichever way a client slices it.
    assert_eq!(created["report_due_date"], "2026-12-10T06:30:00Z");
    assert_eq!(created["site_visit_date"], "2026-12-09T05:00:00Z");
    let id = created["id"].as_i64().unwrap();
    let detail = expect(
        app.get(&format!("/api/assignments/{id}/detail"), &admin)
            .await,
        200,
    )
    .await;
    assert_eq!(detail["due"]["due_time"], "2026-12-10T12:30:00Z");
    let task = expect(
        app.post(
            &format!("/api/assignments/{id}/tasks"),
            &admin,
            &json!({"title": "Call the bank", "due_at": "2026-12-09T17:00"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(task["due_at"], "2026-12-09T11:30:00Z");
    let bad = expect(
        app.post(
            &format!("/api/assignments/{id}/tasks"),
            &admin,
            &json!({"title": "X1", "due_at": "soon"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "due_at");
}

#[tokio::test]
async fn who_may_change_tasks_and_messages() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field_token = app.login(FIELD).await;
    let field = app.user_id(&admin, FIELD).await;
    let hr = app.user_id(&admin, HR).await;
    let mut body = bank_case("Permissions");
    body["assigned_to_user_id"] = json!(field);
    let id = create(&app, &admin, &body).await["id"].as_i64().unwrap();
    let task = expect(
        app.post(
            &format!("/api/assignments/{id}/tasks"),
            &admin,
            &json!({"title": "Measure", "assigned_to_user_id": field}),
        )
        .await,
        201,
    )
    .await;
    let task_path = format!("/api/assignments/{id}/tasks/{}", task["id"]);
    let message = expect(
        app.post(
            &format!("/api/assignments/{id}/messages"),
            &admin,
            &json!({"message": "From admin"}),
        )
        .await,
        201,
    )
    .await;
    let message_path = format!("/api/assignments/{id}/messages/{}", message["id"]);

    // The assignee may work the task but not remove it or hand it to someone else.
    expect(
        app.patch(&task_path, &field_token, &json!({"status": "DOING"}))
            .await,
        200,
    )
    .await;
    expect(
        app.patch(
            &task_path,
            &field_token,
            &json!({"assigned_to_user_id": hr}),
        )
        .await,
        403,
    )
    .await;
    expect(app.delete(&task_path, &field_token).await, 403).await;
    // Someone else's message is not theirs to pin or delete; their own is.
    expect(
        app.post(&format!("{message_path}/pin"), &field_token, &json!({}))
            .await,
        403,
    )
    .await;
    expect(app.delete(&message_path, &field_token).await, 403).await;
    let own = expect(
        app.post(
            &format!("/api/assignments/{id}/messages"),
            &field_token,
            &json!({"message": "Mine"}),
        )
        .await,
        201,
    )
    .await;
    expect(
        app.delete(
            &format!("/api/assignments/{id}/messages/{}", own["id"]),
            &field_token,
        )
        .await,
        204,
    )
    .await;
    // Someone with no access to the work cannot even find them.
    let outsider = app.login(ASSISTANT).await;
    expect(app.delete(&task_path, &outsider).await, 404).await;
    expect(app.delete(&message_path, &outsider).await, 404).await;
    // The creator may remove the task.
    expect(app.delete(&task_path, &admin).await, 204).await;
}

#[tokio::test]
async fn a_new_task_goes_to_someone_else_only_with_reassign() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field_token = app.login(FIELD).await;
    let field = app.user_id(&admin, FIELD).await;
    let hr = app.user_id(&admin, HR).await;
    let mut body = bank_case("Task handover");
    body["assigned_to_user_id"] = json!(field);
    let id = create(&app, &admin, &body).await["id"].as_i64().unwrap();
    let tasks = format!("/api/assignments/{id}/tasks");
    let refused = expect(
        app.post(
            &tasks,
            &field_token,
            &json!({"title": "Measure", "assigned_to_user_id": hr}),
        )
        .await,
        403,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("reassign"));
    // Taking it themself, or leaving it unassigned, needs nothing more.
    expect(
        app.post(
            &tasks,
            &field_token,
            &json!({"title": "Measure", "assigned_to_user_id": field}),
        )
        .await,
        201,
    )
    .await;
    expect(
        app.post(&tasks, &field_token, &json!({"title": "Photos"}))
            .await,
        201,
    )
    .await;
    expect(
        app.post(
            &tasks,
            &admin,
            &json!({"title": "Call the bank", "assigned_to_user_id": hr}),
        )
        .await,
        201,
    )
    .await;
    let listed = expect(app.get(&tasks, &admin).await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 3);
}
