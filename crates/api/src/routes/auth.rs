//! Signing in and out, the current user and their capabilities.

use std::collections::BTreeMap;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::access::Capabilities;
use zenops_domain::user::{MyProfileChanges, User};

use crate::dto::{UserRead, capability_map, nullable};
use crate::error::{ApiError, ApiResult, AuthErrors, ErrorBody};
use crate::session::{Authenticated, IssuedToken, client_address};
use crate::state::AppState;

/// The OAuth2 password form the frontend (and Swagger's Authorize button) sends.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginForm {
    /// The email address.
    #[schema(example = "admin@zenops.local")]
    pub username: String,
    #[schema(example = "password")]
    pub password: String,
}

/// The same credentials as JSON.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginJson {
    #[serde(alias = "username")]
    #[schema(example = "admin@zenops.local")]
    pub email: String,
    #[schema(example = "password")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires; renew it with the heartbeat.
    pub expires_in: i64,
    pub user: UserRead,
    pub capabilities: BTreeMap<String, bool>,
    /// Always false: two-factor sign-in is not offered.
    pub mfa_required: bool,
    #[schema(value_type = Option<String>)]
    pub mfa_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilitiesMeta {
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilitiesResponse {
    /// The primary role.
    pub role: String,
    /// Every capability key with whether the caller has it (roles and overrides applied).
    pub capabilities: BTreeMap<String, bool>,
    pub meta: CapabilitiesMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutResponse {
    #[schema(example = "ok")]
    pub status: &'static str,
    pub message: &'static str,
}

/// A change to one's own profile. To change the password, send `password` and
/// `current_password`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct MeUpdate {
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub full_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub password: Option<String>,
    pub current_password: Option<String>,
}

fn login_response(user: &User, token: IssuedToken) -> LoginResponse {
    let granted = Capabilities::resolve(&user.roles, &user.capability_overrides);
    LoginResponse {
        access_token: token.token,
        token_type: "bearer",
        expires_in: token.expires_in,
        user: UserRead::from(user),
        capabilities: capability_map(&granted),
        mfa_required: false,
        mfa_token: None,
    }
}

fn parse_credentials(req: &HttpRequest, body: &[u8]) -> ApiResult<(String, String)> {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (field, account, password) = if is_json {
        let credentials: LoginJson = serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("Invalid login body: {e}")))?;
        ("email", credentials.email, credentials.password)
    } else {
        let credentials: LoginForm = serde_urlencoded::from_bytes(body)
            .map_err(|e| ApiError::BadRequest(format!("Invalid login form: {e}")))?;
        ("username", credentials.username, credentials.password)
    };
    // No account name holds a control character or exceeds an email's length; such input
    // is malformed, not a failed sign-in, and never reaches the throttle's columns.
    let account = zenops_domain::text::parse_filter(&account)
        .map_err(|m| ApiError::Domain(zenops_domain::DomainError::invalid(field, m)))?;
    Ok((account, password))
}

/// Sign in with the OAuth2 password form (`username`, `password`) or JSON
/// (`{email, password}`). Wrong credentials and inactive users get 400; repeated failures
/// from one address get 429 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body(content(
        (LoginForm = "application/x-www-form-urlencoded"),
        (LoginJson = "application/json"),
    )),
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "Wrong credentials or inactive user", body = ErrorBody),
        (status = 413, description = "Body over the size limit", body = ErrorBody),
        (status = 422, description = "Unreadable body, or an account name with control characters", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
    )
)]
#[post("/api/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<web::Json<LoginResponse>> {
    let (email, password) = parse_credentials(&req, &body)?;
    let address = client_address(&req, state.trust_forwarded_for);
    let user = state
        .auth
        .sign_in(&email, &password, &address)
        .await
        .inspect_err(|err| {
            if matches!(err, zenops_domain::DomainError::Throttled { .. }) {
                crate::metrics::login_throttled();
            }
        })?;
    let token = state.tokens.start_session(&user, state.auth.now())?;
    Ok(web::Json(login_response(&user, token)))
}

/// The signed-in user.
#[utoipa::path(tag = "auth", responses((status = 200, body = UserRead), AuthErrors), security(("bearer" = [])))]
#[get("/api/auth/me")]
async fn me(caller: Authenticated) -> web::Json<UserRead> {
    web::Json(UserRead::from(&caller.user))
}

/// Change one's own email, name, phone or password (the latter needs `current_password`).
/// A new password signs the user out everywhere else; this session goes on.
#[utoipa::path(
    tag = "auth",
    request_body = MeUpdate,
    responses(
        (status = 200, body = UserRead),
        (status = 400, description = "Current password is invalid", body = ErrorBody),
        (status = 409, description = "Email already in use", body = ErrorBody),
        (status = 422, body = ErrorBody),
        AuthErrors
    ),
    security(("bearer" = []))
)]
#[patch("/api/auth/me")]
async fn update_me(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<MeUpdate>,
) -> ApiResult<web::Json<UserRead>> {
    let body = body.into_inner();
    let changes = MyProfileChanges {
        email: body.email,
        full_name: body.full_name,
        phone: body.phone,
        password: body.password,
        current_password: body.current_password,
    };
    let user = state
        .users
        .update_me(&caller.actor, &caller.claims.sid, changes)
        .await?;
    Ok(web::Json(UserRead::from(&user)))
}

/// What the signed-in user may do: every capability key, roles and overrides applied.
#[utoipa::path(tag = "auth", responses((status = 200, body = CapabilitiesResponse), AuthErrors), security(("bearer" = [])))]
#[get("/api/auth/capabilities")]
async fn capabilities(caller: Authenticated) -> web::Json<CapabilitiesResponse> {
    let roles = &caller.actor.roles;
    web::Json(CapabilitiesResponse {
        role: roles.primary().as_str().to_owned(),
        capabilities: capability_map(&caller.actor.capabilities),
        meta: CapabilitiesMeta {
            roles: roles.names().into_iter().map(str::to_owned).collect(),
        },
    })
}

/// Sign out: the session and every token it issued stop working (401).
#[utoipa::path(tag = "auth", responses((status = 200, body = LogoutResponse), AuthErrors), security(("bearer" = [])))]
#[post("/api/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<LogoutResponse>> {
    let until = state.tokens.session_end(&caller.claims);
    state
        .auth
        .sign_out(&caller.actor, &caller.claims.sid, until)
        .await?;
    Ok(web::Json(LogoutResponse {
        status: "ok",
        message: "Logged out successfully",
    }))
}

/// Keep the session alive: a fresh token in the login shape. Sessions end after
/// SESSION_MAX_HOURS regardless (401 `session_expired`).
#[utoipa::path(tag = "auth", responses((status = 200, body = LoginResponse), AuthErrors), security(("bearer" = [])))]
#[post("/api/auth/heartbeat")]
async fn heartbeat(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<LoginResponse>> {
    let token = state
        .tokens
        .renew(&caller.claims, &caller.user, state.auth.now())?;
    Ok(web::Json(login_response(&caller.user, token)))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(login)
        .service(me)
        .service(update_me)
        .service(capabilities)
        .service(logout)
        .service(heartbeat);
}
