//! Managing people: create, edit, roles and overrides, deactivation, the last ADMIN.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn create_list_and_directory() {
    let app = spawn_app().await;
    let hr = app.login(HR).await;
    let created = expect(
        app.post(
            "/api/auth/users",
            &hr,
            &new_user("Priya@Pinnacle.example", "FIELD_VALUER"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["email"], "priya@pinnacle.example");
    assert_eq!(created["roles"], json!(["FIELD_VALUER"]));
    assert_eq!(created["is_active"], true);
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());

    let users = expect(app.get("/api/auth/users", &hr).await, 200).await;
    let emails: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 8);
    assert_eq!(
        emails.last(),
        Some(&"priya@pinnacle.example"),
        "oldest first"
    );

    let field_only = expect(app.get("/api/auth/users?role=FIELD_VALUER", &hr).await, 200).await;
    assert_eq!(field_only.as_array().unwrap().len(), 2);

    let new_token = app
        .login_with("priya@pinnacle.example", STRONG_PASSWORD)
        .await;
    let directory = expect(app.get("/api/auth/users/directory", &new_token).await, 200).await;
    let names: Vec<&str> = directory
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["full_name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "directory is sorted by name");
    assert!(
        directory[0].get("capability_overrides").is_none(),
        "directory entries are minimal"
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_field_errors() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let body = expect(
        app.post(
            "/api/auth/users",
            &admin,
            &json!({"email": "not-an-email", "password": "password", "roles": ["KING"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["code"], "validation_error");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "roles"]);

    let duplicate = expect(
        app.post("/api/auth/users", &admin, &new_user(OPS, "EMPLOYEE"))
            .await,
        409,
    )
    .await;
    assert_eq!(duplicate["code"], "duplicate_email");

    let unknown_override = expect(
        app.post(
            "/api/auth/users",
            &admin,
            &json!({"email": "a@b.example", "password": STRONG_PASSWORD, "capability_overrides": {"fly": true}}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        unknown_override["errors"][0]["field"],
        "capability_overrides"
    );

    let wrong_type = expect(
        app.post("/api/auth/users", &admin, &json!({"email": 5}))
            .await,
        422,
    )
    .await;
    assert_eq!(wrong_type["code"], "invalid_request");

    expect(app.get("/api/auth/users/999999", &admin).await, 404).await;
}

#[tokio::test]
async fn role_changes_apply_to_existing_sessions_at_once() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let employee = app.login(EMPLOYEE).await;
    let id = app.user_id(&admin, EMPLOYEE).await;
    expect(
        app.post(
            "/api/master/banks",
            &employee,
            &json!({"name": "Canara Bank"}),
        )
        .await,
        403,
    )
    .await;

    let updated = expect(
        app.patch(
            &format!("/api/auth/users/{id}"),
            &admin,
            &json!({"roles": ["EMPLOYEE", "OPS_MANAGER"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["role"], "EMPLOYEE");
    assert_eq!(updated["roles"], json!(["EMPLOYEE", "OPS_MANAGER"]));
    let caps = expect(app.get("/api/auth/capabilities", &employee).await, 200).await;
    assert_eq!(caps["capabilities"]["manage_master_data"], true);
    assert_eq!(caps["meta"]["roles"], json!(["EMPLOYEE", "OPS_MANAGER"]));
    expect(
        app.post(
            "/api/master/banks",
            &employee,
            &json!({"name": "Canara Bank"}),
        )
        .await,
        201,
    )
    .await;

    // A lone `role` changes the primary role and keeps the rest.
    let updated = expect(
        app.patch(
            &format!("/api/auth/users/{id}"),
            &admin,
            &json!({"role": "FINANCE"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        updated["roles"],
        json!(["FINANCE", "EMPLOYEE", "OPS_MANAGER"])
    );
}

#[tokio::test]
async fn overrides_grant_and_revoke_everywhere() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let ops = app.login(OPS).await;
    let ops_id = app.user_id(&admin, OPS).await;
    let body = json!({"capability_overrides": {"manage_master_data": false, "manage_company_accounts": true}});
    let updated = expect(
        app.patch(&format!("/api/auth/users/{ops_id}"), &admin, &body)
            .await,
        200,
    )
    .await;
    assert_eq!(
        updated["capability_overrides"],
        json!({"manage_company_accounts": true, "manage_master_data": false})
    );

    let caps = expect(app.get("/api/auth/capabilities", &ops).await, 200).await;
    assert_eq!(caps["capabilities"]["manage_master_data"], false);
    assert_eq!(caps["capabilities"]["manage_company_accounts"], true);
    expect(
        app.post("/api/master/clients", &ops, &json!({"name": "Acme"}))
            .await,
        403,
    )
    .await;
    let account = json!({"account_name": "Ops", "account_number": "42", "bank_name": "HDFC Bank"});
    expect(
        app.post("/api/master/company-accounts", &ops, &account)
            .await,
        201,
    )
    .await;

    // Clearing the overrides restores the role's capabilities.
    expect(
        app.patch(
            &format!("/api/auth/users/{ops_id}"),
            &admin,
            &json!({"capability_overrides": null}),
        )
        .await,
        200,
    )
    .await;
    expect(
        app.post("/api/master/clients", &ops, &json!({"name": "Acme"}))
            .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn only_an_admin_hands_out_admin_powers() {
    let app = spawn_app().await;
    let hr = app.login(HR).await;
    let admin = app.login(ADMIN).await;
    let forbidden = expect(
        app.post(
            "/api/auth/users",
            &hr,
            &new_user("boss@pinnacle.example", "ADMIN"),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(forbidden["code"], "forbidden");
    let hr_id = app.user_id(&hr, HR).await;
    expect(
        app.patch(
            &format!("/api/auth/users/{hr_id}"),
            &hr,
            &json!({"roles": ["HR", "ADMIN"]}),
        )
        .await,
        403,
    )
    .await;
    expect(
        app.patch(
            &format!("/api/auth/users/{hr_id}"),
            &hr,
            &json!({"capability_overrides": {"modify_money": true}}),
        )
        .await,
        403,
    )
    .await;
    // An ADMIN's password is not HR's to set: HR's reset becomes a request for another
    // ADMIN to decide, and here there is none.
    let admin_id = app.user_id(&hr, ADMIN).await;
    let refused = expect(
        app.post(
            &format!("/api/auth/users/{admin_id}/reset-password"),
            &hr,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["code"], "no_approver");
    app.login_with(ADMIN, DEMO_PASSWORD).await;
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
}

#[tokio::test]
async fn password_reset_by_hr() {
    let app = spawn_app().await;
    let hr = app.login(HR).await;
    let id = app.user_id(&hr, EMPLOYEE).await;
    let weak = expect(
        app.post(
            &format!("/api/auth/users/{id}/reset-password"),
            &hr,
            &json!({"password": "abc"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(weak["errors"][0]["field"], "password");
    expect(
        app.post(
            &format!("/api/auth/users/{id}/reset-password"),
            &hr,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    expect(app.login_form(EMPLOYEE, DEMO_PASSWORD).await, 400).await;
    app.login_with(EMPLOYEE, STRONG_PASSWORD).await;
}

/// Setting the password of someone who holds more than you (and signing in as them) would
/// be a way to their capabilities; so would editing or reactivating them.
#[tokio::test]
async fn nobody_below_admin_takes_over_a_user_who_holds_more() {
    let app = spawn_app().await;
    let hr = app.login(HR).await;
    let admin = app.login(ADMIN).await;
    for email in [FINANCE, ASSISTANT, OPS] {
        let id = app.user_id(&hr, email).await;
        // Not set: requested, for an ADMIN to decide.
        let reset = expect(
            app.post(
                &format!("/api/auth/users/{id}/reset-password"),
                &hr,
                &json!({"password": STRONG_PASSWORD}),
            )
            .await,
            202,
        )
        .await;
        assert_eq!(reset["action_type"], "RESET_PASSWORD", "{email}");
        app.login_with(email, DEMO_PASSWORD).await;
        for change in [
            json!({"password": STRONG_PASSWORD}),
            json!({"email": "taken.over@zenops.local"}),
            json!({"is_active": false}),
        ] {
            expect(
                app.patch(&format!("/api/auth/users/{id}"), &hr, &change)
                    .await,
                403,
            )
            .await;
        }
        // Nothing changed: the user still signs in with their own password.
        app.login(email).await;
    }
    // Nor does anyone set their own password on the admin paths, without the current one.
    let me = app.user_id(&admin, ADMIN).await;
    expect(
        app.post(
            &format!("/api/auth/users/{me}/reset-password"),
            &admin,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await,
        403,
    )
    .await;
    expect(
        app.patch(
            &format!("/api/auth/users/{me}"),
            &admin,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await,
        403,
    )
    .await;
    app.login(ADMIN).await;
}

#[tokio::test]
async fn a_password_reset_ends_every_session_of_the_user() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let first = app.login(ASSISTANT).await;
    let second = app.login(ASSISTANT).await;
    let renewed = expect(
        app.post("/api/auth/heartbeat", &first, &json!({})).await,
        200,
    )
    .await;
    let renewed = renewed["access_token"].as_str().unwrap().to_owned();
    let id = app.user_id(&admin, ASSISTANT).await;
    expect(
        app.post(
            &format!("/api/auth/users/{id}/reset-password"),
            &admin,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    for token in [&first, &second, &renewed] {
        expect(app.get("/api/auth/me", token).await, 401).await;
    }
    expect(app.get("/api/auth/me", &admin).await, 200).await;
    let fresh = app.login_with(ASSISTANT, STRONG_PASSWORD).await;
    expect(app.get("/api/auth/me", &fresh).await, 200).await;
    // A new password set through a user edit ends them as well.
    expect(
        app.patch(
            &format!("/api/auth/users/{id}"),
            &admin,
            &json!({"password": "Another#Pass2026"}),
        )
        .await,
        200,
    )
    .await;
    expect(app.get("/api/auth/me", &fresh).await, 401).await;
    // Other edits leave sessions alone.
    let current = app.login_with(ASSISTANT, "Another#Pass2026").await;
    expect(
        app.patch(
            &format!("/api/auth/users/{id}"),
            &admin,
            &json!({"phone": "+91 90000 22222"}),
        )
        .await,
        200,
    )
    .await;
    expect(app.get("/api/auth/me", &current).await, 200).await;
}

#[tokio::test]
async fn nobody_raises_their_own_privileges_or_grants_what_they_lack() {
    let app = spawn_app().await;
    let hr = app.login(HR).await;
    let admin = app.login(ADMIN).await;
    let hr_id = app.user_id(&hr, HR).await;
    let employee_id = app.user_id(&hr, EMPLOYEE).await;

    let own = expect(
        app.patch(
            &format!("/api/auth/users/{hr_id}"),
            &hr,
            &json!({"roles": ["HR", "FINANCE"]}),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(own["code"], "forbidden");
    assert_eq!(
        own["detail"],
        "You cannot change your own roles or capability overrides"
    );
    let caps = expect(app.get("/api/auth/capabilities", &hr).await, 200).await;
    assert_eq!(caps["capabilities"]["modify_money"], false);
    assert_eq!(caps["meta"]["roles"], json!(["HR"]));

    // Nor to someone else, nor to a new user: HR does not hold FINANCE's capabilities.
    let other = expect(
        app.patch(
            &format!("/api/auth/users/{employee_id}"),
            &hr,
            &json!({"roles": ["EMPLOYEE", "FINANCE"]}),
        )
        .await,
        403,
    )
    .await;
    let detail = other["detail"].as_str().unwrap();
    assert!(
        detail.contains("FINANCE") && detail.contains("modify_money"),
        "{detail}"
    );
    expect(
        app.post(
            "/api/auth/users",
            &hr,
            &new_user("cashier@pinnacle.example", "FINANCE"),
        )
        .await,
        403,
    )
    .await;
    // What HR holds, HR may hand out; resending one's own roles unchanged is no change.
    expect(
        app.patch(
            &format!("/api/auth/users/{employee_id}"),
            &hr,
            &json!({"roles": ["EMPLOYEE", "FIELD_VALUER"]}),
        )
        .await,
        200,
    )
    .await;
    expect(
        app.patch(
            &format!("/api/auth/users/{hr_id}"),
            &hr,
            &json!({"roles": ["HR"], "phone": "+91 90000 33333"}),
        )
        .await,
        200,
    )
    .await;

    // An ADMIN grants anything to others, but not to themself.
    let admin_id = app.user_id(&admin, ADMIN).await;
    expect(
        app.patch(
            &format!("/api/auth/users/{admin_id}"),
            &admin,
            &json!({"capability_overrides": {"partner_portal_access": true}}),
        )
        .await,
        403,
    )
    .await;
    expect(
        app.patch(
            &format!("/api/auth/users/{employee_id}"),
            &admin,
            &json!({"roles": ["EMPLOYEE", "FINANCE"]}),
        )
        .await,
        200,
    )
    .await;
}

#[tokio::test]
async fn the_list_counts_each_users_recent_sign_ins() {
    let app = spawn_app().await;
    app.login(FIELD).await;
    app.login(FIELD).await;
    let admin = app.login(ADMIN).await;
    let users = expect(app.get("/api/auth/users", &admin).await, 200).await;
    let row = |email: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .cloned()
            .unwrap()
    };
    let field = row(FIELD);
    // The demo firm starts with no sign-ins, so these two are all.
    assert_eq!(field["login_count_30d"], 2, "{field}");
    // One day, or two if the sign-ins straddle the firm's midnight.
    assert!(field["active_days_30d"].as_u64().unwrap() >= 1, "{field}");
    assert!(
        field["active_days_30d"].as_u64() <= field["login_count_30d"].as_u64(),
        "{field}"
    );
    assert_eq!(row(ADMIN)["login_count_30d"], 1);
    let employee = row(EMPLOYEE);
    assert_eq!(employee["login_count_30d"], 0);
    assert_eq!(employee["active_days_30d"], 0);
}

#[tokio::test]
async fn deactivated_users_lose_their_sessions() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.login(FIELD).await;
    let id = app.user_id(&admin, FIELD).await;
    let body = expect(
        app.delete(&format!("/api/auth/users/{id}"), &admin).await,
        200,
    )
    .await;
    assert_eq!(body["is_active"], false);
    expect(app.get("/api/auth/me", &field).await, 401).await;

    let directory = expect(app.get("/api/auth/users/directory", &admin).await, 200).await;
    assert!(
        !directory
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == FIELD)
    );
    let with_inactive = expect(
        app.get("/api/auth/users/directory?include_inactive=true", &admin)
            .await,
        200,
    )
    .await;
    assert!(
        with_inactive
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == FIELD)
    );
    let active_only = expect(
        app.get("/api/auth/users?include_inactive=false", &admin)
            .await,
        200,
    )
    .await;
    assert_eq!(active_only.as_array().unwrap().len(), 6);

    expect(
        app.patch(
            &format!("/api/auth/users/{id}"),
            &admin,
            &json!({"is_active": true}),
        )
        .await,
        200,
    )
    .await;
    // Reactivation does not bring the old sessions back; signing in again starts a new one.
    expect(app.get("/api/auth/me", &field).await, 401).await;
    let again = app.login(FIELD).await;
    expect(app.get("/api/auth/me", &again).await, 200).await;
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_removed() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let admin_id = app.user_id(&admin, ADMIN).await;
    let path = format!("/api/auth/users/{admin_id}");

    // Nobody changes their own roles, so the last ADMIN cannot demote themself either.
    let demote = expect(
        app.patch(&path, &admin, &json!({"roles": ["HR"]})).await,
        403,
    )
    .await;
    assert_eq!(demote["code"], "forbidden");
    let deactivate = expect(
        app.patch(&path, &admin, &json!({"is_active": false})).await,
        409,
    )
    .await;
    assert_eq!(deactivate["code"], "last_admin");
    expect(app.delete(&path, &admin).await, 409).await;
    let still = expect(app.get(&path, &admin).await, 200).await;
    assert_eq!(still["roles"], json!(["ADMIN"]));
    assert_eq!(still["is_active"], true);

    let second: Value = expect(
        app.post(
            "/api/auth/users",
            &admin,
            &new_user("deputy@pinnacle.example", "ADMIN"),
        )
        .await,
        201,
    )
    .await;
    expect(app.delete(&path, &admin).await, 200).await;
    // Now the deputy is the last one.
    let deputy = app
        .login_with("deputy@pinnacle.example", STRONG_PASSWORD)
        .await;
    expect(
        app.delete(&format!("/api/auth/users/{}", second["id"]), &deputy)
            .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn concurrent_demotions_keep_one_admin() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let deputy: Value = expect(
        app.post(
            "/api/auth/users",
            &admin,
            &new_user("deputy@pinnacle.example", "ADMIN"),
        )
        .await,
        201,
    )
    .await;
    let admin_id = app.user_id(&admin, ADMIN).await;
    let deputy_token = app
        .login_with("deputy@pinnacle.example", STRONG_PASSWORD)
        .await;
    // Each demotes the other (nobody may change their own roles).
    let demote = |id: i64, token: &str| {
        let path = format!("/api/auth/users/{id}");
        let body = json!({"roles": ["EMPLOYEE"]});
        let request = app
            .client
            .patch(app.url(&path))
            .bearer_auth(token)
            .json(&body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let (a, b) = tokio::join!(
        demote(admin_id, &deputy_token),
        demote(deputy["id"].as_i64().unwrap(), &admin)
    );
    let mut statuses = [a, b];
    statuses.sort_unstable();
    // One demotion wins; the other is refused (or, if its caller was demoted first, that
    // caller is no longer allowed to manage users at all).
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert!(statuses[1] == 409 || statuses[1] == 403, "{statuses:?}");
    let users = expect(
        app.get("/api/auth/users/directory", &app.login(HR).await)
            .await,
        200,
    )
    .await;
    let admins = users
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["roles"].as_array().unwrap().contains(&json!("ADMIN")))
        .count();
    assert_eq!(admins, 1);
}

#[tokio::test]
async fn user_lists_page_and_count() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let response = app.get("/api/auth/users?limit=2&skip=1", &admin).await;
    assert_eq!(response.headers()["x-total-count"], "7");
    let page = expect(response, 200).await;
    let emails: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [OPS, HR]);
    let directory = app.get("/api/auth/users/directory?limit=1", &admin).await;
    assert_eq!(directory.headers()["x-total-count"], "7");
    let first = expect(directory, 200).await;
    assert_eq!(
        first[0]["full_name"], "Admin",
        "the directory is sorted by name"
    );
}
