//! Signing in and out: credential checks, the login throttle and revoked sessions.
//!
//! Throttle rule (documented in `docs/adr/0003-login-throttling.md`): sign-in attempts
//! that failed, or are still being checked, are counted in a sliding window per (account,
//! client address) pair and per client address. Each attempt is recorded and counted in one
//! step *before* the password is checked, so concurrent guesses cannot all slip under the
//! limit. A pair that has reached its limit, or an address that has reached its own, gets
//! 429 without the password being looked at, until its oldest counted attempt leaves the
//! window. A success clears the pair's attempts. No limit counts an account across
//! addresses, so nobody can lock a colleague out from another machine; the worst a shared
//! address can do is wait out one window.

use std::sync::Arc;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::access::Actor;
use crate::activity::ActivityDraft;
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult};
use crate::user::{PasswordHasher, SessionUser, User, UserId, UserRepository};

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

/// Attempts (failed, or still being checked) inside the window, with the oldest of each
/// count.
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

/// A recorded sign-in attempt, from when it is admitted until its outcome is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptId(pub i64);

/// Whether an attempt may go on to the password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Recorded, and counted from now on by every other attempt.
    Admitted(AttemptId),
    /// Over a limit: nothing was recorded; try again after this many seconds.
    Refused { retry_after_secs: u64 },
}

/// The shared throttle state; kept in the database so every API instance sees it.
#[async_trait]
pub trait LoginThrottleStore: Send + Sync {
    /// Records an attempt by `account` from `address` at `at` and counts the attempts made
    /// before it inside `policy.window`, as one atomic step: two concurrent attempts never
    /// both miss each other. When `policy` refuses the attempt nothing is recorded.
    async fn begin_attempt(
        &self,
        account: &str,
        address: &str,
        at: OffsetDateTime,
        policy: &ThrottlePolicy,
    ) -> DomainResult<Admission>;
    /// The attempt failed: it stays counted. Records `entry` in the trail at `at` (in the
    /// same transaction) and forgets attempts older than `forget_before`.
    async fn record_failure(
        &self,
        attempt: AttemptId,
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
        entry: &ActivityDraft,
    ) -> DomainResult<()>;
    /// The attempt neither failed nor succeeded (right password, inactive user): it is
    /// no longer counted.
    async fn withdraw(&self, attempt: AttemptId) -> DomainResult<()>;
    /// The attempt succeeded: the pair's attempts up to and including it are forgotten.
    async fn clear(&self, account: &str, address: &str, through: AttemptId) -> DomainResult<()>;
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
    /// answer, in the same time (a password is checked either way), so the response does
    /// not reveal who has an account.
    pub async fn sign_in(&self, email: &str, password: &str, address: &str) -> DomainResult<User> {
        let now = self.clock.now();
        // Bounded, so that whatever a caller sends fits the throttle's columns.
        let account: String = email.trim().to_lowercase().chars().take(255).collect();
        let address: String = address.chars().take(64).collect();
        let address = address.as_str();
        let attempt = match self
            .throttle
            .begin_attempt(&account, address, now, &self.policy)
            .await?
        {
            Admission::Admitted(attempt) => attempt,
            Admission::Refused { retry_after_secs } => {
                return Err(DomainError::Throttled { retry_after_secs });
            }
        };
        let found = match crate::user::Email::parse(&account) {
            Ok(email) => self.users.find_by_email(&email).await?,
            Err(_) => None,
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, self.hasher.decoy()),
        };
        let matches = self.hasher.verify(password, &hash).await?;
        let user = match user {
            Some(user) if matches => user,
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
                    .record_failure(attempt, now, now - self.policy.window, &entry)
                    .await?;
                return Err(DomainError::rejected(
                    "invalid_credentials",
                    BAD_CREDENTIALS,
                ));
            }
        };
        if !user.is_active {
            self.throttle.withdraw(attempt).await?;
            return Err(DomainError::rejected("user_inactive", "User is inactive"));
        }
        self.throttle.clear(&account, address, attempt).await?;
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

    /// Resolves the actor behind a verified token of session `session_id`, issued in the
    /// user's session `generation`: the session must not be revoked, the user must still
    /// exist and be active, and their sessions must not have been ended since (a password
    /// change or reset, a deactivation) unless this is the session that changed the
    /// password. Roles are read fresh, so changes apply at once.
    pub async fn actor_for_session(
        &self,
        user_id: UserId,
        session_id: &str,
        generation: i64,
    ) -> DomainResult<(Actor, User)> {
        const INVALID: &str = "Could not validate credentials";
        // One lookup per request: the user and what decides whether this session is good.
        let user = match self.users.get_for_session(user_id, session_id).await? {
            Some(found) if session_is_good(&found, generation) => found.user,
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

/// Whether a token of `generation` still speaks for the user it names.
fn session_is_good(found: &SessionUser, generation: i64) -> bool {
    found.user.is_active
        && !found.revoked
        && (generation == found.user.session_generation || found.kept)
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

    use crate::access::Role;
    use crate::clock::FixedClock;
    use crate::testing::{FakeHasher, FakeThrottle, FakeUsers, Journal, NoRevocations, user};

    struct Harness {
        auth: AuthService,
        hasher: Arc<FakeHasher>,
        throttle: Arc<FakeThrottle>,
    }

    fn harness() -> Harness {
        let mut inactive = user(2, "gone@pinnacle.example", Role::Employee);
        inactive.is_active = false;
        let users = FakeUsers::with(vec![
            (
                user(1, "field@pinnacle.example", Role::FieldValuer),
                "right",
            ),
            (inactive, "right"),
        ]);
        // One journal, so the tests see the order of attempts and password checks.
        let journal = Journal::default();
        let hasher = Arc::new(FakeHasher {
            journal: journal.clone(),
            ..FakeHasher::default()
        });
        let throttle = Arc::new(FakeThrottle {
            journal,
            ..FakeThrottle::default()
        });
        let auth = AuthService::new(
            Arc::new(users),
            hasher.clone(),
            throttle.clone(),
            Arc::new(NoRevocations),
            Arc::new(FixedClock(datetime!(2026-01-01 12:00 UTC))),
            ThrottlePolicy::default(),
        );
        Harness {
            auth,
            hasher,
            throttle,
        }
    }

    fn code(err: DomainError) -> &'static str {
        match err {
            DomainError::Rejected { code, .. } => code,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_unknown_email_costs_a_password_check_like_a_real_one() {
        let h = harness();
        let err = h
            .auth
            .sign_in("nobody@pinnacle.example", "right", "10.0.0.1")
            .await
            .unwrap_err();
        assert_eq!(code(err), "invalid_credentials");
        assert_eq!(
            h.hasher.verifications(),
            (1, 1),
            "checked against the decoy"
        );
        // Not even an email address: still one check.
        let err = h
            .auth
            .sign_in("not an email", "right", "10.0.0.1")
            .await
            .unwrap_err();
        assert_eq!(code(err), "invalid_credentials");
        assert_eq!(h.hasher.verifications(), (2, 2));
        // A real account is checked against its own hash.
        let err = h
            .auth
            .sign_in("field@pinnacle.example", "wrong", "10.0.0.1")
            .await
            .unwrap_err();
        assert_eq!(code(err), "invalid_credentials");
        assert_eq!(h.hasher.verifications(), (3, 2));
        assert_eq!(
            h.throttle.journal.events(),
            [
                "begin", "verify", "failure", "begin", "verify", "failure", "begin", "verify",
                "failure"
            ]
        );
    }

    #[tokio::test]
    async fn every_attempt_is_recorded_before_the_password_is_checked() {
        let h = harness();
        let user = h
            .auth
            .sign_in(" Field@Pinnacle.example ", "right", "10.0.0.1")
            .await
            .unwrap();
        assert_eq!(user.id, UserId(1));
        assert!(user.last_login_at.is_some());
        // An inactive user with the right password neither fails nor clears.
        let err = h
            .auth
            .sign_in("gone@pinnacle.example", "right", "10.0.0.1")
            .await
            .unwrap_err();
        assert_eq!(code(err), "user_inactive");
        // Each attempt is counted ("begin") before its password is checked ("verify").
        assert_eq!(
            h.throttle.journal.events(),
            ["begin", "verify", "clear", "begin", "verify", "withdraw"]
        );
    }

    fn session_user(generation: i64, revoked: bool, kept: bool) -> SessionUser {
        let mut found = user(1, "field@pinnacle.example", Role::FieldValuer);
        found.session_generation = generation;
        SessionUser {
            user: found,
            revoked,
            kept,
        }
    }

    #[test]
    fn a_token_is_good_only_for_its_generation_or_the_kept_session() {
        assert!(session_is_good(&session_user(0, false, false), 0));
        // Sessions were ended (password changed, reset, deactivated) since it was issued.
        assert!(!session_is_good(&session_user(1, false, false), 0));
        // Unless it is the session the user changed their own password from.
        assert!(session_is_good(&session_user(1, false, true), 0));
        assert!(!session_is_good(&session_user(1, true, true), 1));
        let mut inactive = session_user(0, false, false);
        inactive.user.is_active = false;
        assert!(!session_is_good(&inactive, 0));
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
