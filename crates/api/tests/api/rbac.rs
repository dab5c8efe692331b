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
    /// Row access to the fixture assignment: view-all roles; everyone else gets 404.
    Row,
    /// Row access; with the capability the allowed status, without it this one (a
    /// request for approval instead of the change).
    RowElse(Capability, u16),
    /// Roles that see money: `view_invoices` or `modify_money`.
    Money,
    /// HR or ADMIN: those who decide leave.
    LeaveManager,
    /// ADMIN, OPS_MANAGER or a view-all role: those who run the sweeps.
    Operations,
}

/// Records the RBAC test creates first, named in paths.
#[derive(Clone, Copy)]
pub struct Fixture {
    pub assignment: i64,
    pub task: i64,
    pub message: i64,
}

impl Default for Fixture {
    fn default() -> Self {
        Self {
            assignment: 1,
            task: 1,
            message: 1,
        }
    }
}

pub struct Case {
    pub method: Method,
    /// The path as the OpenAPI document names it.
    pub template: &'static str,
    /// The path requested.
    pub path: String,
    pub body: Option<Value>,
    pub needs: Needs,
    /// The status an allowed caller gets.
    pub allowed: u16,
}

fn case(
    method: Method,
    template: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    needs: Needs,
    allowed: u16,
) -> Case {
    Case {
        method,
        template,
        path: path.into(),
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
pub fn every_endpoint(f: Fixture) -> Vec<Case> {
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
        // Open in development (the tests); production closes it or asks for METRICS_TOKEN.
        case(
            Method::GET,
            "/metrics",
            "/metrics",
            None,
            Needs::Public,
            200,
        ),
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
            // Those who may not set it request it; both need to see the people list.
            Needs::Capability(ViewUsers),
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
        "/api/master/holidays",
        "/api/master/holidays/{id}",
        "/api/master/holidays/1",
        "/api/master/holidays/999999",
        ManageMasterData,
    ));
    cases.extend(master_cases(
        "/api/master/doc-templates",
        "/api/master/doc-templates/{id}",
        "/api/master/doc-templates/1",
        "/api/master/doc-templates/999999",
        ManageMasterData,
    ));
    let a = f.assignment;
    let signed_in = [
        "/api/assignments",
        "/api/assignments/with-due",
        "/api/assignments/summary",
        "/api/assignments/workload",
        "/api/dashboard/overview",
        "/api/tasks/my",
        "/api/activities",
        "/api/activity",
        "/api/calendar/events",
    ];
    for path in signed_in {
        cases.push(case(Method::GET, path, path, None, Needs::SignedIn, 200));
    }
    cases.extend([
        case(
            Method::GET,
            "/api/assignments/{id}/documents",
            format!("/api/assignments/{a}/documents"),
            None,
            Needs::Row,
            200,
        ),
        case(
            Method::GET,
            "/api/assignments/{id}/documents/checklist",
            format!("/api/assignments/{a}/documents/checklist"),
            None,
            Needs::Row,
            200,
        ),
        case(
            Method::POST,
            "/api/assignments/{id}/documents/remind",
            format!("/api/assignments/{a}/documents/remind"),
            Some(json!({})),
            Needs::Row,
            200,
        ),
        // Not a multipart body: refused once access is granted.
        case(
            Method::POST,
            "/api/assignments/{id}/documents/upload",
            format!("/api/assignments/{a}/documents/upload"),
            Some(json!({})),
            Needs::Row,
            422,
        ),
    ]);
    for (method, template, action, body) in [
        (
            Method::GET,
            "/api/assignments/{id}/documents/{doc_id}/download",
            "/download",
            None,
        ),
        (
            Method::GET,
            "/api/assignments/{id}/documents/{doc_id}/preview",
            "/preview",
            None,
        ),
        (
            Method::POST,
            "/api/assignments/{id}/documents/{doc_id}/final",
            "/final",
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/assignments/{id}/documents/{doc_id}/review",
            "/review",
            Some(json!({"review_status": "REVIEWED"})),
        ),
        (
            Method::DELETE,
            "/api/assignments/{id}/documents/{doc_id}",
            "",
            None,
        ),
    ] {
        cases.push(case(
            method,
            template,
            format!("/api/assignments/{a}/documents/999999{action}"),
            body,
            Needs::Row,
            404,
        ));
    }
    cases.extend([
        case(
            Method::POST,
            "/api/assignments",
            "/api/assignments",
            Some(json!({})),
            Needs::Capability(CreateAssignment),
            422,
        ),
        case(
            Method::GET,
            "/api/assignments/{id}",
            format!("/api/assignments/{a}"),
            None,
            Needs::Row,
            200,
        ),
        case(
            Method::PATCH,
            "/api/assignments/{id}",
            format!("/api/assignments/{a}"),
            Some(json!({})),
            Needs::Row,
            200,
        ),
        case(
            Method::GET,
            "/api/assignments/{id}/detail",
            format!("/api/assignments/{a}/detail"),
            None,
            Needs::Row,
            200,
        ),
        case(
            Method::GET,
            "/api/assignments/{id}/tasks",
            format!("/api/assignments/{a}/tasks"),
            None,
            Needs::Row,
            200,
        ),
        case(
            Method::POST,
            "/api/assignments/{id}/tasks",
            format!("/api/assignments/{a}/tasks"),
            Some(json!({})),
            Needs::Row,
            422,
        ),
        case(
            Method::PATCH,
            "/api/assignments/{id}/tasks/{task_id}",
            format!("/api/assignments/{a}/tasks/{}", f.task),
            Some(json!({})),
            Needs::Row,
            200,
        ),
        case(
            Method::DELETE,
            "/api/assignments/{id}/tasks/{task_id}",
            format!("/api/assignments/{a}/tasks/999999"),
            None,
            Needs::Row,
            404,
        ),
        case(
            Method::GET,
            "/api/assignments/{id}/messages",
            format!("/api/assignments/{a}/messages"),
            None,
            Needs::Row,
            200,
        ),
        case(
            Method::POST,
            "/api/assignments/{id}/messages",
            format!("/api/assignments/{a}/messages"),
            Some(json!({"message": ""})),
            Needs::Row,
            422,
        ),
        case(
            Method::POST,
            "/api/assignments/{id}/messages/{message_id}/pin",
            format!("/api/assignments/{a}/messages/{}/pin", f.message),
            None,
            Needs::Row,
            200,
        ),
        case(
            Method::POST,
            "/api/assignments/{id}/messages/{message_id}/unpin",
            format!("/api/assignments/{a}/messages/{}/unpin", f.message),
            None,
            Needs::Row,
            200,
        ),
        case(
            Method::DELETE,
            "/api/assignments/{id}/messages/{message_id}",
            format!("/api/assignments/{a}/messages/999999"),
            None,
            Needs::Row,
            404,
        ),
        // Last but one: the ADMIN (the last caller) really deletes the fixture; the
        // others with access request it.
        case(
            Method::DELETE,
            "/api/assignments/{id}",
            format!("/api/assignments/{a}"),
            None,
            Needs::RowElse(DeleteAssignmentDirect, 202),
            204,
        ),
    ]);
    for path in [
        "/api/approvals",
        "/api/approvals/templates",
        "/api/approvals/mine",
    ] {
        cases.push(case(Method::GET, path, path, None, Needs::SignedIn, 200));
    }
    for path in ["/api/approvals/inbox", "/api/approvals/inbox-count"] {
        cases.push(case(
            Method::GET,
            path,
            path,
            None,
            Needs::Capability(ApproveActions),
            200,
        ));
    }
    cases.extend([
        case(
            Method::POST,
            "/api/approvals/request",
            "/api/approvals/request",
            Some(json!({})),
            Needs::SignedIn,
            422,
        ),
        case(
            Method::GET,
            "/api/approvals/{id}",
            "/api/approvals/999999",
            None,
            Needs::SignedIn,
            404,
        ),
    ]);
    cases.extend([
        case(
            Method::GET,
            "/api/invoices",
            "/api/invoices",
            None,
            Needs::Money,
            200,
        ),
        case(
            Method::GET,
            "/api/invoices/outstanding",
            "/api/invoices/outstanding?group_by=client",
            None,
            Needs::Money,
            200,
        ),
        case(
            Method::GET,
            "/api/invoices/export.csv",
            "/api/invoices/export.csv",
            None,
            Needs::Money,
            200,
        ),
        case(
            Method::POST,
            "/api/invoices",
            "/api/invoices",
            Some(json!({})),
            Needs::Capability(CreateInvoice),
            422,
        ),
        case(
            Method::GET,
            "/api/invoices/{id}",
            "/api/invoices/999999",
            None,
            Needs::Money,
            404,
        ),
        case(
            Method::PATCH,
            "/api/invoices/{id}",
            "/api/invoices/999999",
            Some(json!({})),
            Needs::Capability(ModifyInvoice),
            404,
        ),
        case(
            Method::POST,
            "/api/invoices/{id}/issue",
            "/api/invoices/999999/issue",
            None,
            Needs::Capability(CreateInvoice),
            404,
        ),
        case(
            Method::POST,
            "/api/invoices/{id}/send",
            "/api/invoices/999999/send",
            Some(json!({})),
            Needs::Capability(CreateInvoice),
            404,
        ),
        case(
            Method::POST,
            "/api/invoices/{id}/void",
            "/api/invoices/999999/void",
            Some(json!({"reason": "Raised twice"})),
            Needs::Capability(ModifyInvoice),
            404,
        ),
        case(
            Method::POST,
            "/api/invoices/{id}/payments",
            "/api/invoices/999999/payments",
            Some(json!({"amount": "1.00"})),
            Needs::Capability(ModifyMoney),
            404,
        ),
        case(
            Method::POST,
            "/api/invoices/{id}/adjustments",
            "/api/invoices/999999/adjustments",
            Some(json!({"amount": "1.00"})),
            Needs::Capability(ModifyInvoice),
            404,
        ),
        case(
            Method::GET,
            "/api/invoices/{id}/context",
            "/api/invoices/999999/context",
            None,
            Needs::Money,
            404,
        ),
        case(
            Method::GET,
            "/api/invoices/{id}/pdf",
            "/api/invoices/999999/pdf",
            None,
            Needs::Money,
            404,
        ),
        case(
            Method::POST,
            "/api/invoices/{id}/remind",
            "/api/invoices/999999/remind",
            None,
            Needs::Capability(ModifyMoney),
            404,
        ),
        // Those who may not settle it request it, about an invoice that must exist.
        case(
            Method::POST,
            "/api/invoices/{id}/mark-paid",
            "/api/invoices/999999/mark-paid",
            None,
            Needs::SignedIn,
            404,
        ),
        case(
            Method::GET,
            "/api/invoices/{id}/attachments",
            "/api/invoices/999999/attachments",
            None,
            Needs::Money,
            404,
        ),
        case(
            Method::POST,
            "/api/invoices/{id}/attachments/upload",
            "/api/invoices/999999/attachments/upload",
            Some(json!({})),
            Needs::Capability(ModifyInvoice),
            404,
        ),
        case(
            Method::GET,
            "/api/invoices/{id}/attachments/{attachment_id}/download",
            "/api/invoices/999999/attachments/1/download",
            None,
            Needs::Money,
            404,
        ),
        case(
            Method::DELETE,
            "/api/invoices/{id}/attachments/{attachment_id}",
            "/api/invoices/999999/attachments/1",
            None,
            Needs::Capability(ModifyInvoice),
            404,
        ),
        case(
            Method::GET,
            "/api/master/company-profile",
            "/api/master/company-profile",
            None,
            Needs::SignedIn,
            200,
        ),
        case(
            Method::PATCH,
            "/api/master/company-profile",
            "/api/master/company-profile",
            Some(json!({})),
            Needs::Capability(ManageCompanyAccounts),
            200,
        ),
    ]);
    cases.extend([
        case(
            Method::GET,
            "/api/master/task-templates",
            "/api/master/task-templates",
            None,
            Needs::SignedIn,
            200,
        ),
        case(
            Method::GET,
            "/api/master/task-templates/{id}",
            "/api/master/task-templates/999999",
            None,
            Needs::SignedIn,
            404,
        ),
        case(
            Method::POST,
            "/api/master/task-templates",
            "/api/master/task-templates",
            Some(json!({})),
            Needs::Capability(ManageMasterData),
            422,
        ),
        case(
            Method::PATCH,
            "/api/master/task-templates/{id}",
            "/api/master/task-templates/999999",
            Some(json!({})),
            Needs::Capability(ManageMasterData),
            404,
        ),
        case(
            Method::DELETE,
            "/api/master/task-templates/{id}",
            "/api/master/task-templates/999999",
            None,
            Needs::Capability(ManageMasterData),
            404,
        ),
    ]);
    for path in [
        "/api/notifications",
        "/api/notifications/unread-count",
        "/api/notifications/preferences",
    ] {
        cases.push(case(Method::GET, path, path, None, Needs::SignedIn, 200));
    }
    cases.extend([
        case(
            Method::POST,
            "/api/notifications/{id}/read",
            "/api/notifications/999999/read",
            None,
            Needs::SignedIn,
            404,
        ),
        case(
            Method::POST,
            "/api/notifications/read-all",
            "/api/notifications/read-all",
            None,
            Needs::SignedIn,
            200,
        ),
        case(
            Method::POST,
            "/api/notifications/snooze",
            "/api/notifications/snooze",
            Some(json!({})),
            Needs::SignedIn,
            422,
        ),
        case(
            Method::PATCH,
            "/api/notifications/preferences",
            "/api/notifications/preferences",
            Some(json!({"email_enabled": true})),
            Needs::SignedIn,
            200,
        ),
        case(
            Method::POST,
            "/api/notifications/sweep",
            "/api/notifications/sweep",
            None,
            Needs::Operations,
            200,
        ),
        case(
            Method::GET,
            "/api/notifications/deliveries",
            "/api/notifications/deliveries",
            None,
            Needs::Operations,
            200,
        ),
    ]);
    for path in ["/api/leave", "/api/leave/my"] {
        cases.push(case(Method::GET, path, path, None, Needs::SignedIn, 200));
    }
    cases.extend([
        case(
            Method::GET,
            "/api/leave/inbox",
            "/api/leave/inbox",
            None,
            Needs::LeaveManager,
            200,
        ),
        case(
            Method::POST,
            "/api/leave/request",
            "/api/leave/request",
            Some(json!({})),
            Needs::SignedIn,
            422,
        ),
        case(
            Method::GET,
            "/api/leave/{id}",
            "/api/leave/999999",
            None,
            Needs::SignedIn,
            404,
        ),
    ]);
    // Deciding is for HR and ADMIN before anything is looked up; withdrawing one's own
    // request is for anyone.
    for (template, path) in [
        ("/api/leave/{id}/approve", "/api/leave/999999/approve"),
        ("/api/leave/{id}/reject", "/api/leave/999999/reject"),
    ] {
        cases.push(case(
            Method::POST,
            template,
            path,
            None,
            Needs::LeaveManager,
            404,
        ));
    }
    cases.push(case(
        Method::POST,
        "/api/leave/{id}/cancel",
        "/api/leave/999999/cancel",
        None,
        Needs::SignedIn,
        404,
    ));
    cases.extend([
        case(
            Method::POST,
            "/api/calendar/events",
            "/api/calendar/events",
            Some(json!({})),
            Needs::SignedIn,
            422,
        ),
        case(
            Method::GET,
            "/api/calendar/events/{id}",
            "/api/calendar/events/999999",
            None,
            Needs::SignedIn,
            404,
        ),
        case(
            Method::PATCH,
            "/api/calendar/events/{id}",
            "/api/calendar/events/999999",
            Some(json!({})),
            Needs::SignedIn,
            404,
        ),
        case(
            Method::DELETE,
            "/api/calendar/events/{id}",
            "/api/calendar/events/999999",
            None,
            Needs::SignedIn,
            404,
        ),
        case(
            Method::POST,
            "/api/calendar/feed-token",
            "/api/calendar/feed-token",
            None,
            Needs::SignedIn,
            200,
        ),
        case(
            Method::GET,
            "/api/calendar/feed/{file}",
            "/api/calendar/feed/not-a-feed.ics",
            None,
            Needs::Public,
            404,
        ),
        case(
            Method::GET,
            "/api/assignments/suggest-assignees",
            "/api/assignments/suggest-assignees?date=2026-01-20",
            None,
            Needs::Capability(ViewAllAssignments),
            200,
        ),
    ]);
    for action in ["approve", "reject", "withdraw"] {
        let template = match action {
            "approve" => "/api/approvals/{id}/approve",
            "reject" => "/api/approvals/{id}/reject",
            _ => "/api/approvals/{id}/withdraw",
        };
        cases.push(case(
            Method::POST,
            template,
            format!("/api/approvals/999999/{action}"),
            Some(json!({})),
            Needs::SignedIn,
            404,
        ));
    }
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
        (Needs::Money, Some(role))
            if Capability::ViewInvoices.granted_to(role)
                || Capability::ModifyMoney.granted_to(role) =>
        {
            case.allowed
        }
        (Needs::Money, Some(_)) => 403,
        (Needs::LeaveManager, Some(Role::Hr | Role::Admin)) => case.allowed,
        (Needs::LeaveManager, Some(_)) => 403,
        (Needs::Operations, Some(role))
            if matches!(role, Role::Admin | Role::OpsManager)
                || Capability::ViewAllAssignments.granted_to(role) =>
        {
            case.allowed
        }
        (Needs::Operations, Some(_)) => 403,
        (Needs::Row | Needs::RowElse(..), Some(role))
            if !Capability::ViewAllAssignments.granted_to(role) =>
        {
            404
        }
        (Needs::Row, Some(_)) => case.allowed,
        (Needs::RowElse(cap, _), Some(role)) if cap.granted_to(role) => case.allowed,
        (Needs::RowElse(_, otherwise), Some(_)) => otherwise,
    }
}

#[tokio::test]
async fn every_endpoint_for_every_role() {
    let app = spawn_app().await;
    let mut callers: Vec<(String, Option<Role>, Option<String>)> =
        vec![("anonymous".into(), None, None)];
    // The ADMIN goes last, so that a destructive case it is allowed runs after the others.
    for (role, email) in EVERY_ROLE.iter().skip(1).chain(EVERY_ROLE.iter().take(1)) {
        callers.push((
            (*role).to_owned(),
            Some(role.parse().unwrap()),
            Some(app.login(email).await),
        ));
    }
    let admin = app.login(ADMIN).await;
    let body = crate::assignments::bank_case("RBAC");
    let assignment = crate::assignments::create(&app, &admin, &body).await["id"]
        .as_i64()
        .unwrap();
    let tasks = format!("/api/assignments/{assignment}/tasks");
    let task = expect(
        app.post(&tasks, &admin, &json!({"title": "Fixture"})).await,
        201,
    )
    .await;
    let messages = format!("/api/assignments/{assignment}/messages");
    let message = expect(
        app.post(&messages, &admin, &json!({"message": "Fixture"}))
            .await,
        201,
    )
    .await;
    let fixture = Fixture {
        assignment,
        task: task["id"].as_i64().unwrap(),
        message: message["id"].as_i64().unwrap(),
    };
    let mut failures = Vec::new();
    for case in every_endpoint(fixture) {
        for (name, role, token) in &callers {
            if matches!(case.needs, Needs::Public) && token.is_some() {
                continue; // the same for everyone; once is enough (and keeps the throttle calm)
            }
            let response = app
                .request(
                    case.method.clone(),
                    &case.path,
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
