//! The calendar: editing one's own events, events that follow tasks, and iCal feeds.

use serde_json::{Value, json};

use crate::assignments::{bank_case, create};
use crate::helpers::*;

fn meeting(title: &str) -> Value {
    json!({
        "event_type": "INTERNAL_MEETING", "title": title, "description": "Weekly",
        "start_at": "2027-04-05T04:30:00Z", "end_at": "2027-04-05T05:30:00Z",
        "all_day": false, "assigned_user_ids": []
    })
}

async fn titles(app: &TestApp, token: &str) -> Vec<String> {
    let events = expect(
        app.get(
            "/api/calendar/events?start_from=2027-01-01T00:00:00Z&start_to=2027-12-31T00:00:00Z",
            token,
        )
        .await,
        200,
    )
    .await;
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn people_edit_their_own_events_and_see_only_what_concerns_them() {
    let app = spawn_app().await;
    let (employee, field, admin) = (
        app.login(EMPLOYEE).await,
        app.login(FIELD).await,
        app.login(ADMIN).await,
    );
    let field_id = app.user_id(&admin, FIELD).await;
    let private = expect(
        app.post("/api/calendar/events", &employee, &meeting("Private"))
            .await,
        201,
    )
    .await;
    let id = private["id"].as_i64().unwrap();
    assert_eq!(private["assigned_to_user_id"], Value::Null);
    let mut shared = meeting("Shared");
    shared["assigned_user_ids"] = json!([field_id]);
    let shared = expect(
        app.post("/api/calendar/events", &employee, &shared).await,
        201,
    )
    .await;
    // Listed people become the primary (the smallest id) and stay in the list.
    assert_eq!(shared["assigned_to_user_id"], field_id);
    assert_eq!(shared["assigned_user_ids"], json!([field_id]));
    let mut everyone = meeting("Town hall");
    everyone["assigned_to_all"] = json!(true);
    expect(
        app.post("/api/calendar/events", &employee, &everyone).await,
        201,
    )
    .await;

    // The field valuer sees the shared meeting and the town hall, not the private one.
    let seen = titles(&app, &field).await;
    assert!(seen.contains(&"Shared".to_owned()));
    assert!(seen.contains(&"Town hall".to_owned()));
    assert!(!seen.contains(&"Private".to_owned()));
    expect(
        app.get(&format!("/api/calendar/events/{id}"), &field).await,
        404,
    )
    .await;
    // Seeing is not editing: only the creator or a view-all role change it.
    let shared_id = shared["id"].as_i64().unwrap();
    expect(
        app.patch(
            &format!("/api/calendar/events/{shared_id}"),
            &field,
            &json!({"title": "Mine now"}),
        )
        .await,
        403,
    )
    .await;
    let renamed = expect(
        app.patch(
            &format!("/api/calendar/events/{id}"),
            &employee,
            &json!({"title": "Renamed", "description": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(renamed["title"], "Renamed");
    assert!(renamed["description"].is_null());
    expect(
        app.patch(
            &format!("/api/calendar/events/{shared_id}"),
            &admin,
            &json!({"end_at": "2027-04-05T06:00:00Z"}),
        )
        .await,
        200,
    )
    .await;
    expect(
        app.delete(&format!("/api/calendar/events/{shared_id}"), &field)
            .await,
        403,
    )
    .await;
    expect(
        app.delete(&format!("/api/calendar/events/{id}"), &employee)
            .await,
        204,
    )
    .await;
    expect(
        app.get(&format!("/api/calendar/events/{id}"), &employee)
            .await,
        404,
    )
    .await;

    // Rules: the end not before the start, labels that exist, types a person may set.
    let mut backwards = meeting("Backwards");
    backwards["end_at"] = json!("2027-04-05T03:00:00Z");
    let refused = expect(
        app.post("/api/calendar/events", &employee, &backwards)
            .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "end_at");
    let mut unlabelled = meeting("Label");
    unlabelled["event_label_id"] = json!(999_999);
    let refused = expect(
        app.post("/api/calendar/events", &employee, &unlabelled)
            .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "event_label_id");
    let mut labelled = meeting("Labelled");
    labelled["event_label_id"] = json!(1);
    let labelled = expect(
        app.post("/api/calendar/events", &employee, &labelled).await,
        201,
    )
    .await;
    assert!(labelled["event_label_name"].is_string());
    let mut stranger = meeting("Stranger");
    stranger["assigned_user_ids"] = json!([999_999]);
    let refused = expect(
        app.post("/api/calendar/events", &employee, &stranger).await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "assigned_user_ids");
    // A `datetime-local` value is the firm's local time.
    let mut local = meeting("Local");
    local["start_at"] = json!("2027-04-06T10:00");
    local["end_at"] = json!("2027-04-06T11:30");
    let local = expect(
        app.post("/api/calendar/events", &employee, &local).await,
        201,
    )
    .await;
    assert_eq!(local["start_at"], "2027-04-06T04:30:00Z");
    assert_eq!(local["end_at"], "2027-04-06T06:00:00Z");
    let mut leave = meeting("Fake leave");
    leave["event_type"] = json!("LEAVE");
    expect(
        app.post("/api/calendar/events", &employee, &leave).await,
        422,
    )
    .await;
    // An assignment the caller does not work on cannot be linked.
    let assignment = create(&app, &admin, &bank_case("Calendar")).await;
    let mut linked = meeting("Linked");
    linked["assignment_id"] = assignment["id"].clone();
    expect(
        app.post("/api/calendar/events", &employee, &linked).await,
        404,
    )
    .await;
    let linked = expect(app.post("/api/calendar/events", &admin, &linked).await, 201).await;
    assert_eq!(linked["assignment_code"], assignment["assignment_code"]);
}

#[tokio::test]
async fn a_tasks_due_date_is_a_task_due_event_that_follows_it() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field_id = app.user_id(&admin, FIELD).await;
    let assignment = create(&app, &admin, &bank_case("Task due")).await;
    let a = assignment["id"].as_i64().unwrap();
    let events = |app: &TestApp, token: String| {
        let app_url = format!("/api/calendar/events?assignment_id={a}&event_type=TASK_DUE");
        let client = app.client.clone();
        let url = app.url(&app_url);
        async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            expect(response, 200).await.as_array().unwrap().clone()
        }
    };
    let task = expect(
        app.post(
            &format!("/api/assignments/{a}/tasks"),
            &admin,
            &json!({"title": "Collect deed", "assigned_to_user_id": field_id,
                    "due_at": "2027-05-03T06:00:00Z"}),
        )
        .await,
        201,
    )
    .await;
    let t = task["id"].as_i64().unwrap();
    let now = events(&app, admin.clone()).await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["task_id"], t);
    assert_eq!(now[0]["start_at"], "2027-05-03T06:00:00Z");
    assert_eq!(now[0]["assigned_to_user_id"], field_id);
    assert_eq!(now[0]["assignment_code"], assignment["assignment_code"]);
    // The field valuer sees the task on their calendar.
    let field = app.login(FIELD).await;
    assert_eq!(events(&app, field).await.len(), 1);
    // Deleting it directly is refused: it follows the task.
    let event = now[0]["id"].as_i64().unwrap();
    let refused = expect(
        app.delete(&format!("/api/calendar/events/{event}"), &admin)
            .await,
        409,
    )
    .await;
    assert_eq!(refused["code"], "owned_by_task");

    let path = format!("/api/assignments/{a}/tasks/{t}");
    expect(
        app.patch(&path, &admin, &json!({"due_at": "2027-05-04T06:00:00Z"}))
            .await,
        200,
    )
    .await;
    let moved = events(&app, admin.clone()).await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["start_at"], "2027-05-04T06:00:00Z");
    expect(
        app.patch(&path, &admin, &json!({"due_at": null})).await,
        200,
    )
    .await;
    assert!(events(&app, admin.clone()).await.is_empty());
    expect(
        app.patch(&path, &admin, &json!({"due_at": "2027-05-05T06:00:00Z"}))
            .await,
        200,
    )
    .await;
    assert_eq!(events(&app, admin.clone()).await.len(), 1);
    expect(app.delete(&path, &admin).await, 204).await;
    assert!(events(&app, admin.clone()).await.is_empty());
}

#[tokio::test]
async fn a_calendar_feed_carries_the_owners_events_only_and_dies_when_rotated() {
    let app = spawn_app().await;
    let (field, hr, admin) = (
        app.login(FIELD).await,
        app.login(HR).await,
        app.login(ADMIN).await,
    );
    // The field valuer's approved leave on a working day about a month from now (not a
    // Sunday, not one of the demo firm's holidays).
    let mut day = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let holidays = [
        (time::Month::January, 26),
        (time::Month::August, 15),
        (time::Month::October, 2),
    ];
    while day.weekday() == time::Weekday::Sunday || holidays.contains(&(day.month(), day.day())) {
        day = day.next_day().unwrap();
    }
    let start = day.to_string();
    let leave = expect(
        app.post(
            "/api/leave/request",
            &field,
            &json!({"leave_type": "FULL_DAY", "start_date": start, "end_date": start}),
        )
        .await,
        201,
    )
    .await;
    let leave = expect(
        app.post(
            &format!("/api/leave/{}/approve", leave["id"]),
            &hr,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let leave_event = leave["calendar_event_id"].as_i64().unwrap();
    // Someone else's private meeting, in the window.
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(3))
        .replace_nanosecond(0)
        .unwrap();
    let at = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let private = expect(
        app.post(
            "/api/calendar/events",
            &hr,
            &json!({"event_type": "INTERNAL_MEETING", "title": "HR only", "start_at": at}),
        )
        .await,
        201,
    )
    .await;

    let link = expect(
        app.post("/api/calendar/feed-token", &field, &json!({}))
            .await,
        200,
    )
    .await;
    let url = link["url"].as_str().unwrap().to_owned();
    assert!(url.ends_with(".ics"), "{url}");
    let path = &url[url.find("/api/").unwrap()..];
    let feed = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = feed.text().await.unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(text.contains("END:VCALENDAR"));
    assert!(
        text.contains(&format!("UID:event-{leave_event}@zenops")),
        "{text}"
    );
    // All-day leave is a date: DTSTART;VALUE=DATE:YYYYMMDD.
    assert!(
        text.contains(&format!("DTSTART;VALUE=DATE:{}", start.replace('-', ""))),
        "{text}"
    );
    assert!(!text.contains(&format!("UID:event-{}@zenops", private["id"])));
    assert!(!text.contains("HR only"));

    // A new link revokes the old one.
    let rotated = expect(
        app.post("/api/calendar/feed-token", &field, &json!({}))
            .await,
        200,
    )
    .await;
    let new_url = rotated["url"].as_str().unwrap();
    assert_ne!(new_url, url);
    let old = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(old.status(), 404);
    let new_path = &new_url[new_url.find("/api/").unwrap()..];
    let fresh = app.client.get(app.url(new_path)).send().await.unwrap();
    assert_eq!(fresh.status(), 200);
    // Unknown secrets are 404, however they look.
    for bogus in [
        "nothing.ics",
        "0000000000000000000000000000000000000000000000000000000000000000.ics",
        "x",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/calendar/feed/{bogus}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{bogus}");
    }
    // A deactivated account's feed goes dark.
    let field_id = app.user_id(&admin, FIELD).await;
    expect(
        app.patch(
            &format!("/api/auth/users/{field_id}"),
            &admin,
            &json!({"is_active": false}),
        )
        .await,
        200,
    )
    .await;
    let dark = app.client.get(app.url(new_path)).send().await.unwrap();
    assert_eq!(dark.status(), 404);
}
