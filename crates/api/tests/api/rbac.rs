//! Every endpoint × every role (and no token) → the expected status.
//!
//! Writes are sent so that an allowed caller gets a harmless answer (an empty update, a
//! validation error, a missing id) and a refused caller gets 403: the permission check runs
//! before anything else.

use reqwest::Method;
use serde_json::{Value, json};
use zenops_domain::{Capability, Role};

use crate::helpers::*;

#[derive(Clone, Copy)]
pub enum Needs {
    /// No token needed.
    Public,
    /// Any signed-in user.
    SignedIn,
    Capability(Capability),
}

pub struct Case {
    pub method: Method,
    /// The path as the OpenAPI document names it.
    pub template: &'static str,
    /// The path requested.
    pub path: &'static str,
    pub body: Option<Value>,
    pub needs: Needs,
    /// The status an allowed caller gets.
    pub allowed: u16,
}

fn case(
    method: Method,
    template: &'static str,
    path: &'static str,
    body: Option<Value>,
    needs: Needs,
    allowed: u16,
) -> Case {
    Case {
        method,
        template,
        path,
        body,
        needs,
        allowed,
    }
}

fn master_cases(
    collection: &'static str,
    item: &'static str,
    existing: &'static str,
    missing: &'static str,
    needs: Capability,
) -> Vec<Case> {
    let cap = Needs::Capability(needs);
    vec![
        case(
            Method::GET,
            collection,
            collection,
            None,
            Needs::SignedIn,
            200,
        ),
        case(Method::GET, item, existing, None, Needs::SignedIn, 200),
        // An empty create is invalid (422) once the caller is allowed to write.
        case(
            Method::POST,
            collection,
            collection,
            Some(json!({})),
            cap,
            422,
        ),
        // An empty patch changes nothing.
        case(Method::PATCH, item, existing, Some(json!({})), cap, 200),
        case(Method::DELETE, item, missing, None, cap, 404),
    ]
}

/// Every route the server answers, in an order where none disturbs a later one (sign-out
/// last). The OpenAPI test checks this list against the document.
pub fn every_endpoint() -> Vec<Case> {
    use Capability::*;
    let mut cases = vec![
        case(
            Method::GET,
            "/healthz",
            "/healthz",
            None,
            Needs::Public,
            200,
        ),
        case(Method::GET, "/readyz", "/readyz", None, Needs::Public, 200),
        case(
            Method::POST,
            "/api/auth/login",
            "/api/auth/login",
            Some(json!({"email": "x@y.z", "password": "p"})),
            Needs::Public,
            400,
        ),
        case(
            Method::GET,
            "/api/auth/me",
            "/api/auth/me",
            None,
            Needs::SignedIn,
            200,
        ),
        case(
            Method::PATCH,
            "/api/auth/me",
            "/api/auth/me",
            Some(json!({})),
            Needs::SignedIn,
            200,
        ),
        case(
            Method::GET,
            "/api/auth/capabilities",
            "/api/auth/capabilities",
            None,
            Needs::SignedIn,
            200,
        ),
        case(
            Method::POST,
            "/api/auth/heartbeat",
            "/api/auth/heartbeat",
            None,
            Needs::SignedIn,
            200,
        ),
        case(
            Method::GET,
            "/api/auth/users/directory",
            "/api/auth/users/directory",
            None,
            Needs::SignedIn,
            200,
        ),
        case(
            Method::GET,
            "/api/auth/users",
            "/api/auth/users",
            None,
            Needs::Capability(ManageUsers),
            200,
        ),
        case(
            Method::POST,
            "/api/auth/users",
            "/api/auth/users",
            Some(json!({"email": "bad", "password": "bad"})),
            Needs::Capability(ManageUsers),
            422,
        ),
        // User 1 is the demo ADMIN, who also holds `manage_users`: nobody else may read it.
        case(
            Method::GET,
            "/api/auth/users/{id}",
            "/api/auth/users/1",
            None,
            Needs::Capability(ManageUsers),
            200,
        ),
        // User 7 is the demo EMPLOYEE.
        case(
            Method::PATCH,
            "/api/auth/users/{id}",
            "/api/auth/users/7",
            Some(json!({})),
            Needs::Capability(ManageUsers),
            200,
        ),
        case(
            Method::DELETE,
            "/api/auth/users/{id}",
            "/api/auth/users/999999",
            None,
            Needs::Capability(ManageUsers),
            404,
        ),
        case(
            Method::POST,
            "/api/auth/users/{id}/reset-password",
            "/api/auth/users/999999/reset-password",
            Some(json!({"password": STRONG_PASSWORD})),
            Needs::Capability(ManageUsers),
            404,
        ),
    ];
    cases.extend(master_cases(
        "/api/master/banks",
        "/api/master/banks/{id}",
        "/api/master/banks/1",
        "/api/master/banks/999999",
        ManageMasterData,
    ));
    cases.extend(master_cases(
        "/api/master/branches",
        "/api/master/branches/{id}",
        "/api/master/branches/1",
        "/api/master/branches/999999",
        ManageMasterData,
    ));
    cases.extend(master_cases(
        "/api/master/clients",
        "/api/master/clients/{id}",
        "/api/master/clients/1",
        "/api/master/clients/999999",
        ManageMasterData,
    ));
    cases.extend(master_cases(
        "/api/master/property-types",
        "/api/master/property-types/{id}",
        "/api/master/property-types/1",
        "/api/master/property-types/999999",
        ManageMasterData,
    ));
    cases.extend(master_cases(
        "/api/master/property-subtypes",
        "/api/master/property-subtypes/{id}",
        "/api/master/property-subtypes/1",
        "/api/master/property-subtypes/999999",
        ManageMasterData,
    ));
    cases.extend(master_cases(
        "/api/master/company-accounts",
        "/api/master/company-accounts/{id}",
        "/api/master/company-accounts/1",
        "/api/master/company-accounts/999999",
        ManageCompanyAccounts,
    ));
    cases.extend(master_cases(
        "/api/master/calendar-labels",
        "/api/master/calendar-labels/{id}",
        "/api/master/calendar-labels/1",
        "/api/master/calendar-labels/999999",
        ManageMasterData,
    ));
    cases.extend(master_cases(
        "/api/master/doc-templates",
        "/api/master/doc-templates/{id}",
        "/api/master/doc-templates/1",
        "/api/master/doc-templates/999999",
        ManageMasterData,
    ));
    cases.push(case(
        Method::POST,
        "/api/auth/logout",
        "/api/auth/logout",
        None,
        Needs::SignedIn,
        200,
    ));
    cases
}

fn expected(case: &Case, role: Option<Role>) -> u16 {
    match (case.needs, role) {
        (Needs::Public, _) => case.allowed,
        (_, None) => 401,
        (Needs::SignedIn, Some(_)) => case.allowed,
        (Needs::Capability(cap), Some(role)) if cap.granted_to(role) => case.allowed,
        (Needs::Capability(_), Some(_)) => 403,
    }
}

#[tokio::test]
async fn every_endpoint_for_every_role() {
    let app = spawn_app().await;
    let mut callers: Vec<(String, Option<Role>, Option<String>)> =
        vec![("anonymous".into(), None, None)];
    for (role, email) in EVERY_ROLE {
        callers.push((
            role.to_owned(),
            Some(role.parse().unwrap()),
            Some(app.login(email).await),
        ));
    }
    let mut failures = Vec::new();
    for case in every_endpoint() {
        for (name, role, token) in &callers {
            if matches!(case.needs, Needs::Public) && token.is_some() {
                continue; // the same for everyone; once is enough (and keeps the throttle calm)
            }
            let response = app
                .request(
                    case.method.clone(),
                    case.path,
                    token.as_deref(),
                    case.body.as_ref(),
                )
                .await;
            let want = expected(&case, *role);
            let got = response.status().as_u16();
            if got != want {
                let body = response.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} {} as {name}: expected {want}, got {got} ({body})",
                    case.method, case.path
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "RBAC mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_user_may_read_their_own_record() {
    let app = spawn_app().await;
    let token = app.login(EMPLOYEE).await;
    let me = expect(app.get("/api/auth/me", &token).await, 200).await;
    let own = expect(
        app.get(&format!("/api/auth/users/{}", me["id"]), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(own["email"], EMPLOYEE);
}
