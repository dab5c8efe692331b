//! The OpenAPI document's frame: title, security schemes and tags. The paths and schemas
//! are collected from the handlers as they are registered.

use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::edge::{MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_URI_BYTES};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zen Ops API",
        description = "The work operating system of Pinnacle Consultants: assignments, people, master data and more.\n\nSign in with **Authorize** (OAuth2 password: your email as username) or call `POST /api/auth/login` and paste the `access_token` into the bearer field. Demo users: `admin@zenops.local` … `employee@zenops.local`, password `password`.\n\nErrors are `{\"detail\": string, \"code\": string}`; validation errors add `errors: [{field, message}]`.",
    ),
    modifiers(&Security),
    // Bodies that only error responses name, which the route collection does not reach.
    components(schemas(
        crate::error::AssignConflict,
        crate::error::OnLeaveBody,
        crate::error::OnLeaveDetail,
        crate::error::ErrorBody,
        crate::error::FieldErrorBody,
    )),
    tags(
        (name = "auth", description = "Signing in and out, the current user, capabilities"),
        (name = "users", description = "People and their roles"),
        (name = "master data", description = "Banks, branches, clients, property types, company accounts, calendar labels, holidays"),
        (name = "assignments", description = "Valuation jobs: lists, detail, lifecycle, summary, workload"),
        (name = "work", description = "Tasks and messages on assignments"),
        (name = "documents", description = "Documents on assignments: upload, versions, review, download"),
        (name = "approvals", description = "Requests for changes their requester may not make directly, and their decisions"),
        (name = "invoices", description = "Invoices, payments, credits and the company profile they are billed under"),
        (name = "activity", description = "The audit trail"),
        (name = "leave", description = "Leave requests and their decisions"),
        (name = "calendar", description = "Calendar events and iCal feeds"),
        (name = "notifications", description = "Notifications, email preferences, reminder sweeps and the email delivery log"),
        (name = "health", description = "Probes"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "password",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                "/api/auth/login",
                Scopes::new(),
            ))])),
        );
    }
}

/// Every operation of the document.
fn operations(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
    })
}

/// Operations that name the bearer scheme accept the OAuth2 password token as well.
pub fn accept_oauth_tokens(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::SecurityRequirement;
    for op in operations(openapi) {
        if let Some(security) = op.security.as_mut()
            && !security.is_empty()
        {
            security.push(SecurityRequirement::new("password", Vec::<String>::new()));
        }
    }
}

/// Documents on every operation the errors that any request can meet before or around its
/// handler (see `edge` and `guard`), where the operation does not document them itself:
/// 422 (an unreadable or out-of-range parameter, a control character in the path or query),
/// 414 and 431 (an over-long URI or headers), 500; and for operations that take a body,
/// 408 (the body stopped arriving) and 413 (the body is over the limit). All carry
/// `ErrorBody`.
pub fn document_edge_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    let kib = |bytes: usize| bytes / 1024;
    let every = [
        (
            "422",
            "Invalid parameters or body, listed in `errors` where they are fields".to_owned(),
        ),
        ("414", format!("The URI is over {} KiB", kib(MAX_URI_BYTES))),
        (
            "431",
            format!("The headers are over {} KiB", kib(MAX_HEADER_BYTES)),
        ),
        (
            "500",
            "A fault on the server's side; logged with its cause".to_owned(),
        ),
    ];
    let with_body = [
        ("408", "The request body stopped arriving".to_owned()),
        (
            "413",
            format!("The request body is over {} KiB", kib(MAX_BODY_BYTES)),
        ),
    ];
    for op in operations(openapi) {
        let body = if op.request_body.is_some() {
            &with_body[..]
        } else {
            &[]
        };
        for (status, description) in every.iter().chain(body) {
            op.responses
                .responses
                .entry((*status).to_owned())
                .or_insert_with(|| error(description));
        }
    }
}
