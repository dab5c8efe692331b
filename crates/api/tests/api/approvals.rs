//! Approvals end to end: requests from every source, decisions by the right people only,
//! each action applied once through its owner's rules, and the counts that show them.

use serde_json::{Value, json};

use crate::assignments::{bank_case, create};
use crate::helpers::*;

async fn trail(app: &TestApp, token: &str, assignment: i64) -> Vec<Value> {
    let rows = expect(
        app.get(
            &format!("/api/activities?assignment_id={assignment}&limit=500"),
            token,
        )
        .await,
        200,
    )
    .await;
    rows.as_array().unwrap().clone()
}

fn of_kind<'a>(rows: &'a [Value], kind: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["type"] == kind).collect()
}

fn payload(row: &Value) -> Value {
    match &row["payload_json"] {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        other => other.clone(),
    }
}

async fn request(app: &TestApp, token: &str, body: Value) -> Value {
    expect(app.post("/api/approvals/request", token, &body).await, 201).await
}

fn about(assignment: i64, action: &str) -> Value {
    json!({
        "entity_type": "ASSIGNMENT", "entity_id": assignment, "action_type": action,
        "reason": "Please", "assignment_id": assignment
    })
}

async fn decide(app: &TestApp, token: &str, id: i64, verdict: &str, status: u16) -> Value {
    expect(
        app.post(
            &format!("/api/approvals/{id}/{verdict}"),
            token,
            &json!({"comment": null}),
        )
        .await,
        status,
    )
    .await
}

#[tokio::test]
async fn a_delete_by_a_non_admin_waits_for_approval_then_happens_once() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let ops = app.login(OPS).await;
    let id = create(&app, &assistant, &bank_case("Twice")).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/assignments/{id}");

    let asked = expect(
        app.delete(&format!("{path}?reason=Opened%20twice"), &assistant)
            .await,
        202,
    )
    .await;
    assert_eq!(asked["action_type"], "DELETE_ASSIGNMENT");
    assert_eq!(asked["status"], "PENDING");
    assert_eq!(asked["reason"], "Opened twice");
    assert_eq!(asked["assignment_id"], id);
    let approval = asked["id"].as_i64().unwrap();

    // The work survives until someone decides; its page and lists show the request.
    let detail = expect(app.get(&format!("{path}/detail"), &assistant).await, 200).await;
    assert_eq!(detail["approvals"][0]["id"], approval);
    assert_eq!(detail["assignment"]["approvals_pending"], 1);
    let rows = expect(app.get("/api/assignments/with-due", &assistant).await, 200).await;
    assert_eq!(rows[0]["approvals_pending"], 1);
    assert_eq!(
        expect(app.get("/api/dashboard/overview", &ops).await, 200).await["approvals_pending"],
        1
    );
    assert_eq!(
        expect(app.get("/api/approvals/inbox-count", &ops).await, 200).await["pending"],
        1
    );
    // Those who decide nothing have nothing pending.
    assert_eq!(
        expect(app.get("/api/dashboard/overview", &assistant).await, 200).await["approvals_pending"],
        0
    );
    let mine = expect(app.get("/api/approvals/mine", &assistant).await, 200).await;
    assert_eq!(mine[0]["id"], approval);

    // Not by the requester, not by the wrong role, not by someone who cannot see it.
    let own = decide(&app, &assistant, approval, "approve", 403).await;
    assert!(own["detail"].as_str().unwrap().contains("own request"));
    let finance = app.login(FINANCE).await;
    decide(&app, &finance, approval, "approve", 403).await;
    let field = app.login(FIELD).await;
    decide(&app, &field, approval, "approve", 404).await;
    expect(app.get(&path, &assistant).await, 200).await;

    let done = decide(&app, &ops, approval, "approve", 200).await;
    assert_eq!(done["status"], "APPROVED");
    assert_eq!(done["approver_user_id"], app.user_id(&ops, OPS).await);
    assert!(done["decided_at"].is_string());
    expect(app.get(&path, &assistant).await, 404).await;
    decide(&app, &ops, approval, "approve", 409).await;

    let admin = app.login(ADMIN).await;
    let rows = trail(&app, &admin, id).await;
    let deleted = of_kind(&rows, "ASSIGNMENT_DELETED");
    assert_eq!(deleted.len(), 1);
    assert_eq!(payload(deleted[0])["approval_id"], approval);
    for kind in ["APPROVAL_REQUESTED", "APPROVAL_APPROVED"] {
        let entries = of_kind(&rows, kind);
        assert_eq!(entries.len(), 1, "{kind}");
        assert_eq!(payload(entries[0])["approval_id"], approval);
    }
    assert_eq!(
        expect(app.get("/api/approvals/inbox-count", &ops).await, 200).await["pending"],
        0
    );
}

#[tokio::test]
async fn twenty_concurrent_approvals_apply_the_action_once() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let id = create(&app, &assistant, &bank_case("Race")).await["id"]
        .as_i64()
        .unwrap();
    let approval = request(&app, &assistant, about(id, "DELETE_ASSIGNMENT")).await["id"]
        .as_i64()
        .unwrap();
    let deciders = [app.login(OPS).await, app.login(ADMIN).await];
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..20 {
        let call = app
            .client
            .post(app.url(&format!("/api/approvals/{approval}/approve")))
            .bearer_auth(&deciders[i % 2])
            .json(&json!({}));
        calls.spawn(async move {
            let response = call.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    let mut statuses = Vec::new();
    while let Some(result) = calls.join_next().await {
        let (status, body) = result.unwrap();
        if status == 409 {
            assert_eq!(body["code"], "already_decided", "{body}");
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("no longer pending")
            );
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    let mut expected = vec![200];
    expected.extend([409; 19]);
    assert_eq!(statuses, expected);
    let rows = trail(&app, &deciders[1], id).await;
    assert_eq!(of_kind(&rows, "ASSIGNMENT_DELETED").len(), 1);
    assert_eq!(of_kind(&rows, "APPROVAL_APPROVED").len(), 1);
}

#[tokio::test]
async fn approve_and_reject_racing_decide_once() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let id = create(&app, &assistant, &bank_case("Race")).await["id"]
        .as_i64()
        .unwrap();
    let approval = request(&app, &assistant, about(id, "DELETE_ASSIGNMENT")).await["id"]
        .as_i64()
        .unwrap();
    let ops = app.login(OPS).await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..10 {
        let verdict = if i % 2 == 0 { "approve" } else { "reject" };
        let call = app
            .client
            .post(app.url(&format!("/api/approvals/{approval}/{verdict}")))
            .bearer_auth(&ops)
            .json(&json!({"comment": "race"}));
        calls.spawn(async move { call.send().await.unwrap().status().as_u16() });
    }
    let mut won = 0;
    while let Some(status) = calls.join_next().await {
        match status.unwrap() {
            200 => won += 1,
            409 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won, 1);
    let decided = expect(
        app.get(&format!("/api/approvals/{approval}"), &ops).await,
        200,
    )
    .await;
    let deleted = app
        .get(&format!("/api/assignments/{id}"), &ops)
        .await
        .status()
        .as_u16();
    // The assignment is gone exactly when the approval won.
    match decided["status"].as_str().unwrap() {
        "APPROVED" => assert_eq!(deleted, 404),
        "REJECTED" => assert_eq!(deleted, 200),
        other => panic!("decided as {other}"),
    }
}

#[tokio::test]
async fn a_reassignment_without_the_capability_is_requested_then_applied() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let ops = app.login(OPS).await;
    let field = app.user_id(&ops, FIELD).await;
    let id = create(&app, &assistant, &bank_case("Move")).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/assignments/{id}");
    let asked = expect(
        app.patch(
            &path,
            &assistant,
            &json!({"assigned_to_user_id": field, "notes": "please move"}),
        )
        .await,
        202,
    )
    .await;
    // The rest of the change is made; the people wait for the decision.
    assert_eq!(asked["notes"], "please move");
    assert_eq!(asked["assigned_to_user_id"], Value::Null);
    let approval = asked["approvals_requested"][0]["id"].as_i64().unwrap();
    // Rejected: nothing changes.
    let rejected = expect(
        app.post(
            &format!("/api/approvals/{approval}/reject"),
            &ops,
            &json!({"comment": "not now"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["decision_comment"], "not now");
    let same = expect(app.get(&path, &assistant).await, 200).await;
    assert_eq!(same["assigned_to_user_id"], Value::Null);

    // Asked again and approved: moved, with its calendar and trail as a normal reassign.
    let asked = expect(
        app.patch(&path, &assistant, &json!({"assigned_to_user_id": field}))
            .await,
        202,
    )
    .await;
    let approval = asked["approvals_requested"][0]["id"].as_i64().unwrap();
    decide(&app, &ops, approval, "approve", 200).await;
    let moved = expect(app.get(&path, &assistant).await, 200).await;
    assert_eq!(moved["assigned_to_user_id"], field);
    assert!(moved["assigned_at"].is_string());
    let field_token = app.login(FIELD).await;
    let events = expect(app.get("/api/calendar/events", &field_token).await, 200).await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["assignment_id"] == id && e["assigned_to_user_id"] == field),
        "{events}"
    );
    let rows = trail(&app, &ops, id).await;
    let moved = of_kind(&rows, "ASSIGNMENT_REASSIGNED");
    assert_eq!(moved.len(), 1);
    assert_eq!(payload(moved[0])["approval_id"], approval);
}

#[tokio::test]
async fn a_fee_override_is_approved_by_money_roles_only() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let ops = app.login(OPS).await;
    let finance = app.login(FINANCE).await;
    let id = create(&app, &assistant, &bank_case("Fee")).await["id"]
        .as_i64()
        .unwrap();
    let mut body = about(id, "FEE_OVERRIDE");
    body["payload_json"] = json!({"fees": "4500.50"});
    let asked = request(&app, &assistant, body).await;
    // The requester sees the fee they asked for.
    assert_eq!(asked["payload_json"]["fees"], "4500.50");
    let approval = asked["id"].as_i64().unwrap();
    // A supervisor decides assignment work, but not money.
    let refused = decide(&app, &ops, approval, "approve", 403).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("FINANCE"),
        "{refused}"
    );
    let inbox = expect(app.get("/api/approvals/inbox", &ops).await, 200).await;
    assert_eq!(inbox, json!([]));
    let inbox = expect(app.get("/api/approvals/inbox", &finance).await, 200).await;
    assert_eq!(inbox[0]["id"], approval);
    decide(&app, &finance, approval, "approve", 200).await;
    let after = expect(
        app.get(&format!("/api/assignments/{id}"), &finance).await,
        200,
    )
    .await;
    assert_eq!(after["fees"], "4500.50");
    // Someone who may not see fees does not see the one asked for either.
    let hr = app.login(HR).await;
    let seen = expect(
        app.get(&format!("/api/approvals/{approval}"), &hr).await,
        200,
    )
    .await;
    assert!(seen["payload_json"].get("fees").is_none(), "{seen}");
}

#[tokio::test]
async fn closing_is_requested_and_goes_through_the_lifecycle() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let field = app.user_id(&ops, FIELD).await;
    let mut body = bank_case("Close");
    body["assigned_to_user_id"] = json!(field);
    let id = create(&app, &ops, &body).await["id"].as_i64().unwrap();
    let field_token = app.login(FIELD).await;
    // Open work cannot be closed: refused when asked.
    let early = expect(
        app.post(
            "/api/approvals/request",
            &field_token,
            &about(id, "CLOSE_ASSIGNMENT"),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(early["code"], "invalid_transition");
    let path = format!("/api/assignments/{id}");
    for step in ["SITE_VISIT", "UNDER_PROCESS", "SUBMITTED"] {
        expect(
            app.patch(&path, &field_token, &json!({"status": step}))
                .await,
            200,
        )
        .await;
    }
    let approval = request(&app, &field_token, about(id, "CLOSE_ASSIGNMENT")).await["id"]
        .as_i64()
        .unwrap();
    decide(&app, &ops, approval, "approve", 200).await;
    let closed = expect(app.get(&path, &field_token).await, 200).await;
    assert_eq!(closed["status"], "COMPLETED");
    assert!(closed["completed_at"].is_string());
}

#[tokio::test]
async fn role_changes_and_password_resets_are_decided_by_an_admin() {
    let app = spawn_app().await;
    let hr = app.login(HR).await;
    let admin = app.login(ADMIN).await;
    let employee = app.user_id(&hr, EMPLOYEE).await;
    let body = json!({
        "entity_type": "USER", "entity_id": employee, "action_type": "CHANGE_ROLE",
        "payload_json": {"role": "FIELD_VALUER"}
    });
    let approval = request(&app, &hr, body).await["id"].as_i64().unwrap();
    decide(&app, &app.login(OPS).await, approval, "approve", 403).await;
    decide(&app, &admin, approval, "approve", 200).await;
    let changed = expect(
        app.get(&format!("/api/auth/users/{employee}"), &admin)
            .await,
        200,
    )
    .await;
    assert_eq!(changed["role"], "FIELD_VALUER");

    // HR may not set FINANCE's password: the reset becomes a request, which keeps no
    // password; approved, it ends FINANCE's sessions and asks them for a new one.
    let finance_id = app.user_id(&hr, FINANCE).await;
    let finance = app.login(FINANCE).await;
    let asked = expect(
        app.post(
            &format!("/api/auth/users/{finance_id}/reset-password"),
            &hr,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await,
        202,
    )
    .await;
    assert!(!asked.to_string().contains(STRONG_PASSWORD));
    let listed = expect(app.get("/api/approvals", &admin).await, 200).await;
    assert!(!listed.to_string().contains(STRONG_PASSWORD));
    decide(&app, &admin, asked["id"].as_i64().unwrap(), "approve", 200).await;
    expect(app.get("/api/auth/me", &finance).await, 401).await;
    // The password sent with the request was never set.
    expect(app.login_form(FINANCE, STRONG_PASSWORD).await, 400).await;
    let back = app.login(FINANCE).await;
    let me = expect(app.get("/api/auth/me", &back).await, 200).await;
    assert_eq!(me["password_change_required"], true);
    let blocked = expect(app.get("/api/assignments", &back).await, 403).await;
    assert_eq!(blocked["code"], "password_change_required");
    expect(
        app.patch(
            "/api/auth/me",
            &back,
            &json!({"current_password": DEMO_PASSWORD, "password": STRONG_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    let me = expect(app.get("/api/auth/me", &back).await, 200).await;
    assert_eq!(me["password_change_required"], false);
    expect(app.get("/api/assignments", &back).await, 200).await;
}

#[tokio::test]
async fn an_admin_does_not_approve_their_own_demotion() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    // Two ADMINs; HR asks for both to be demoted.
    expect(
        app.post(
            "/api/auth/users",
            &admin,
            &new_user("boss@pinnacle.example", "ADMIN"),
        )
        .await,
        201,
    )
    .await;
    let boss = app
        .login_with("boss@pinnacle.example", STRONG_PASSWORD)
        .await;
    let hr = app.login(HR).await;
    let admin_id = app.user_id(&hr, ADMIN).await;
    let boss_id = app.user_id(&hr, "boss@pinnacle.example").await;
    let demote = |id: i64| {
        json!({"entity_type": "USER", "entity_id": id, "action_type": "CHANGE_ROLE",
               "payload_json": {"role": "EMPLOYEE"}})
    };
    let first = request(&app, &hr, demote(admin_id)).await["id"]
        .as_i64()
        .unwrap();
    let second = request(&app, &hr, demote(boss_id)).await["id"]
        .as_i64()
        .unwrap();
    decide(&app, &boss, first, "approve", 200).await;
    // The boss is now the only ADMIN, and may not decide about their own roles: the
    // request waits (and the firm keeps an ADMIN).
    let refused = decide(&app, &boss, second, "approve", 403).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("own roles"),
        "{refused}"
    );
    let pending = expect(
        app.get(&format!("/api/approvals/{second}"), &boss).await,
        200,
    )
    .await;
    assert_eq!(pending["status"], "PENDING");
}

#[tokio::test]
async fn requests_are_checked_when_made() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let id = create(&app, &assistant, &bank_case("Checked")).await["id"]
        .as_i64()
        .unwrap();
    // A missing or invisible assignment.
    expect(
        app.post(
            "/api/approvals/request",
            &assistant,
            &about(999_999, "FINAL_REVIEW"),
        )
        .await,
        404,
    )
    .await;
    let field = app.login(FIELD).await;
    expect(
        app.post("/api/approvals/request", &field, &about(id, "FINAL_REVIEW"))
            .await,
        404,
    )
    .await;
    // An action that does not fit the entity; an unknown one; leave; invoices.
    for (entity, action) in [
        ("ASSIGNMENT", "CHANGE_ROLE"),
        ("ASSIGNMENT", "DROP_TABLE"),
        ("LEAVE", "EXCEPTION"),
        ("PLANET", "FINAL_REVIEW"),
    ] {
        let body = json!({"entity_type": entity, "entity_id": id, "action_type": action});
        let refused = expect(
            app.post("/api/approvals/request", &assistant, &body).await,
            422,
        )
        .await;
        assert_eq!(
            refused["code"], "validation_error",
            "{entity} {action}: {refused}"
        );
    }
    // An invoice that does not exist.
    let body = json!({"entity_type": "INVOICE", "entity_id": 999_999, "action_type": "MARK_PAID"});
    expect(
        app.post("/api/approvals/request", &assistant, &body).await,
        404,
    )
    .await;
    // A password never travels in a request.
    let mut body = about(id, "FINAL_REVIEW");
    body["payload_json"] = json!({"password": "x"});
    expect(
        app.post("/api/approvals/request", &assistant, &body).await,
        422,
    )
    .await;
    // A user request by someone who does not work with the people list.
    let body = json!({"entity_type": "USER", "entity_id": 1, "action_type": "RESET_PASSWORD"});
    expect(
        app.post("/api/approvals/request", &assistant, &body).await,
        403,
    )
    .await;
    // The templates' actions are approved and recorded without changing anything.
    let templates = expect(app.get("/api/approvals/templates", &assistant).await, 200).await;
    let action = templates[0]["action_type"].as_str().unwrap().to_owned();
    assert!(templates[0]["description"].is_string());
    let approval = request(&app, &assistant, about(id, &action)).await["id"]
        .as_i64()
        .unwrap();
    let ops = app.login(OPS).await;
    let before = expect(app.get(&format!("/api/assignments/{id}"), &ops).await, 200).await;
    decide(&app, &ops, approval, "approve", 200).await;
    let after = expect(app.get(&format!("/api/assignments/{id}"), &ops).await, 200).await;
    assert_eq!(before["updated_at"], after["updated_at"]);
    assert_eq!(
        of_kind(&trail(&app, &ops, id).await, "APPROVAL_APPROVED").len(),
        1
    );
}

#[tokio::test]
async fn lists_filter_by_status_and_the_requester_may_withdraw() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let ops = app.login(OPS).await;
    let id = create(&app, &assistant, &bank_case("Lists")).await["id"]
        .as_i64()
        .unwrap();
    let first = request(&app, &assistant, about(id, "FINAL_REVIEW")).await["id"]
        .as_i64()
        .unwrap();
    let second = request(&app, &assistant, about(id, "DOC_REQUEST")).await["id"]
        .as_i64()
        .unwrap();
    for garbage in ["nope", "PENDING;DROP", "%E2%80%8B"] {
        let refused = expect(
            app.get(&format!("/api/approvals?status_filter={garbage}"), &ops)
                .await,
            422,
        )
        .await;
        assert_eq!(refused["code"], "validation_error");
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("status_filter")
        );
    }
    // Only the requester withdraws, and only while pending.
    expect(
        app.post(
            &format!("/api/approvals/{first}/withdraw"),
            &ops,
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    let withdrawn = expect(
        app.post(
            &format!("/api/approvals/{first}/withdraw"),
            &assistant,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(withdrawn["status"], "CANCELLED");
    decide(&app, &ops, first, "approve", 409).await;
    let pending = expect(
        app.get("/api/approvals?status_filter=PENDING", &ops).await,
        200,
    )
    .await;
    let ids: Vec<i64> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second]);
    let cancelled = expect(
        app.get("/api/approvals?status_filter=cancelled", &assistant)
            .await,
        200,
    )
    .await;
    assert_eq!(cancelled[0]["id"], first);
    let open = expect(
        app.get("/api/approvals/mine?include_decided=false", &assistant)
            .await,
        200,
    )
    .await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    // Inboxes per role: assignment work for supervisors, not for HR; none for valuers.
    let inbox = expect(app.get("/api/approvals/inbox", &ops).await, 200).await;
    assert_eq!(inbox.as_array().unwrap().len(), 1);
    let hr_inbox = expect(
        app.get("/api/approvals/inbox", &app.login(HR).await).await,
        200,
    )
    .await;
    assert_eq!(hr_inbox, json!([]));
    expect(app.get("/api/approvals/inbox", &assistant).await, 403).await;
    decide(&app, &ops, second, "reject", 200).await;
    let decided = expect(
        app.get("/api/approvals/inbox?include_decided=true", &ops)
            .await,
        200,
    )
    .await;
    assert_eq!(decided[0]["id"], second);
    assert_eq!(decided[0]["status"], "REJECTED");
}

#[tokio::test]
async fn the_demo_firm_has_requests_pending_and_decided() {
    let app = spawn_app_with(|s| {
        s.seed_demo = true;
        s.seed_demo_work = true;
    })
    .await;
    let admin = app.login(ADMIN).await;
    let all = expect(app.get("/api/approvals", &admin).await, 200).await;
    let statuses: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    for status in ["PENDING", "APPROVED", "REJECTED"] {
        assert!(statuses.contains(&status), "{status}: {all}");
    }
    let ops = app.login(OPS).await;
    let finance = app.login(FINANCE).await;
    for token in [&ops, &finance] {
        let count = expect(app.get("/api/approvals/inbox-count", token).await, 200).await;
        assert!(count["pending"].as_u64().unwrap() >= 1, "{count}");
    }
}

#[tokio::test]
async fn a_refused_request_leaves_the_rest_of_the_change_unmade() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let ops = app.login(OPS).await;
    let id = create(&app, &assistant, &bank_case("Atomic")).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/assignments/{id}");
    // The reassignment names nobody who exists: the notes are not changed either.
    expect(
        app.patch(
            &path,
            &assistant,
            &json!({"notes": "changed", "assigned_to_user_id": 999_999}),
        )
        .await,
        422,
    )
    .await;
    // A fee that is no amount, likewise.
    expect(
        app.patch(&path, &ops, &json!({"notes": "changed", "fees": "lots"}))
            .await,
        422,
    )
    .await;
    let after = expect(app.get(&path, &ops).await, 200).await;
    assert_eq!(after["notes"], Value::Null);
    assert_eq!(after["approvals_pending"], 0);
    assert_eq!(
        expect(app.get("/api/approvals", &ops).await, 200).await,
        json!([])
    );
}

#[tokio::test]
async fn a_reassignment_approved_after_the_people_changed_is_refused() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let ops = app.login(OPS).await;
    let field = app.user_id(&ops, FIELD).await;
    let hr = app.user_id(&ops, HR).await;
    let id = create(&app, &assistant, &bank_case("Moved")).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/assignments/{id}");
    let asked = expect(
        app.patch(&path, &assistant, &json!({"assigned_to_user_id": field}))
            .await,
        202,
    )
    .await;
    let approval = asked["approvals_requested"][0]["id"].as_i64().unwrap();
    // Meanwhile a supervisor assigns someone else directly.
    expect(
        app.patch(&path, &ops, &json!({"assigned_to_user_id": hr}))
            .await,
        200,
    )
    .await;
    let refused = decide(&app, &ops, approval, "approve", 409).await;
    assert_eq!(refused["code"], "stale");
    let still = expect(app.get(&path, &ops).await, 200).await;
    assert_eq!(still["assigned_to_user_id"], hr);
    let pending = expect(
        app.get(&format!("/api/approvals/{approval}"), &ops).await,
        200,
    )
    .await;
    assert_eq!(pending["status"], "PENDING");
}

#[tokio::test]
async fn deleting_work_cancels_the_requests_about_it() {
    let app = spawn_app().await;
    let assistant = app.login(ASSISTANT).await;
    let admin = app.login(ADMIN).await;
    let ops = app.login(OPS).await;
    let id = create(&app, &assistant, &bank_case("Gone")).await["id"]
        .as_i64()
        .unwrap();
    let review = request(&app, &assistant, about(id, "FINAL_REVIEW")).await["id"]
        .as_i64()
        .unwrap();
    let delete = expect(
        app.delete(&format!("/api/assignments/{id}"), &assistant)
            .await,
        202,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    // Approving the delete closes the other request with it.
    decide(&app, &ops, delete, "approve", 200).await;
    let closed = expect(
        app.get(&format!("/api/approvals/{review}"), &ops).await,
        200,
    )
    .await;
    assert_eq!(closed["status"], "CANCELLED");
    assert_eq!(closed["decision_comment"], "The assignment was deleted");
    assert_eq!(
        expect(app.get("/api/approvals/inbox-count", &admin).await, 200).await["pending"],
        0
    );
    // A direct delete does the same.
    let other = create(&app, &assistant, &bank_case("Other")).await["id"]
        .as_i64()
        .unwrap();
    let asked = request(&app, &assistant, about(other, "DOC_REQUEST")).await["id"]
        .as_i64()
        .unwrap();
    expect(
        app.delete(&format!("/api/assignments/{other}"), &admin)
            .await,
        204,
    )
    .await;
    decide(&app, &ops, asked, "approve", 409).await;
}

#[tokio::test]
async fn until_a_new_password_is_chosen_only_the_own_account_answers() {
    let app = spawn_app().await;
    let hr = app.login(HR).await;
    let admin = app.login(ADMIN).await;
    let finance_id = app.user_id(&hr, FINANCE).await;
    let asked = expect(
        app.post(
            &format!("/api/auth/users/{finance_id}/reset-password"),
            &hr,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await,
        202,
    )
    .await;
    decide(&app, &admin, asked["id"].as_i64().unwrap(), "approve", 200).await;
    let finance = app.login(FINANCE).await;
    for path in ["/api/auth/me", "/api/auth/capabilities"] {
        expect(app.get(path, &finance).await, 200).await;
    }
    expect(
        app.post("/api/auth/heartbeat", &finance, &json!({})).await,
        200,
    )
    .await;
    // Editing the profile alone does not lift the requirement.
    let me = expect(
        app.patch(
            "/api/auth/me",
            &finance,
            &json!({"full_name": "Finance Desk"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(me["password_change_required"], true);
    for (method, path) in [
        ("GET", "/api/approvals"),
        ("GET", "/api/dashboard/overview"),
        ("POST", "/api/assignments"),
        ("GET", "/api/auth/users"),
        ("PATCH", "/api/auth/users/1"),
    ] {
        let response = match method {
            "GET" => app.get(path, &finance).await,
            "POST" => app.post(path, &finance, &json!({})).await,
            _ => app.patch(path, &finance, &json!({})).await,
        };
        let refused = expect(response, 403).await;
        assert_eq!(
            refused["code"], "password_change_required",
            "{method} {path}"
        );
    }
    // The same password again is not a new one.
    let same = expect(
        app.patch(
            "/api/auth/me",
            &finance,
            &json!({"current_password": DEMO_PASSWORD, "password": DEMO_PASSWORD}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(same["errors"][0]["field"], "password");
    expect(
        app.patch(
            "/api/auth/me",
            &finance,
            &json!({"current_password": DEMO_PASSWORD, "password": STRONG_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    expect(app.get("/api/dashboard/overview", &finance).await, 200).await;
}

#[tokio::test]
async fn admins_approving_demotions_at_once_do_not_deadlock() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let hr = app.login(HR).await;
    let mut admins = Vec::new();
    for n in 0..5 {
        let email = format!("admin{n}@pinnacle.example");
        expect(
            app.post("/api/auth/users", &admin, &new_user(&email, "ADMIN"))
                .await,
            201,
        )
        .await;
        admins.push(email);
    }
    let deciders = [
        admin.clone(),
        app.login_with(&admins[0], STRONG_PASSWORD).await,
    ];
    // Two rounds of two demotions decided at the same moment by two different ADMINs.
    for pair in admins[1..].chunks(2) {
        let mut asked = Vec::new();
        for email in pair {
            let id = app.user_id(&hr, email).await;
            let body = json!({"entity_type": "USER", "entity_id": id,
                              "action_type": "CHANGE_ROLE", "payload_json": {"role": "EMPLOYEE"}});
            asked.push(request(&app, &hr, body).await["id"].as_i64().unwrap());
        }
        let mut calls = tokio::task::JoinSet::new();
        for (approval, token) in asked.iter().zip(deciders.iter()) {
            let call = app
                .client
                .post(app.url(&format!("/api/approvals/{approval}/approve")))
                .bearer_auth(token)
                .json(&json!({}));
            calls.spawn(async move { call.send().await.unwrap().status().as_u16() });
        }
        while let Some(status) = calls.join_next().await {
            assert_eq!(status.unwrap(), 200);
        }
    }
}
