//! Bearer tokens: HS256 JWTs naming a session, and the extractor that turns a request's
//! token into the acting user.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use zenops_domain::Actor;
use zenops_domain::user::{User, UserId};

use crate::error::ApiError;
use crate::state::AppState;

/// What a token says. `sid` names the sign-in session: heartbeats renew the token but keep
/// the session, and signing out revokes the session with every token it issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<String>,
    pub sid: String,
    /// When the session began (seconds since the epoch); bounds heartbeat renewals.
    pub sst: i64,
    /// The user's session generation when the token was issued: a password change or
    /// reset, or a deactivation, moves it on and so ends the session. Tokens from before
    /// generations existed have none and count as generation 0.
    #[serde(default, rename = "gen")]
    pub generation: i64,
    pub iat: i64,
    pub exp: i64,
}

pub struct IssuedToken {
    pub token: String,
    pub expires_in: i64,
}

#[derive(Clone)]
pub struct TokenCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    session_max: Duration,
}

const INVALID: &str = "Could not validate credentials";

impl TokenCodec {
    pub fn new(secret: &str, ttl: Duration, session_max: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            ttl,
            session_max,
        }
    }

    /// A token for a new session.
    pub fn start_session(&self, user: &User, now: OffsetDateTime) -> Result<IssuedToken, ApiError> {
        let sid = uuid::Uuid::new_v4().simple().to_string();
        self.issue(user, sid, now.unix_timestamp(), now)
    }

    /// A fresh token for the same session, unless the session has reached its maximum age.
    pub fn renew(
        &self,
        claims: &Claims,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<IssuedToken, ApiError> {
        if now.unix_timestamp() - claims.sst > self.session_max.whole_seconds() {
            return Err(ApiError::Unauthenticated("session_expired"));
        }
        self.issue(user, claims.sid.clone(), claims.sst, now)
    }

    fn issue(
        &self,
        user: &User,
        sid: String,
        sst: i64,
        now: OffsetDateTime,
    ) -> Result<IssuedToken, ApiError> {
        let iat = now.unix_timestamp();
        let session_end = sst + self.session_max.whole_seconds();
        let exp = (iat + self.ttl.whole_seconds()).min(session_end);
        let claims = Claims {
            sub: user.id.to_string(),
            roles: user.roles.names().into_iter().map(str::to_owned).collect(),
            sid,
            sst,
            generation: user.session_generation,
            iat,
            exp,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(zenops_domain::DomainError::unexpected)?;
        Ok(IssuedToken {
            token,
            expires_in: exp - iat,
        })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => ApiError::Unauthenticated("session_expired"),
                _ => ApiError::Unauthenticated(INVALID),
            })
    }

    /// When the last token of a session can expire; revocations are kept until then.
    pub fn session_end(&self, claims: &Claims) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(claims.sst + self.session_max.whole_seconds())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// The signed-in caller: the actor for permission checks, the user as stored now, and the
/// token's claims.
pub struct Authenticated {
    pub actor: Actor,
    pub user: User,
    pub claims: Claims,
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthenticated("Not authenticated"))?;
    match header.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthenticated("Not authenticated")),
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let open_to_all = allowed_before_new_password(req.method(), req.path());
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                zenops_domain::DomainError::unexpected("application state missing")
            })?;
            let claims = state.tokens.verify(&token?)?;
            let user_id = claims
                .sub
                .parse::<i64>()
                .map(UserId)
                .map_err(|_| ApiError::Unauthenticated(INVALID))?;
            let (actor, user) = state
                .auth
                .actor_for_session(user_id, &claims.sid, claims.generation)
                .await?;
            if user.password_change_required && !open_to_all {
                return Err(ApiError::PasswordChangeRequired);
            }
            Ok(Authenticated {
                actor,
                user,
                claims,
            })
        })
    }
}

/// What someone who must choose a new password may still do: read who they are, choose
/// it, keep the session alive, sign out.
fn allowed_before_new_password(method: &actix_web::http::Method, path: &str) -> bool {
    use actix_web::http::Method;
    matches!(
        (method, path.trim_end_matches('/')),
        (&Method::GET | &Method::PATCH, "/api/auth/me")
            | (&Method::GET, "/api/auth/capabilities")
            | (&Method::POST, "/api/auth/logout" | "/api/auth/heartbeat")
    )
}

/// The caller's address, which keys the login throttle. X-Forwarded-For is believed only
/// when configured (behind a trusted proxy), since anyone can send it.
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| {
            req.headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                // The last entry is the one the trusted proxy appended; earlier ones are
                // whatever the client sent, and would let it pick a fresh throttle key for
                // every attempt.
                .and_then(|v| v.rsplit(',').next())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
        .flatten();
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::client_address;

    #[test]
    fn the_throttle_key_is_the_address_the_proxy_appended() {
        let req = TestRequest::default()
            .insert_header(("x-forwarded-for", "6.6.6.6, 10.0.0.7"))
            .peer_addr("127.0.0.1:9000".parse().unwrap())
            .to_http_request();
        assert_eq!(client_address(&req, true), "10.0.0.7");
        assert_eq!(client_address(&req, false), "127.0.0.1");
    }
}
