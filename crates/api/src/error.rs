//! The API's one error type and its single mapping to HTTP: `{"detail", "code"}` bodies
//! (plus `errors` per field for validation), FastAPI-style so the frontend reads `detail`.

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;
use zenops_domain::DomainError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub detail: String,
    /// A stable, machine-readable code (`validation_error`, `not_found`, `duplicate`, …).
    pub code: String,
    /// For validation errors: each offending field and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldErrorBody>>,
}

/// 409 `assignee_on_leave`: someone being given work is on approved leave on the day
/// that matters. Resend with `override_on_leave: true` to assign them anyway.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnLeaveBody {
    pub detail: OnLeaveDetail,
    /// `assignee_on_leave`.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnLeaveDetail {
    pub message: String,
    pub user_id: i64,
    /// The day the work needs them (`YYYY-MM-DD`, firm-local).
    pub day: String,
    pub leave_start: String,
    pub leave_end: String,
}

/// A 409 of a write that gives someone work: their leave, or another conflict.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum AssignConflict {
    OnLeave(OnLeaveBody),
    Other(ErrorBody),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The request itself could not be read (malformed JSON, wrong types, bad query).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("Not found")]
    NoRoute,
    /// The body is larger than the server reads.
    #[error("The request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// The request target (path and query) is longer than the server reads.
    #[error("The request URI is longer than the limit of {0} bytes")]
    UriTooLong(usize),
    /// The request's headers together are larger than the server reads.
    #[error("The request headers are larger than the limit of {0} bytes in all")]
    HeadersTooLarge(usize),
    /// The client stopped sending the body; the connection is closed after the answer.
    #[error("The request body stopped arriving: nothing came for {0:?}")]
    BodyTimeout(std::time::Duration),
    /// The caller must choose a new password before anything else.
    #[error("Choose a new password first: PATCH /api/auth/me with current_password and password")]
    PasswordChangeRequired,
    /// A handler panicked. The panic is logged where it is caught, with its message.
    #[error("the request's handler panicked")]
    Panicked,
    /// An error answer that another layer (actix-web itself, CORS) made with a body of its
    /// own, reshaped into ours: the status stays, the code follows from it.
    #[error("{detail}")]
    Http { status: StatusCode, detail: String },
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn parts(&self) -> (StatusCode, &str, String) {
        use DomainError as D;
        match self {
            ApiError::Domain(err) => match err {
                D::Validation(_) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_error",
                    err.to_string(),
                ),
                D::Rejected { code, detail } => (StatusCode::BAD_REQUEST, code, detail.clone()),
                D::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", err.to_string()),
                D::Conflict { code, detail } => (StatusCode::CONFLICT, code, detail.clone()),
                D::Unauthenticated(detail) => (
                    StatusCode::UNAUTHORIZED,
                    "not_authenticated",
                    (*detail).to_owned(),
                ),
                D::Forbidden(detail) => (StatusCode::FORBIDDEN, "forbidden", detail.clone()),
                D::TooLarge { .. } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    err.to_string(),
                ),
                D::Unsupported(detail) => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    detail.clone(),
                ),
                D::OnLeave(_) => (StatusCode::CONFLICT, "assignee_on_leave", err.to_string()),
                D::Throttled { .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    err.to_string(),
                ),
                D::Unexpected(_) => internal(),
            },
            ApiError::BadRequest(detail) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                detail.clone(),
            ),
            ApiError::Unauthenticated(detail) => (
                StatusCode::UNAUTHORIZED,
                "not_authenticated",
                (*detail).to_owned(),
            ),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "not_found", "Not found".to_owned()),
            ApiError::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                self.to_string(),
            ),
            ApiError::UriTooLong(_) => (StatusCode::URI_TOO_LONG, "uri_too_long", self.to_string()),
            ApiError::HeadersTooLarge(_) => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
                self.to_string(),
            ),
            ApiError::BodyTimeout(_) => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                self.to_string(),
            ),
            ApiError::PasswordChangeRequired => (
                StatusCode::FORBIDDEN,
                "password_change_required",
                self.to_string(),
            ),
            ApiError::Panicked => internal(),
            // The status stays; a fault's text stays in the log.
            ApiError::Http { status, .. } if status.is_server_error() => {
                (*status, "internal_error", INTERNAL_DETAIL.to_owned())
            }
            ApiError::Http { status, detail } => (*status, code_of(*status), detail.clone()),
        }
    }
}

const INTERNAL_DETAIL: &str = "Something went wrong on our side; it has been logged";

fn internal() -> (StatusCode, &'static str, String) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        INTERNAL_DETAIL.to_owned(),
    )
}

/// The code of an error answer that only has a status.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "not_authenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::LENGTH_REQUIRED => "length_required",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        _ => "http_error",
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code, detail) = self.parts();
        if status.is_server_error() && !matches!(self, ApiError::Panicked) {
            // The cause is logged once, here, with every source beneath it (inside the
            // request's span, so with its request id); the caller gets nothing internal.
            tracing::error!(error = %self, causes = %cause_chain(self), "request failed");
        }
        let errors = match self {
            ApiError::Domain(DomainError::Validation(fields)) => Some(
                fields
                    .iter()
                    .map(|e| FieldErrorBody {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let ApiError::BodyTimeout(_) = self {
            // What is left of the body is not worth waiting for.
            response.force_close();
        }
        if let ApiError::Domain(DomainError::Throttled { retry_after_secs }) = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::Domain(DomainError::OnLeave(conflict)) = self {
            // The frontend reads `detail.message`, `detail.user_id`, `detail.leave_start` and
            // `detail.leave_end`, asks for confirmation and resends with `override_on_leave`.
            return response.json(OnLeaveBody {
                detail: OnLeaveDetail {
                    message: format!(
                        "Assignee is on approved leave on {} ({} to {})",
                        conflict.day, conflict.leave_start, conflict.leave_end
                    ),
                    user_id: conflict.user_id.0,
                    day: conflict.day.to_string(),
                    leave_start: conflict.leave_start.to_string(),
                    leave_end: conflict.leave_end.to_string(),
                },
                code: code.to_owned(),
            });
        }
        response.json(ErrorBody {
            detail,
            code: code.to_owned(),
            errors,
        })
    }
}

/// The error and each of its sources, outermost first, joined by " <- ".
pub fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(" <- ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

/// Turns extractor failures (bad form, query or path) into our error shape.
pub fn extractor_error(err: impl std::fmt::Display) -> actix_web::Error {
    ApiError::BadRequest(err.to_string()).into()
}

/// Turns JSON body failures into our error shape: 413 for a body over the limit, 422 for
/// anything unreadable.
pub fn json_error(err: JsonPayloadError) -> actix_web::Error {
    match err {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge(limit).into()
        }
        err => extractor_error(err),
    }
}

/// 404 for every path the API does not serve.
pub async fn no_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NoRoute)
}

/// The error responses shared by authenticated endpoints, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum AuthErrors {
    /// Missing, invalid, expired or revoked token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Signed in, but not allowed.
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// The error responses of writes.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    /// Missing, invalid, expired or revoked token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Signed in, but not allowed.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such record.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// A duplicate, a reference that is still in use, or a rule of the current state.
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// Invalid fields, listed in `errors`.
    #[response(status = 422)]
    Unprocessable(ErrorBody),
}

/// The error responses of writes that give someone work (assignments, tasks).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum AssignErrors {
    /// Missing, invalid, expired or revoked token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Signed in, but not allowed.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such record.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The assignee is on approved leave that day (`assignee_on_leave`, `detail` is an
    /// object), or a rule of the current state.
    #[response(status = 409)]
    Conflict(AssignConflict),
    /// Invalid fields, listed in `errors`.
    #[response(status = 422)]
    Unprocessable(ErrorBody),
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;
    use time::macros::date;
    use zenops_domain::leave::LeaveConflict;
    use zenops_domain::user::UserId;

    use super::*;

    fn body_of(err: ApiError) -> (StatusCode, serde_json::Value) {
        let response = err.error_response();
        let status = response.status();
        let bytes = response.into_body().try_into_bytes().unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[test]
    fn an_assignee_on_leave_gets_the_object_the_frontend_reads() {
        let conflict = LeaveConflict {
            user_id: UserId(6),
            day: date!(2026 - 11 - 24),
            leave_start: date!(2026 - 11 - 23),
            leave_end: date!(2026 - 11 - 25),
        };
        let (status, body) = body_of(ApiError::Domain(DomainError::OnLeave(conflict)));
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "assignee_on_leave");
        assert_eq!(body["detail"]["user_id"], 6);
        assert_eq!(body["detail"]["leave_start"], "2026-11-23");
        assert_eq!(body["detail"]["leave_end"], "2026-11-25");
        assert_eq!(body["detail"]["day"], "2026-11-24");
        assert!(
            body["detail"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("leave"))
        );
    }

    #[test]
    fn internal_faults_say_nothing_internal() {
        let (status, body) = body_of(ApiError::Domain(DomainError::unexpected(
            "relation \"users\" does not exist",
        )));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal_error");
        assert!(!body.to_string().contains("relation"));
    }

    #[test]
    fn the_log_line_of_a_fault_carries_its_whole_cause_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("pool timed out")]
        struct Pool(#[source] std::io::Error);
        let err = ApiError::Domain(DomainError::unexpected(Pool(std::io::Error::other(
            "connection refused",
        ))));
        let chain = cause_chain(&err);
        assert!(chain.contains("pool timed out"), "{chain}");
        assert!(chain.ends_with("connection refused"), "{chain}");
    }

    #[test]
    fn reshaped_answers_keep_their_status_and_say_nothing_internal() {
        let (status, body) = body_of(ApiError::Http {
            status: StatusCode::METHOD_NOT_ALLOWED,
            detail: "Requested method is not allowed".to_owned(),
        });
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["code"], "method_not_allowed");
        assert_eq!(body["detail"], "Requested method is not allowed");

        let (status, body) = body_of(ApiError::Http {
            status: StatusCode::BAD_GATEWAY,
            detail: "upstream at 10.0.0.7 refused".to_owned(),
        });
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert_eq!(body["code"], "internal_error");
        assert!(!body.to_string().contains("10.0.0.7"));
    }

    #[test]
    fn throttling_says_when_to_come_back() {
        let response = ApiError::Domain(DomainError::Throttled {
            retry_after_secs: 42,
        })
        .error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("42")
        );
    }
}
