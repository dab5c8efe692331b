//! Signing in and out: credential checks, the login throttle and revoked sessions.
//!
//! Throttle rule (documented in `docs/adr/0003-login-throttling.md`): failed sign-ins are
//! counted in a sliding window per (account, client address) pair and per client address.
//! A pair that reaches its limit, or an address that reaches its own, gets 429 *before* the
//! password is checked, until its oldest counted failure leaves the window. A success clears
//! the pair's failures. No limit counts an account across addresses, so nobody can lock a
//! colleague out from another machine; the worst a shared address can do is wait out one
//! window.

use std::sync::Arc;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::access::Actor;
use crate::activity::ActivityDraft;
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult};
use crate::user::{PasswordHasher, User, UserId, UserRepository};

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub window: Duration,
    pub max_failures_per_account_and_address: u32,
    pub max_failures_per_address: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            max_failures_per_account_and_address: 5,
            max_failures_per_address: 30,
        }
    }
}

/// Failed attempts inside the window, with the oldest of each count.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailureCounts {
    pub account_and_address: u32,
    pub account_and_address_oldest: Option<OffsetDateTime>,
    pub address: u32,
    pub address_oldest: Option<OffsetDateTime>,
}

impl ThrottlePolicy {
    /// Seconds to wait before another attempt, or `None` when one may be made now.
    pub fn retry_after(&self, counts: &FailureCounts, now: OffsetDateTime) -> Option<u64> {
        let wait = |oldest: Option<OffsetDateTime>| {
            let until = oldest.map_or(now, |t| t + self.window);
            u64::try_from((until - now).whole_seconds())
                .unwrap_or(0)
                .max(1)
        };
        let mut waits = Vec::new();
        if counts.account_and_address >= self.max_failures_per_account_and_address {
            waits.push(wait(counts.account_and_address_oldest));
        }
        if counts.address >= self.max_failures_per_address {
            waits.push(wait(counts.address_oldest));
        }
        waits.into_iter().max()
    }
}

/// The shared throttle state; kept in the database so every API instance sees it.
#[async_trait]
pub trait LoginThrottleStore: Send + Sync {
    async fn failures_since(
        &self,
        account: &str,
        address: &str,
        since: OffsetDateTime,
    ) -> DomainResult<FailureCounts>;
    /// Records a failure (and `entry` in the trail, in the same transaction) and forgets
    /// failures older than `forget_before`.
    async fn record_failure(
        &self,
        account: &str,
        address: &str,
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
        entry: &ActivityDraft,
    ) -> DomainResult<()>;
    async fn clear(&self, account: &str, address: &str) -> DomainResult<()>;
}

/// Signed-out sessions; kept in the database so every API instance refuses them.
#[async_trait]
pub trait SessionRevocations: Send + Sync {
    /// Revokes the session and records `entry`, in one transaction.
    async fn revoke(
        &self,
        session_id: &str,
        expires_at: OffsetDateTime,
        entry: &ActivityDraft,
    ) -> DomainResult<()>;
}

#[derive(Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    throttle: Arc<dyn LoginThrottleStore>,
    revocations: Arc<dyn SessionRevocations>,
    clock: Arc<dyn Clock>,
    policy: ThrottlePolicy,
}

const BAD_CREDENTIALS: &str = "Incorrect email or password";

impl AuthService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        throttle: Arc<dyn LoginThrottleStore>,
        revocations: Arc<dyn SessionRevocations>,
        clock: Arc<dyn Clock>,
        policy: ThrottlePolicy,
    ) -> Self {
        Self {
            users,
            hasher,
            throttle,
            revocations,
            clock,
            policy,
        }
    }

    /// Checks credentials from `address`. Unknown email and wrong password are the same
    /// answer, so the response does not reveal who has an account.
    pub async fn sign_in(&self, email: &str, password: &str, address: &str) -> DomainResult<User> {
        let now = self.clock.now();
        // Bounded, so that whatever a caller sends fits the throttle's columns.
        let account: String = email.trim().to_lowercase().chars().take(255).collect();
        let address: String = address.chars().take(64).collect();
        let address = address.as_str();
        let counts = self
            .throttle
            .failures_since(&account, address, now - self.policy.window)
            .await?;
        if let Some(retry_after_secs) = self.policy.retry_after(&counts, now) {
            return Err(DomainError::Throttled { retry_after_secs });
        }
        let found = match crate::user::Email::parse(&account) {
            Ok(email) => self.users.find_by_email(&email).await?,
            Err(_) => None,
        };
        let user = match found {
            Some((user, hash)) if self.hasher.verify(password, &hash) => user,
            _ => {
                let entry = ActivityDraft {
                    kind: "USER_LOGIN_FAILED",
                    actor: None,
                    assignment_id: None,
                    message: "Sign-in failed".to_owned(),
                    payload: vec![
                        ("email", account.as_str().into()),
                        ("address", address.into()),
                    ],
                };
                self.throttle
                    .record_failure(&account, address, now, now - self.policy.window, &entry)
                    .await?;
                return Err(DomainError::rejected(
                    "invalid_credentials",
                    BAD_CREDENTIALS,
                ));
            }
        };
        if !user.is_active {
            return Err(DomainError::rejected("user_inactive", "User is inactive"));
        }
        self.throttle.clear(&account, address).await?;
        let entry = ActivityDraft {
            kind: "USER_LOGIN",
            actor: Some(user.id),
            assignment_id: None,
            message: "User logged in".to_owned(),
            payload: vec![("address", address.into())],
        };
        self.users.record_login(user.id, now, &entry).await?;
        Ok(User {
            last_login_at: Some(now),
            ..user
        })
    }

    /// Resolves the actor behind a verified token: the session must not be revoked and the
    /// user must still exist and be active. Roles are read fresh, so changes apply at once.
    pub async fn actor_for_session(
        &self,
        user_id: UserId,
        session_id: &str,
    ) -> DomainResult<(Actor, User)> {
        const INVALID: &str = "Could not validate credentials";
        // One lookup per request: the user and whether this session was signed out.
        let user = match self.users.get_for_session(user_id, session_id).await? {
            Some((user, revoked)) if user.is_active && !revoked => user,
            _ => return Err(DomainError::Unauthenticated(INVALID)),
        };
        let actor = Actor::new(user.id, user.roles.clone(), &user.capability_overrides);
        Ok((actor, user))
    }

    pub async fn sign_out(
        &self,
        actor: &Actor,
        session_id: &str,
        expires_at: OffsetDateTime,
    ) -> DomainResult<()> {
        let entry = ActivityDraft::new("USER_LOGOUT", actor, "User logged out");
        self.revocations
            .revoke(session_id, expires_at, &entry)
            .await
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn throttle_waits_for_the_oldest_failure_to_leave_the_window() {
        let policy = ThrottlePolicy::default();
        let now = datetime!(2026-01-01 12:00 UTC);
        let mut counts = FailureCounts {
            account_and_address: 4,
            account_and_address_oldest: Some(now - Duration::minutes(10)),
            ..FailureCounts::default()
        };
        assert_eq!(policy.retry_after(&counts, now), None);
        counts.account_and_address = 5;
        assert_eq!(policy.retry_after(&counts, now), Some(300));
    }

    #[test]
    fn throttle_limits_an_address_across_accounts() {
        let policy = ThrottlePolicy::default();
        let now = datetime!(2026-01-01 12:00 UTC);
        let counts = FailureCounts {
            address: 30,
            address_oldest: Some(now - Duration::minutes(14)),
            ..FailureCounts::default()
        };
        assert_eq!(policy.retry_after(&counts, now), Some(60));
    }
}
