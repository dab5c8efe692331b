//! Refusals that hold for every route, before any handler runs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use percent_encoding::percent_decode_str;

use crate::error::ApiError;

/// Refuses a request whose path or query string, once decoded, holds a control character
/// (a NUL, a line break, …): no path segment, id, filter or search term has one, and
/// PostgreSQL cannot even store a NUL. Answers 422 `invalid_request`.
pub async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if has_control_character(req.path()) {
        return Err(
            ApiError::BadRequest("the path must not contain control characters".into()).into(),
        );
    }
    if has_control_character(&req.query_string().replace('+', " ")) {
        return Err(ApiError::BadRequest(
            "query parameters must not contain control characters".into(),
        )
        .into());
    }
    next.call(req).await
}

fn has_control_character(encoded: &str) -> bool {
    percent_decode_str(encoded)
        .decode_utf8_lossy()
        .chars()
        .any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::has_control_character;

    #[test]
    fn finds_encoded_and_raw_control_characters() {
        assert!(has_control_character("q=%00"));
        assert!(has_control_character("type=a%0Ab"));
        assert!(has_control_character("q=%C2%85"));
        assert!(has_control_character("q=%7F"));
        assert!(!has_control_character(
            "q=VAL%2F2026&created_from=2026-01-01T00%3A00%3A00Z"
        ));
        assert!(!has_control_character("q=caf%C3%A9 au lait"));
        // Invalid UTF-8 is not a control character; the handler refuses what it cannot use.
        assert!(!has_control_character("q=%FF"));
    }
}
