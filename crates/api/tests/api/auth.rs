//! Signing in and out, tokens, capabilities, the throttle, one's own profile.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn login_by_form_returns_token_user_and_capabilities() {
    let app = spawn_app().await;
    let body = expect(
        app.login_form("Admin@ZenOps.local", DEMO_PASSWORD).await,
        200,
    )
    .await;
    assert_eq!(body["token_type"], "bearer");
    assert!(body["access_token"].as_str().unwrap().len() > 20);
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["user"]["email"], ADMIN);
    assert_eq!(body["user"]["roles"], json!(["ADMIN"]));
    assert_eq!(body["capabilities"]["manage_users"], true);
    assert_eq!(body["mfa_required"], false);
    assert_eq!(body["mfa_token"], Value::Null);
    assert!(
        body["user"]["last_login_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    let token = body["access_token"].as_str().unwrap();
    let me = expect(app.get("/api/auth/me", token).await, 200).await;
    assert_eq!(me["email"], ADMIN);
    assert_eq!(me["role"], "ADMIN");
}

#[tokio::test]
async fn login_by_json() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": OPS, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let body = expect(response, 200).await;
    assert_eq!(body["user"]["email"], OPS);
    assert_eq!(body["capabilities"]["view_all_assignments"], true);
}

#[tokio::test]
async fn failed_logins_answer_400_never_401() {
    let app = spawn_app().await;
    let wrong = expect(app.login_form(ADMIN, "wrong-password").await, 400).await;
    assert_eq!(wrong["detail"], "Incorrect email or password");
    assert_eq!(wrong["code"], "invalid_credentials");
    let unknown = expect(
        app.login_form("nobody@zenops.local", DEMO_PASSWORD).await,
        400,
    )
    .await;
    assert_eq!(
        unknown["detail"], wrong["detail"],
        "unknown users are not revealed"
    );

    let admin = app.login(ADMIN).await;
    let employee_id = app.user_id(&admin, EMPLOYEE).await;
    expect(
        app.delete(&format!("/api/auth/users/{employee_id}"), &admin)
            .await,
        200,
    )
    .await;
    let inactive = expect(app.login_form(EMPLOYEE, DEMO_PASSWORD).await, 400).await;
    assert_eq!(inactive["code"], "user_inactive");

    let unreadable = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let body = expect(unreadable, 422).await;
    assert_eq!(body["code"], "invalid_request");
}

fn forge(app: &TestApp, claims: Value) -> String {
    let secret = app.settings.jwt_secret.clone().unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn missing_garbage_expired_forged_and_revoked_tokens_get_401() {
    let app = spawn_app().await;
    let missing = app
        .request(reqwest::Method::GET, "/api/auth/me", None, None)
        .await;
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    let body = expect(missing, 401).await;
    assert_eq!(body["detail"], "Not authenticated");

    expect(app.get("/api/auth/me", "garbage").await, 401).await;

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let expired = forge(
        &app,
        json!({"sub": "1", "roles": ["ADMIN"], "sid": "s1", "sst": now - 7200, "iat": now - 7200, "exp": now - 3600}),
    );
    let body = expect(app.get("/api/auth/me", &expired).await, 401).await;
    assert_eq!(body["detail"], "session_expired");

    let other_key = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "1", "roles": ["ADMIN"], "sid": "s2", "sst": now, "iat": now, "exp": now + 600}),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-another"),
    )
    .unwrap();
    expect(app.get("/api/auth/me", &other_key).await, 401).await;

    let unknown_user = forge(
        &app,
        json!({"sub": "9999", "roles": [], "sid": "s3", "sst": now, "iat": now, "exp": now + 600}),
    );
    expect(app.get("/api/auth/me", &unknown_user).await, 401).await;

    let token = app.login(FIELD).await;
    let renewed = expect(
        app.post("/api/auth/heartbeat", &token, &json!({})).await,
        200,
    )
    .await;
    let renewed = renewed["access_token"].as_str().unwrap().to_owned();
    let out = expect(app.post("/api/auth/logout", &token, &json!({})).await, 200).await;
    assert_eq!(out["status"], "ok");
    expect(app.get("/api/auth/me", &token).await, 401).await;
    expect(app.get("/api/auth/me", &renewed).await, 401).await;
    // A new sign-in is a new session.
    let again = app.login(FIELD).await;
    expect(app.get("/api/auth/me", &again).await, 200).await;
}

#[tokio::test]
async fn heartbeat_renews_within_the_session_limit() {
    let app = spawn_app().await;
    let token = app.login(HR).await;
    let body = expect(
        app.post("/api/auth/heartbeat", &token, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(body["user"]["email"], HR);
    assert_eq!(body["capabilities"]["manage_users"], true);
    let renewed = body["access_token"].as_str().unwrap();
    expect(app.get("/api/auth/me", renewed).await, 200).await;

    // A session that began longer ago than SESSION_MAX_HOURS cannot be renewed.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let hr_id = app.user_id(renewed, HR).await;
    let old = forge(
        &app,
        json!({"sub": hr_id.to_string(), "roles": ["HR"], "sid": "old", "sst": now - 13 * 3600, "iat": now, "exp": now + 600}),
    );
    let body = expect(app.post("/api/auth/heartbeat", &old, &json!({})).await, 401).await;
    assert_eq!(body["detail"], "session_expired");
}

/// The true capabilities of each role, written out from the contract's matrix.
fn expected_true(role: &str) -> Vec<&'static str> {
    match role {
        "ADMIN" => vec![
            "approve_actions",
            "create_assignment",
            "create_invoice",
            "create_payroll_run",
            "delete_assignment_direct",
            "manage_company_accounts",
            "manage_master_data",
            "manage_payroll",
            "manage_users",
            "modify_invoice",
            "modify_money",
            "reassign",
            "view_all_assignments",
            "view_analytics",
            "view_invoices",
            "view_payroll",
            "view_users",
        ],
        "OPS_MANAGER" => vec![
            "approve_actions",
            "create_assignment",
            "create_invoice",
            "manage_master_data",
            "reassign",
            "view_all_assignments",
            "view_analytics",
            "view_invoices",
            "view_users",
        ],
        "HR" => vec![
            "approve_actions",
            "manage_master_data",
            "manage_users",
            "reassign",
            "view_all_assignments",
            "view_payroll",
            "view_users",
        ],
        "FINANCE" => vec![
            "approve_actions",
            "create_invoice",
            "create_payroll_run",
            "manage_company_accounts",
            "manage_payroll",
            "modify_invoice",
            "modify_money",
            "view_all_assignments",
            "view_invoices",
            "view_payroll",
            "view_users",
        ],
        "ASSISTANT_VALUER" => vec!["create_assignment"],
        _ => vec![],
    }
}

#[tokio::test]
async fn capabilities_of_every_role() {
    let app = spawn_app().await;
    for (role, email) in EVERY_ROLE {
        let token = app.login(email).await;
        let body = expect(app.get("/api/auth/capabilities", &token).await, 200).await;
        assert_eq!(body["role"], role);
        assert_eq!(body["meta"]["roles"], json!([role]));
        let map = body["capabilities"].as_object().unwrap();
        assert_eq!(map.len(), 18, "every key is present for {role}");
        let granted: Vec<&str> = map
            .iter()
            .filter(|(_, v)| **v == json!(true))
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(granted, expected_true(role), "capabilities of {role}");
    }
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_account_and_address() {
    let app = spawn_app_with(|s| s.trust_forwarded_for = true).await;
    let attempt = |from: &'static str, password: &'static str| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", from)
            .form(&[("username", ASSISTANT), ("password", password)])
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("10.0.0.1", "wrong").await.unwrap().status(),
            StatusCode::BAD_REQUEST
        );
    }
    // The sixth attempt is refused before the password is looked at, right or wrong.
    let throttled = attempt("10.0.0.1", DEMO_PASSWORD).await.unwrap();
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
    let body = expect(throttled, 429).await;
    assert_eq!(body["code"], "too_many_attempts");
    // Someone failing from elsewhere cannot lock the colleague out.
    assert_eq!(
        attempt("10.0.0.2", DEMO_PASSWORD).await.unwrap().status(),
        StatusCode::OK
    );
}

/// Sends `count` sign-ins of `email` at once, alternately to each of `servers`; returns
/// how many answered each status.
async fn burst(
    app: &TestApp,
    servers: &[String],
    email: &str,
    passwords: Vec<&str>,
) -> std::collections::BTreeMap<u16, usize> {
    let mut running = tokio::task::JoinSet::new();
    for (i, password) in passwords.into_iter().enumerate() {
        let request = app
            .client
            .post(format!("{}/api/auth/login", servers[i % servers.len()]))
            .form(&[("username", email), ("password", password)]);
        running.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let mut statuses = std::collections::BTreeMap::new();
    while let Some(status) = running.join_next().await {
        *statuses.entry(status.unwrap()).or_default() += 1;
    }
    statuses
}

#[tokio::test]
async fn concurrent_guesses_are_each_counted_before_any_is_checked() {
    let app = spawn_app().await;
    let one = std::slice::from_ref(&app.address);
    let statuses = burst(&app, one, ASSISTANT, vec!["wrong"; 30]).await;
    // Exactly the limit of guesses reached the password check; the rest were refused first.
    assert_eq!(
        statuses,
        [(400, 5), (429, 25)].into_iter().collect(),
        "{statuses:?}"
    );
    // The pair is at its limit: the right password, alone or among more guesses, waits.
    let mut passwords = vec!["wrong"; 9];
    passwords.push(DEMO_PASSWORD);
    let statuses = burst(&app, one, ASSISTANT, passwords).await;
    assert_eq!(statuses, [(429, 10)].into_iter().collect(), "{statuses:?}");
    let body = expect(app.login_form(ASSISTANT, DEMO_PASSWORD).await, 429).await;
    assert_eq!(body["code"], "too_many_attempts");
}

#[tokio::test]
async fn instances_on_one_database_share_the_count() {
    let app = spawn_app().await;
    let servers = [app.address.clone(), app.another_instance().await];
    let statuses = burst(&app, &servers, FIELD, vec!["wrong"; 30]).await;
    assert_eq!(
        statuses,
        [(400, 5), (429, 25)].into_iter().collect(),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn health_answers_while_sign_ins_are_in_flight() {
    // Each sign-in from its own address, so that the throttle lets all 40 through.
    let app = spawn_app_with(|s| s.trust_forwarded_for = true).await;
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..40 {
        let request = app
            .client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", format!("10.1.0.{i}"))
            .form(&[("username", OPS), ("password", DEMO_PASSWORD)]);
        logins.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    while let Some(status) = logins.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
}

#[tokio::test]
async fn a_success_clears_earlier_failures() {
    let app = spawn_app().await;
    for _ in 0..4 {
        expect(app.login_form(FINANCE, "wrong").await, 400).await;
    }
    app.login(FINANCE).await;
    for _ in 0..4 {
        expect(app.login_form(FINANCE, "wrong").await, 400).await;
    }
    app.login(FINANCE).await;
}

#[tokio::test]
async fn own_profile_and_password_change() {
    let app = spawn_app().await;
    let token = app.login(FIELD).await;
    let me = expect(
        app.patch(
            "/api/auth/me",
            &token,
            &json!({"full_name": "Field Valuer One", "phone": "+91 90000 11111"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(me["full_name"], "Field Valuer One");
    assert_eq!(me["phone"], "+91 90000 11111");

    let wrong = expect(
        app.patch(
            "/api/auth/me",
            &token,
            &json!({"password": STRONG_PASSWORD, "current_password": "nope"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(wrong["code"], "current_password_invalid");

    let weak = expect(
        app.patch(
            "/api/auth/me",
            &token,
            &json!({"password": "short", "current_password": DEMO_PASSWORD}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(weak["errors"][0]["field"], "password");

    expect(
        app.patch(
            "/api/auth/me",
            &token,
            &json!({"password": STRONG_PASSWORD, "current_password": DEMO_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    expect(app.login_form(FIELD, DEMO_PASSWORD).await, 400).await;
    app.login_with(FIELD, STRONG_PASSWORD).await;

    let taken = expect(
        app.patch("/api/auth/me", &token, &json!({"email": ADMIN}))
            .await,
        409,
    )
    .await;
    assert_eq!(taken["code"], "duplicate_email");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    let generated = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(
        generated.headers()["x-request-id"].to_str().unwrap().len(),
        36
    );
}

#[tokio::test]
async fn probes_docs_and_unknown_paths() {
    let app = spawn_app().await;
    assert_eq!(
        expect(
            app.client.get(app.url("/healthz")).send().await.unwrap(),
            200
        )
        .await["status"],
        "ok"
    );
    assert_eq!(
        expect(
            app.client.get(app.url("/readyz")).send().await.unwrap(),
            200
        )
        .await["status"],
        "ready"
    );

    let redirect = app.client.get(app.url("/docs")).send().await.unwrap();
    assert!(redirect.status().is_redirection());
    assert_eq!(redirect.headers()["location"], "/docs/");
    let ui = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"));

    let token = app.login(ADMIN).await;
    let missing = expect(app.get("/api/nothing-here", &token).await, 404).await;
    assert_eq!(missing["code"], "not_found");
    assert!(missing["detail"].is_string());
}

#[tokio::test]
async fn cors_allows_configured_and_local_development_origins() {
    let app =
        spawn_app_with(|s| s.cors_origins = vec!["https://ops.pinnacle.example".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/auth/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://ops.pinnacle.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://ops.pinnacle.example"
    );
    let local = preflight("http://localhost:5173").await.unwrap();
    assert_eq!(
        local.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn sign_ins_sign_outs_and_failures_are_in_the_trail() {
    let app = spawn_app().await;
    expect(app.login_form(FIELD, "wrong-password").await, 400).await;
    let field = app.login(FIELD).await;
    expect(app.post("/api/auth/logout", &field, &json!({})).await, 200).await;
    let admin = app.login(ADMIN).await;
    let field_id = app.user_id(&admin, FIELD).await;
    let kinds = |query: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let rows = expect(
                app.get(&format!("/api/activity?{query}"), &admin).await,
                200,
            )
            .await;
            rows.as_array().unwrap().clone()
        }
    };
    let logins = kinds("activity_type=USER_LOGIN").await;
    assert!(logins.iter().any(|r| r["actor_user_id"] == field_id));
    let logouts = kinds("activity_type=USER_LOGOUT").await;
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0]["actor_user_id"], field_id);
    let failures = kinds("activity_type=USER_LOGIN_FAILED").await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["actor_user_id"], Value::Null);
    assert_eq!(failures[0]["payload_json"]["email"], FIELD);
    // Others' sign-ins are not theirs to read.
    let again = app.login(FIELD).await;
    let own = expect(
        app.get("/api/activity?activity_type=USER_LOGIN_FAILED", &again)
            .await,
        200,
    )
    .await;
    assert!(own.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn changing_ones_own_password_ends_every_other_session() {
    let app = spawn_app().await;
    let here = app.login(FIELD).await;
    let elsewhere = app.login(FIELD).await;
    let renewed_elsewhere = expect(
        app.post("/api/auth/heartbeat", &elsewhere, &json!({}))
            .await,
        200,
    )
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    expect(
        app.patch(
            "/api/auth/me",
            &here,
            &json!({"password": STRONG_PASSWORD, "current_password": DEMO_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    expect(app.get("/api/auth/me", &elsewhere).await, 401).await;
    expect(app.get("/api/auth/me", &renewed_elsewhere).await, 401).await;
    // The session that made the change goes on, renewals included.
    expect(app.get("/api/auth/me", &here).await, 200).await;
    let renewed = expect(
        app.post("/api/auth/heartbeat", &here, &json!({})).await,
        200,
    )
    .await;
    let renewed = renewed["access_token"].as_str().unwrap();
    expect(app.get("/api/auth/me", renewed).await, 200).await;
    let fresh = app.login_with(FIELD, STRONG_PASSWORD).await;
    expect(app.get("/api/auth/me", &fresh).await, 200).await;
    // A later change from the new session ends the one that was kept before.
    expect(
        app.patch(
            "/api/auth/me",
            &fresh,
            &json!({"password": "Another#Pass2026", "current_password": STRONG_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    expect(app.get("/api/auth/me", &here).await, 401).await;
    expect(app.get("/api/auth/me", renewed).await, 401).await;
    expect(app.get("/api/auth/me", &fresh).await, 200).await;
}
