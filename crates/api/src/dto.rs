//! Shapes shared by several endpoints, and serde helpers for the frontend's inputs.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use zenops_domain::DomainError;
use zenops_domain::access::Capabilities;
use zenops_domain::instant::Instant;
use zenops_domain::page::Paged;
use zenops_domain::user::User;

/// Serialises timestamps as RFC 3339 in UTC (`2026-11-24T03:41:22.640894Z`).
pub mod timestamp {
    use serde::Serializer;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        // Microseconds: what both databases store, so a value reads back as it was written.
        let at = at.to_offset(time::UtcOffset::UTC);
        let at = at
            .replace_nanosecond(at.microsecond() * 1_000)
            .unwrap_or(at);
        let text = at.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            at: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, s),
                None => s.serialize_none(),
            }
        }
    }
}

/// For PATCH bodies: distinguishes an absent field (`None`) from an explicit `null`
/// (`Some(None)`), which clears the value.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(i64),
    Text(String),
}

fn parse_id<E: serde::de::Error>(value: NumberOrText) -> Result<Option<i64>, E> {
    match value {
        NumberOrText::Number(n) => Ok(Some(n)),
        NumberOrText::Text(t) if t.trim().is_empty() => Ok(None),
        NumberOrText::Text(t) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| E::custom(format!("'{t}' is not a number"))),
    }
}

/// An optional id that may arrive as a number or as a numeric string (HTML selects send
/// strings); an empty string counts as absent.
pub fn lenient_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(value) => parse_id(value),
    }
}

/// Like [`lenient_id`], for PATCH: `null` or `""` clears the reference.
pub fn lenient_nullable_id<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<i64>>, D::Error> {
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(Some(None)),
        Some(value) => parse_id(value).map(Some),
    }
}

/// An optional number that may arrive as a number or a numeric string (form inputs send
/// strings); an empty string counts as absent.
pub fn lenient_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(f64),
        Text(String),
    }
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(NumberOrText::Text(t)) => t
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("'{t}' is not a number"))),
    }
}

/// A user as the frontend reads it everywhere.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRead {
    pub id: i64,
    pub email: String,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    /// The primary role.
    #[schema(example = "ADMIN")]
    pub role: String,
    /// Every role, primary first.
    pub roles: Vec<String>,
    pub is_active: bool,
    /// The user must choose a new password (at `PATCH /api/auth/me`) before anything else:
    /// set when a password reset is approved.
    pub password_change_required: bool,
    /// Per-user grants (`true`) and revocations (`false`) on top of the roles.
    pub capability_overrides: BTreeMap<String, bool>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// Two-factor sign-in is not offered; always false.
    pub totp_enabled: bool,
    /// WhatsApp notifications are not offered; always false.
    pub whatsapp_opted_in: bool,
}

impl From<&User> for UserRead {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.0,
            email: user.email.as_str().to_owned(),
            full_name: user.full_name.clone(),
            phone: user.phone.clone(),
            role: user.roles.primary().as_str().to_owned(),
            roles: user.roles.names().into_iter().map(str::to_owned).collect(),
            is_active: user.is_active,
            password_change_required: user.password_change_required,
            capability_overrides: user
                .capability_overrides
                .iter()
                .map(|(cap, value)| (cap.key().to_owned(), value))
                .collect(),
            last_login_at: user.last_login_at,
            created_at: user.created_at,
            updated_at: user.updated_at,
            totp_enabled: false,
            whatsapp_opted_in: false,
        }
    }
}

/// The capability map the frontend checks: every key, true or false.
pub fn capability_map(capabilities: &Capabilities) -> BTreeMap<String, bool> {
    capabilities
        .entries()
        .map(|(cap, value)| (cap.key().to_owned(), value))
        .collect()
}

/// A bare JSON array (what the frontend reads) with the whole list's size in
/// `X-Total-Count`.
pub fn listing<T: Serialize>(page: Paged<T>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .insert_header(("X-Total-Count", page.total.to_string()))
        .json(page.items)
}

/// An optional RFC 3339 timestamp from a query string, inside the accepted range; empty
/// means absent. A bad one is a 422 naming the parameter.
pub fn query_instant(
    value: &Option<String>,
    name: &str,
) -> crate::error::ApiResult<Option<Instant>> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| Instant::parse_rfc3339(v).map_err(|m| DomainError::invalid(name, m).into()))
        .transpose()
}

/// `{"id": …}` path parameter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The record's id.
    pub id: i64,
}

/// A JSON body that may be absent, empty or `null` (then `T::default()`).
pub fn optional_body<T: serde::de::DeserializeOwned + Default>(
    body: &actix_web::web::Bytes,
) -> crate::error::ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    match serde_json::from_slice::<Option<T>>(body) {
        Ok(input) => Ok(input.unwrap_or_default()),
        Err(err) => Err(crate::error::ApiError::BadRequest(format!(
            "invalid JSON body: {err}"
        ))),
    }
}
