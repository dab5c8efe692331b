//! In-memory fakes of the ports, for the services' unit tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::{CapabilityOverrides, Role, Roles};
use crate::activity::ActivityDraft;
use crate::auth::{Admission, AttemptId, LoginThrottleStore, SessionRevocations, ThrottlePolicy};
use crate::error::{DomainError, DomainResult};
use crate::page::{Page, Paged};
use crate::user::{
    Email, LoginActivity, NewPassword, PasswordHash, PasswordHasher, SessionUser, SessionsAfter,
    User, UserFilter, UserId, UserProfile, UserRepository,
};

fn unused<T>() -> DomainResult<T> {
    Err(DomainError::unexpected("not used by this test"))
}

pub fn user(id: i64, email: &str, role: Role) -> User {
    let at = OffsetDateTime::UNIX_EPOCH;
    User {
        id: UserId(id),
        email: Email::parse(email).unwrap_or_else(|e| panic!("{e}")),
        full_name: None,
        phone: None,
        roles: Roles::single(role),
        is_active: true,
        capability_overrides: CapabilityOverrides::none(),
        last_login_at: None,
        session_generation: 0,
        password_change_required: false,
        created_at: at,
        updated_at: at,
    }
}

/// Users with their password hashes; remembers what each update did to sessions.
#[derive(Default)]
pub struct FakeUsers {
    pub rows: Mutex<Vec<(User, PasswordHash)>>,
    pub session_writes: Mutex<Vec<(UserId, SessionsAfter)>>,
}

impl FakeUsers {
    pub fn with(users: Vec<(User, &str)>) -> Self {
        let rows = users
            .into_iter()
            .map(|(u, password)| (u, FakeHasher::hash_of(password)))
            .collect();
        Self {
            rows: Mutex::new(rows),
            ..Self::default()
        }
    }

    fn find(&self, pick: impl Fn(&User) -> bool) -> Option<(User, PasswordHash)> {
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        rows.iter().find(|(u, _)| pick(u)).cloned()
    }
}

#[async_trait]
impl UserRepository for FakeUsers {
    async fn get(&self, id: UserId) -> DomainResult<User> {
        self.find(|u| u.id == id)
            .map(|(u, _)| u)
            .ok_or(DomainError::NotFound("User"))
    }

    async fn get_for_session(
        &self,
        _id: UserId,
        _session_id: &str,
    ) -> DomainResult<Option<SessionUser>> {
        unused()
    }

    async fn find_by_email(&self, email: &Email) -> DomainResult<Option<(User, PasswordHash)>> {
        Ok(self.find(|u| u.email == *email))
    }

    async fn password_hash(&self, id: UserId) -> DomainResult<PasswordHash> {
        self.find(|u| u.id == id)
            .map(|(_, h)| h)
            .ok_or(DomainError::NotFound("User"))
    }

    async fn list(&self, filter: &UserFilter, _page: Page) -> DomainResult<Paged<User>> {
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let items: Vec<User> = rows
            .iter()
            .map(|(u, _)| u.clone())
            .filter(|u| filter.include_inactive || u.is_active)
            .filter(|u| filter.role.is_none_or(|role| u.roles.contains(role)))
            .collect();
        Ok(Paged {
            total: items.len() as u64,
            items,
        })
    }

    async fn insert(&self, _profile: &UserProfile, _hash: &PasswordHash) -> DomainResult<User> {
        unused()
    }

    async fn update(
        &self,
        id: UserId,
        read_at: OffsetDateTime,
        profile: &UserProfile,
        hash: Option<&PasswordHash>,
        _keep_an_active_admin: bool,
        sessions: &SessionsAfter,
    ) -> DomainResult<User> {
        self.session_writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, sessions.clone()));
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let (user, stored) = rows
            .iter_mut()
            .find(|(u, _)| u.id == id)
            .ok_or(DomainError::NotFound("User"))?;
        if user.updated_at != read_at {
            return Err(DomainError::conflict("stale", "changed meanwhile"));
        }
        user.updated_at += time::Duration::microseconds(1);
        user.email = profile.email.clone();
        user.full_name = profile.full_name.clone();
        user.phone = profile.phone.clone();
        user.roles = profile.roles.clone();
        user.is_active = profile.is_active;
        user.capability_overrides = profile.capability_overrides.clone();
        if *sessions != SessionsAfter::Keep {
            user.session_generation += 1;
        }
        if let Some(hash) = hash {
            *stored = hash.clone();
        }
        Ok(user.clone())
    }

    async fn login_activity(
        &self,
        _users: &[UserId],
        _since: OffsetDateTime,
        _day_offset: time::UtcOffset,
    ) -> DomainResult<Vec<(UserId, LoginActivity)>> {
        unused()
    }

    async fn record_login(
        &self,
        _id: UserId,
        _at: OffsetDateTime,
        _entry: &ActivityDraft,
    ) -> DomainResult<()> {
        Ok(())
    }
}

/// What fakes did, in order; fakes given the same journal show the order across them.
#[derive(Clone, Default)]
pub struct Journal(Arc<Mutex<Vec<&'static str>>>);

impl Journal {
    pub fn note(&self, event: &'static str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }

    pub fn events(&self) -> Vec<&'static str> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// "Hashes" by prefixing; counts the checks it is asked to make and notes each ("verify").
#[derive(Default)]
pub struct FakeHasher {
    pub verified: AtomicUsize,
    pub verified_against_decoy: AtomicUsize,
    pub journal: Journal,
}

impl FakeHasher {
    const DECOY: &str = "decoy";

    pub fn hash_of(password: &str) -> PasswordHash {
        PasswordHash(format!("hash:{password}"))
    }

    pub fn verifications(&self) -> (usize, usize) {
        (
            self.verified.load(Ordering::SeqCst),
            self.verified_against_decoy.load(Ordering::SeqCst),
        )
    }
}

#[async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, password: &NewPassword) -> DomainResult<PasswordHash> {
        Ok(Self::hash_of(password.expose()))
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> DomainResult<bool> {
        self.verified.fetch_add(1, Ordering::SeqCst);
        self.journal.note("verify");
        if hash.0 == Self::DECOY {
            self.verified_against_decoy.fetch_add(1, Ordering::SeqCst);
        }
        Ok(Self::hash_of(password) == *hash)
    }

    fn decoy(&self) -> PasswordHash {
        PasswordHash(Self::DECOY.to_owned())
    }
}

/// A throttle that admits everything and notes what happened to each attempt.
#[derive(Default)]
pub struct FakeThrottle {
    pub next: AtomicUsize,
    pub journal: Journal,
}

impl FakeThrottle {
    fn note(&self, event: &'static str) {
        self.journal.note(event);
    }
}

#[async_trait]
impl LoginThrottleStore for FakeThrottle {
    async fn begin_attempt(
        &self,
        _account: &str,
        _address: &str,
        _at: OffsetDateTime,
        _policy: &ThrottlePolicy,
    ) -> DomainResult<Admission> {
        self.note("begin");
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        Ok(Admission::Admitted(AttemptId(id as i64)))
    }

    async fn record_failure(
        &self,
        _attempt: AttemptId,
        _at: OffsetDateTime,
        _forget_before: OffsetDateTime,
        _entry: &ActivityDraft,
    ) -> DomainResult<()> {
        self.note("failure");
        Ok(())
    }

    async fn withdraw(&self, _attempt: AttemptId) -> DomainResult<()> {
        self.note("withdraw");
        Ok(())
    }

    async fn clear(&self, _account: &str, _address: &str, _through: AttemptId) -> DomainResult<()> {
        self.note("clear");
        Ok(())
    }
}

pub struct NoRevocations;

#[async_trait]
impl SessionRevocations for NoRevocations {
    async fn revoke(
        &self,
        _session_id: &str,
        _expires_at: OffsetDateTime,
        _entry: &ActivityDraft,
    ) -> DomainResult<()> {
        Ok(())
    }
}
