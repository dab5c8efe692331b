//! Leave end to end: requests, decisions, the calendar, absence where work is given out,
//! holidays in the SLA, who is free.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::assignments::{bank_case, create};
use crate::helpers::*;

/// Monday 8 to Wednesday 10 March 2027: three working days, no holiday.
const MON: &str = "2027-03-08";
const WED: &str = "2027-03-10";

fn full_days(start: &str, end: &str) -> Value {
    json!({"leave_type": "FULL_DAY", "start_date": start, "end_date": end, "reason": "Family"})
}

async fn request(app: &TestApp, token: &str, body: &Value) -> Value {
    expect(app.post("/api/leave/request", token, body).await, 201).await
}

async fn approve(app: &TestApp, token: &str, id: i64) -> Value {
    expect(
        app.request(
            reqwest::Method::POST,
            &format!("/api/leave/{id}/approve"),
            Some(token),
            None,
        )
        .await,
        200,
    )
    .await
}

/// The field valuer on approved leave Monday to Wednesday; returns the leave.
async fn field_away_mon_to_wed(app: &TestApp) -> Value {
    let field = app.login(FIELD).await;
    let hr = app.login(HR).await;
    let leave = request(app, &field, &full_days(MON, WED)).await;
    assert_eq!(leave["status"], "PENDING");
    assert_eq!(leave["working_days"], 3.0);
    approve(app, &hr, leave["id"].as_i64().unwrap()).await
}

async fn leave_events(app: &TestApp, token: &str) -> Vec<Value> {
    expect(
        app.get(
            "/api/calendar/events?start_from=2027-03-01T00:00:00Z&start_to=2027-03-31T00:00:00Z&event_type=LEAVE",
            token,
        )
        .await,
        200,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

#[tokio::test]
async fn approved_leave_is_on_the_calendar_on_the_firms_local_days_and_blocks_work_those_days() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let leave = field_away_mon_to_wed(&app).await;
    assert_eq!(leave["status"], "APPROVED");
    let hr_id = app.user_id(&admin, HR).await;
    assert_eq!(leave["approver_user_id"], hr_id);
    let event_id = leave["calendar_event_id"].as_i64().unwrap();

    let events = leave_events(&app, &admin).await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["id"], event_id);
    assert_eq!(event["event_type"], "LEAVE");
    assert_eq!(event["all_day"], true);
    assert_eq!(event["related_leave_request_id"], leave["id"]);
    // Midnight to midnight in Kolkata, not UTC.
    assert_eq!(event["start_at"], "2027-03-07T18:30:00Z");
    assert_eq!(event["end_at"], "2027-03-10T18:29:59Z");
    let field_id = app.user_id(&admin, FIELD).await;
    assert_eq!(event["assigned_to_user_id"], field_id);

    // A site visit on Tuesday morning: 409 with the object the frontend reads.
    let mut body = bank_case("Leave check");
    body["assigned_to_user_id"] = json!(field_id);
    body["site_visit_date"] = json!("2027-03-09T05:00:00Z");
    body["report_due_date"] = json!("2027-03-12T05:00:00Z");
    let refused = expect(app.post("/api/assignments", &admin, &body).await, 409).await;
    assert_eq!(refused["code"], "assignee_on_leave");
    assert_eq!(refused["detail"]["user_id"], field_id);
    assert_eq!(refused["detail"]["day"], "2027-03-09");
    assert_eq!(refused["detail"]["leave_start"], MON);
    assert_eq!(refused["detail"]["leave_end"], WED);
    // 00:30 on Monday in Kolkata is still Sunday in UTC: the firm's day counts.
    body["site_visit_date"] = json!("2027-03-07T19:00:00Z");
    expect(app.post("/api/assignments", &admin, &body).await, 409).await;
    // Confirmed by the caller.
    body["override_on_leave"] = json!(true);
    create(&app, &admin, &body).await;
    // A visit on Thursday (01:30 in Kolkata, still Wednesday in UTC) needs no override.
    body["override_on_leave"] = json!(false);
    body["site_visit_date"] = json!("2027-03-10T20:00:00Z");
    let later = create(&app, &admin, &body).await;

    // Moving that work onto a day of the leave asks again; reassigning too.
    let id = later["id"].as_i64().unwrap();
    let moved = app
        .patch(
            &format!("/api/assignments/{id}"),
            &admin,
            &json!({"site_visit_date": "2027-03-09T05:00:00Z"}),
        )
        .await;
    expect(moved, 409).await;
    let mut unassigned = bank_case("Reassign check");
    unassigned["site_visit_date"] = json!("2027-03-09T05:00:00Z");
    unassigned["report_due_date"] = json!("2027-03-12T05:00:00Z");
    let other = create(&app, &admin, &unassigned).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/assignments/{other}");
    expect(
        app.patch(&path, &admin, &json!({"assigned_to_user_id": field_id}))
            .await,
        409,
    )
    .await;
    expect(
        app.patch(
            &path,
            &admin,
            &json!({"assigned_to_user_id": field_id, "override_on_leave": true}),
        )
        .await,
        200,
    )
    .await;

    // A task due on Wednesday for the field valuer: 409; due Thursday: fine.
    let tasks = format!("/api/assignments/{other}/tasks");
    let task = json!({"title": "Measure", "assigned_to_user_id": field_id,
                      "due_at": "2027-03-10T09:00:00Z"});
    let refused = expect(app.post(&tasks, &admin, &task).await, 409).await;
    assert_eq!(refused["detail"]["day"], WED);
    let task = json!({"title": "Measure", "assigned_to_user_id": field_id,
                      "due_at": "2027-03-11T09:00:00Z"});
    expect(app.post(&tasks, &admin, &task).await, 201).await;
}

#[tokio::test]
async fn cancelling_approved_leave_removes_its_event_and_frees_the_days() {
    let app = spawn_app().await;
    let (admin, field, hr) = (
        app.login(ADMIN).await,
        app.login(FIELD).await,
        app.login(HR).await,
    );
    let leave = field_away_mon_to_wed(&app).await;
    let id = leave["id"].as_i64().unwrap();
    let event = leave["calendar_event_id"].as_i64().unwrap();
    // The event goes with its leave, not on its own.
    let refused = expect(
        app.delete(&format!("/api/calendar/events/{event}"), &admin)
            .await,
        409,
    )
    .await;
    assert_eq!(refused["code"], "owned_by_leave");
    // The requester may not cancel approved leave; HR may.
    expect(
        app.post(&format!("/api/leave/{id}/cancel"), &field, &json!({}))
            .await,
        403,
    )
    .await;
    let cancelled = expect(
        app.post(&format!("/api/leave/{id}/cancel"), &hr, &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert!(cancelled["calendar_event_id"].is_null());
    assert!(leave_events(&app, &admin).await.is_empty());
    // The days are free: for work and for a new request.
    let field_id = app.user_id(&admin, FIELD).await;
    let mut body = bank_case("After cancel");
    body["assigned_to_user_id"] = json!(field_id);
    body["site_visit_date"] = json!("2027-03-09T05:00:00Z");
    body["report_due_date"] = json!("2027-03-12T05:00:00Z");
    create(&app, &admin, &body).await;
    request(&app, &field, &full_days(MON, MON)).await;
    // The trail has every step.
    let trail = expect(
        app.get(
            "/api/activity?limit=50&activity_type=LEAVE_CANCELLED",
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(trail.as_array().unwrap().len(), 1);
    assert_eq!(trail[0]["payload_json"]["leave_request_id"], id);
}

#[tokio::test]
async fn overlapping_requests_are_refused_and_two_halves_of_a_day_are_not() {
    let app = spawn_app().await;
    let field = app.login(FIELD).await;
    let first = request(&app, &field, &full_days(MON, WED)).await;
    let overlap = expect(
        app.post("/api/leave/request", &field, &full_days(WED, "2027-03-12"))
            .await,
        409,
    )
    .await;
    assert_eq!(overlap["code"], "leave_overlap");
    let named = format!("request {}", first["id"]);
    assert!(
        overlap["detail"].as_str().unwrap().contains(&named),
        "{overlap}"
    );
    let half = |session: &str| {
        json!({"leave_type": "HALF_DAY", "start_date": "2027-03-15", "end_date": "2027-03-15",
               "half_day_session": session})
    };
    let morning = request(&app, &field, &half("FIRST_HALF")).await;
    assert_eq!(morning["working_days"], 0.5);
    request(&app, &field, &half("SECOND_HALF")).await;
    expect(
        app.post("/api/leave/request", &field, &half("FIRST_HALF"))
            .await,
        409,
    )
    .await;
    // A half day without a session is the first half.
    let unnamed = json!({"leave_type": "HALF_DAY", "start_date": "2027-03-16"});
    let unnamed = request(&app, &field, &unnamed).await;
    assert_eq!(unnamed["half_day_session"], "FIRST_HALF");
    // Permission hours need hours.
    let hours = json!({"leave_type": "PERMISSION_HOURS", "start_date": "2027-03-17",
                       "end_date": "2027-03-17", "hours": 0});
    let refused = expect(app.post("/api/leave/request", &field, &hours).await, 422).await;
    assert_eq!(refused["errors"][0]["field"], "hours");
    let hours = json!({"leave_type": "PERMISSION_HOURS", "start_date": "2027-03-17",
                       "end_date": "2027-03-17", "hours": 2.5});
    let permission = request(&app, &field, &hours).await;
    assert_eq!(permission["hours"], 2.5);
    assert_eq!(permission["working_days"], 0.0);
    // The request form sends every field whatever the kind, some as empty strings.
    let form = json!({"leave_type": "FULL_DAY", "start_date": "2027-03-18", "end_date": "",
                      "hours": "", "reason": "Form"});
    let from_form = request(&app, &field, &form).await;
    assert_eq!(from_form["end_date"], "2027-03-18");
    assert!(from_form["hours"].is_null());
    let form = json!({"leave_type": "PERMISSION_HOURS", "start_date": "2027-03-19",
                      "end_date": "2027-03-19", "hours": "1.5"});
    assert_eq!(request(&app, &field, &form).await["hours"], 1.5);
    // Sundays only: nothing to take leave from.
    expect(
        app.post(
            "/api/leave/request",
            &field,
            &full_days("2027-03-14", "2027-03-14"),
        )
        .await,
        422,
    )
    .await;
}

#[tokio::test]
async fn hr_does_not_decide_their_own_leave_and_a_rejection_takes_its_comment_from_the_query() {
    let app = spawn_app().await;
    let (hr, admin, field) = (
        app.login(HR).await,
        app.login(ADMIN).await,
        app.login(FIELD).await,
    );
    let own = request(&app, &hr, &full_days(MON, MON)).await;
    let own_id = own["id"].as_i64().unwrap();
    expect(
        app.post(&format!("/api/leave/{own_id}/approve"), &hr, &json!({}))
            .await,
        403,
    )
    .await;
    // HR's inbox leaves out HR's own; the ADMIN's has it.
    // (The field valuer's request is made first, so HR's inbox is not empty.)
    let theirs = request(&app, &field, &full_days(WED, WED)).await;
    let id = theirs["id"].as_i64().unwrap();
    let inbox = expect(app.get("/api/leave/inbox", &hr).await, 200).await;
    let inbox: Vec<i64> = inbox
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert_eq!(inbox, vec![id]);
    let inbox = expect(app.get("/api/leave/inbox", &admin).await, 200).await;
    assert!(inbox.as_array().unwrap().iter().any(|l| l["id"] == own_id));
    // Nobody else decides leave.
    let ops = app.login(OPS).await;
    expect(
        app.post(&format!("/api/leave/{id}/approve"), &ops, &json!({}))
            .await,
        403,
    )
    .await;
    expect(app.get("/api/leave/inbox", &field).await, 403).await;
    // The Approvals page sends the comment in the query string and no body.
    let rejected = expect(
        app.request(
            reqwest::Method::POST,
            &format!("/api/leave/{id}/reject?comment=Month-end%20close"),
            Some(&hr),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["decision_comment"], "Month-end close");
    assert!(rejected["calendar_event_id"].is_null());
    // Decided once.
    let again = expect(
        app.post(&format!("/api/leave/{id}/approve"), &hr, &json!({}))
            .await,
        409,
    )
    .await;
    assert_eq!(again["code"], "already_decided");
    // The requester sees it in their list with the decision.
    let mine = expect(app.get("/api/leave/my", &field).await, 200).await;
    assert_eq!(mine[0]["status"], "REJECTED");
    // Lists: HR sees everyone's; the field valuer only their own; a bad filter is 422.
    let all = expect(app.get("/api/leave?status_filter=PENDING", &hr).await, 200).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let seen = expect(app.get("/api/leave", &field).await, 200).await;
    assert_eq!(seen.as_array().unwrap().len(), 1);
    assert_eq!(seen[0]["id"], id);
    expect(app.get("/api/leave?status_filter=MAYBE", &hr).await, 422).await;
}

#[tokio::test]
async fn on_leave_today_shows_in_workload_dashboard_and_users_and_who_is_free_skips_them() {
    let app = spawn_app().await;
    let (admin, field, hr) = (
        app.login(ADMIN).await,
        app.login(FIELD).await,
        app.login(HR).await,
    );
    let field_id = app.user_id(&admin, FIELD).await;
    // Open work for the field valuer, so that they have a workload row.
    let mut body = bank_case("Workload");
    body["assigned_to_user_id"] = json!(field_id);
    create(&app, &admin, &body).await;
    let today = OffsetDateTime::now_utc();
    let day = |d: i64| (today + Duration::days(d)).date().to_string();
    let leave = request(&app, &field, &full_days(&day(-3), &day(3))).await;
    approve(&app, &hr, leave["id"].as_i64().unwrap()).await;

    let workload = expect(app.get("/api/assignments/workload", &admin).await, 200).await;
    let row = workload
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == field_id)
        .unwrap()
        .clone();
    assert_eq!(row["on_leave_today"], true);
    assert!(!row["upcoming_leave"].as_array().unwrap().is_empty());
    assert_eq!(row["upcoming_leave"][0]["leave_type"], "FULL_DAY");
    // People on leave sort last.
    assert_eq!(
        workload.as_array().unwrap().last().unwrap()["user_id"],
        field_id
    );
    let dashboard = expect(app.get("/api/dashboard/overview", &admin).await, 200).await;
    assert!(
        dashboard["workload"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["user_id"] == field_id && r["on_leave_today"] == true)
    );
    let users = expect(app.get("/api/auth/users", &admin).await, 200).await;
    for user in users.as_array().unwrap() {
        assert_eq!(user["on_leave_today"], user["id"] == field_id, "{user}");
    }

    // Who is free in the leave: the assistant, not the field valuer.
    let free = expect(
        app.get(
            &format!("/api/assignments/suggest-assignees?date={}", day(0)),
            &admin,
        )
        .await,
        200,
    )
    .await;
    let free: Vec<i64> = free
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_i64().unwrap())
        .collect();
    let assistant_id = app.user_id(&admin, ASSISTANT).await;
    assert!(free.contains(&assistant_id));
    assert!(!free.contains(&field_id));
    // After it, the field valuer ranks after the assistant: they have open work.
    let after = expect(
        app.get(
            &format!("/api/assignments/suggest-assignees?date={}", day(10)),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(after[0]["user_id"], assistant_id);
    assert_eq!(after[0]["open"], 0);
    assert_eq!(after[1]["user_id"], field_id);
    assert_eq!(after[1]["open"], 1);
    assert!(after[1]["reason"].as_str().unwrap().contains("1 open"));
    // Only the role asked for; garbage is 422; people without a view-all role may not.
    let ops_only = expect(
        app.get(
            &format!(
                "/api/assignments/suggest-assignees?date={}&role=OPS_MANAGER",
                day(10)
            ),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ops_only.as_array().unwrap().len(), 1);
    expect(
        app.get("/api/assignments/suggest-assignees?date=soon", &admin)
            .await,
        422,
    )
    .await;
    expect(
        app.get("/api/assignments/suggest-assignees?date=2027-03-08", &field)
            .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn a_report_due_on_a_holiday_or_a_sunday_is_due_at_the_end_of_the_next_working_day() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    // Wednesday 17 March 2027 becomes a holiday.
    let holiday = expect(
        app.post(
            "/api/master/holidays",
            &admin,
            &json!({"date": "2027-03-17", "name": "Founders' Day"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(holiday["date"], "2027-03-17");
    expect(
        app.post(
            "/api/master/holidays",
            &admin,
            &json!({"date": "2027-03-17", "name": "Twice"}),
        )
        .await,
        409,
    )
    .await;
    expect(
        app.post(
            "/api/master/holidays",
            &admin,
            &json!({"date": "17/03/2027", "name": "x"}),
        )
        .await,
        422,
    )
    .await;
    let due = |day: &str| {
        let mut body = bank_case("Holiday");
        body["site_visit_date"] = Value::Null;
        body["report_due_date"] = json!(day);
        body
    };
    let due_time = async |day: &str| {
        let id = create(&app, &admin, &due(day)).await["id"]
            .as_i64()
            .unwrap();
        let detail = expect(
            app.get(&format!("/api/assignments/{id}/detail"), &admin)
                .await,
            200,
        )
        .await;
        detail["due"]["due_time"].as_str().unwrap().to_owned()
    };
    // Due on the holiday: Thursday 18:00 IST.
    assert_eq!(due_time("2027-03-17").await, "2027-03-18T12:30:00Z");
    // Due on Sunday the 14th: Monday 18:00 IST.
    assert_eq!(due_time("2027-03-14").await, "2027-03-15T12:30:00Z");
    // A working day keeps its own 18:00.
    assert_eq!(due_time("2027-03-16").await, "2027-03-16T12:30:00Z");
    // Work already planned moves with the holidays: a report due Friday the 19th, then
    // the 19th becomes a holiday (Saturday is worked), then it is a working day again.
    let planned = create(&app, &admin, &due("2027-03-19")).await["id"]
        .as_i64()
        .unwrap();
    let due_now = async || {
        let detail = expect(
            app.get(&format!("/api/assignments/{planned}/detail"), &admin)
                .await,
            200,
        )
        .await;
        detail["due"]["due_time"].as_str().unwrap().to_owned()
    };
    assert_eq!(due_now().await, "2027-03-19T12:30:00Z");
    let added = expect(
        app.post(
            "/api/master/holidays",
            &admin,
            &json!({"date": "2027-03-19", "name": "Local festival"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(due_now().await, "2027-03-20T12:30:00Z");
    let moved = format!("/api/master/holidays/{}", added["id"]);
    expect(
        app.patch(&moved, &admin, &json!({"date": "2027-03-22"}))
            .await,
        200,
    )
    .await;
    assert_eq!(due_now().await, "2027-03-19T12:30:00Z");
    expect(
        app.patch(&moved, &admin, &json!({"date": "2027-03-19"}))
            .await,
        200,
    )
    .await;
    assert_eq!(due_now().await, "2027-03-20T12:30:00Z");
    expect(app.delete(&moved, &admin).await, 204).await;
    assert_eq!(due_now().await, "2027-03-19T12:30:00Z");
    // Only master-data roles write holidays; everyone reads them.
    let field = app.login(FIELD).await;
    expect(
        app.post(
            "/api/master/holidays",
            &field,
            &json!({"date": "2027-03-18", "name": "Mine"}),
        )
        .await,
        403,
    )
    .await;
    let listed = expect(app.get("/api/master/holidays", &field).await, 200).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["date"] == "2027-03-17")
    );
}

#[tokio::test]
async fn overlapping_requests_sent_at_once_make_one_request_and_one_decision_wins() {
    let app = spawn_app().await;
    let (field, hr, admin) = (
        app.login(FIELD).await,
        app.login(HR).await,
        app.login(ADMIN).await,
    );
    // Ten requests for days that all share Wednesday, at the same moment.
    let sends = (0..10).map(|i| {
        let (app, field) = (&app, field.clone());
        let start = if i % 2 == 0 { MON } else { WED };
        let body = full_days(start, if i % 2 == 0 { WED } else { "2027-03-12" });
        async move {
            app.post("/api/leave/request", &field, &body)
                .await
                .status()
                .as_u16()
        }
    });
    let mut statuses = futures_util::future::join_all(sends).await;
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let mine = expect(app.get("/api/leave/my", &field).await, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);

    // HR and the ADMIN approve and HR cancels at once: one decision, at most one event.
    let id = mine[0]["id"].as_i64().unwrap();
    let decide = |token: String, action: &'static str| {
        let app = &app;
        async move {
            app.post(&format!("/api/leave/{id}/{action}"), &token, &json!({}))
                .await
                .status()
                .as_u16()
        }
    };
    let statuses = futures_util::future::join_all([
        decide(hr.clone(), "approve"),
        decide(admin.clone(), "approve"),
        decide(hr.clone(), "reject"),
        decide(admin.clone(), "approve"),
    ])
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let after = expect(app.get(&format!("/api/leave/{id}"), &admin).await, 200).await;
    let events = leave_events(&app, &admin).await;
    match after["status"].as_str().unwrap() {
        "APPROVED" => {
            assert_eq!(events.len(), 1);
            assert_eq!(events[0]["id"], after["calendar_event_id"]);
        }
        "REJECTED" => assert!(events.is_empty()),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn an_approved_reassignment_asks_about_leave_on_the_day_of_the_work() {
    let app = spawn_app().await;
    let (assistant, ops) = (app.login(ASSISTANT).await, app.login(OPS).await);
    field_away_mon_to_wed(&app).await;
    let field_id = app.user_id(&ops, FIELD).await;
    let mut body = bank_case("Reassign by approval");
    body["site_visit_date"] = json!("2027-03-09T05:00:00Z");
    body["report_due_date"] = json!("2027-03-12T05:00:00Z");
    let id = create(&app, &assistant, &body).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/assignments/{id}");
    // The assistant may not reassign: the change becomes a request.
    let asked = expect(
        app.patch(&path, &assistant, &json!({"assigned_to_user_id": field_id}))
            .await,
        202,
    )
    .await;
    let approval = asked["approvals_requested"][0]["id"].as_i64().unwrap();
    let approve = format!("/api/approvals/{approval}/approve");
    let refused = expect(app.post(&approve, &ops, &json!({})).await, 409).await;
    assert_eq!(refused["code"], "assignee_on_leave");
    assert_eq!(refused["detail"]["day"], "2027-03-09");
    // Nothing happened: the request waits, the assignment is unchanged.
    let pending = expect(
        app.get(&format!("/api/approvals/{approval}"), &ops).await,
        200,
    )
    .await;
    assert_eq!(pending["status"], "PENDING");
    let unchanged = expect(app.get(&path, &ops).await, 200).await;
    assert!(unchanged["assigned_to_user_id"].is_null());
    // Moved to Thursday, the same request goes through.
    expect(
        app.patch(
            &path,
            &assistant,
            &json!({"site_visit_date": "2027-03-11T05:00:00Z"}),
        )
        .await,
        200,
    )
    .await;
    expect(app.post(&approve, &ops, &json!({})).await, 200).await;
    let moved = expect(app.get(&path, &ops).await, 200).await;
    assert_eq!(moved["assigned_to_user_id"], field_id);
}
