//! People who use Zen Ops: identities, credentials and the rules for managing them.

use std::fmt;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::{CapabilityOverrides, Role, Roles};
use crate::error::DomainResult;
use crate::page::{Page, Paged};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An email address, trimmed and lowercased. Deliberately lenient (internal addresses such
/// as `admin@zenops.local` are valid) but never empty-sided or with spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_lowercase();
        let invalid = || format!("'{}' is not a valid email address", raw.trim());
        if value.len() > crate::text::limits::NAME
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that satisfies the policy for new passwords:
/// 12 to 128 characters, with at least one lowercase letter, one uppercase letter, one digit
/// and one character that is none of those. Existing passwords (and the demo firm's
/// `password`) are not re-checked at sign-in.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!(
                "must be at least {} characters long",
                Self::MIN_CHARS
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "must be at most {} characters long",
                Self::MAX_CHARS
            ));
        }
        let mut missing = Vec::new();
        if !raw.chars().any(char::is_lowercase) {
            missing.push("a lowercase letter");
        }
        if !raw.chars().any(char::is_uppercase) {
            missing.push("an uppercase letter");
        }
        if !raw.chars().any(|c| c.is_ascii_digit()) {
            missing.push("a digit");
        }
        if !raw.chars().any(|c| !c.is_alphanumeric()) {
            missing.push("a symbol");
        }
        if !missing.is_empty() {
            return Err(format!("must contain {}", missing.join(", ")));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Accepts any non-empty password without the policy: only for the demo firm and
    /// for bootstrapping, never for user input.
    pub fn unchecked(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A stored password hash (PHC string). Opaque to the domain.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub roles: Roles,
    pub is_active: bool,
    pub capability_overrides: CapabilityOverrides,
    pub last_login_at: Option<OffsetDateTime>,
    /// Moves on whenever the user's sessions are ended (password changed or reset,
    /// deactivated); a token is only good for the generation it was issued in.
    pub session_generation: i64,
    /// The user must choose a new password before doing anything else (set when a
    /// password reset is approved; cleared by any new password).
    pub password_change_required: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl User {
    pub fn is_active_admin(&self) -> bool {
        self.is_active && self.roles.contains(Role::Admin)
    }
}

/// The editable profile of a user: what create and update write.
#[derive(Debug, Clone, PartialEq)]
pub struct UserProfile {
    pub email: Email,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub roles: Roles,
    pub is_active: bool,
    pub capability_overrides: CapabilityOverrides,
}

impl From<&User> for UserProfile {
    fn from(user: &User) -> Self {
        Self {
            email: user.email.clone(),
            full_name: user.full_name.clone(),
            phone: user.phone.clone(),
            roles: user.roles.clone(),
            is_active: user.is_active,
            capability_overrides: user.capability_overrides.clone(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub include_inactive: bool,
    pub role: Option<Role>,
    /// Sort by name (people without one last), then email, instead of by creation.
    pub by_name: bool,
}

/// No firm has more people than this on one page.
pub const USER_LIST_CAP: u64 = 1000;

/// What a write to a user does to the sessions they are signed in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionsAfter {
    /// They go on (a profile or role edit: roles are read afresh on every request anyway).
    Keep,
    /// Every one of them ends, now and for good (reset by someone else, deactivation).
    EndAll,
    /// Every one ends except this session id: the one from which the user changed their
    /// own password.
    EndAllBut(String),
}

/// A user as authenticating one of their tokens needs them, read in one query.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionUser {
    pub user: User,
    /// The session was signed out.
    pub revoked: bool,
    /// The session is the one kept by the user's last change of their own password, so it
    /// survives that change whatever generation its token names.
    pub kept: bool,
}

/// How much a user has signed in over a recent window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginActivity {
    /// Successful sign-ins (`USER_LOGIN` trail entries).
    pub logins: u64,
    /// Distinct days with a sign-in, counted in the firm's time zone.
    pub active_days: u64,
}

/// How far back [`LoginActivity`] on the users list looks.
pub const LOGIN_ACTIVITY_DAYS: i64 = 30;

#[async_trait]
pub trait UserRepository: Send + Sync {
    async fn get(&self, id: UserId) -> DomainResult<User>;
    /// The user (if any) with what decides whether `session_id` is still good, in one
    /// lookup: every authenticated request asks this.
    async fn get_for_session(
        &self,
        id: UserId,
        session_id: &str,
    ) -> DomainResult<Option<SessionUser>>;
    async fn find_by_email(&self, email: &Email) -> DomainResult<Option<(User, PasswordHash)>>;
    async fn password_hash(&self, id: UserId) -> DomainResult<PasswordHash>;
    /// Users ordered by creation (or by name for the directory).
    async fn list(&self, filter: &UserFilter, page: Page) -> DomainResult<Paged<User>>;
    /// Fails with `Conflict("duplicate_email")` when the email is taken.
    async fn insert(&self, profile: &UserProfile, hash: &PasswordHash) -> DomainResult<User>;
    /// Writes the profile (and a new hash when given, which also clears
    /// [`User::password_change_required`]), and ends sessions as `sessions` says
    /// (moving the session generation on), in one transaction. When `keep_an_active_admin`
    /// is set the write is refused with `Conflict("last_admin")` if it would leave no
    /// active ADMIN; the check and the write are atomic. `read_at` is the `updated_at` of
    /// the row the change was made from: if the row has changed since (a concurrent
    /// deactivation, demotion or reset), nothing is written and the answer is
    /// `Conflict("stale")`, so a slow write cannot undo a faster one.
    #[allow(clippy::too_many_arguments)]
    async fn update(
        &self,
        id: UserId,
        read_at: OffsetDateTime,
        profile: &UserProfile,
        hash: Option<&PasswordHash>,
        keep_an_active_admin: bool,
        sessions: &SessionsAfter,
    ) -> DomainResult<User>;
    /// Sign-ins of each of `users` since `since`, in one query; days are dated at
    /// `day_offset` from UTC. Users without any are left out.
    async fn login_activity(
        &self,
        users: &[UserId],
        since: OffsetDateTime,
        day_offset: time::UtcOffset,
    ) -> DomainResult<Vec<(UserId, LoginActivity)>>;
    /// Stamps the sign-in and records `entry`, in one transaction.
    async fn record_login(
        &self,
        id: UserId,
        at: OffsetDateTime,
        entry: &crate::activity::ActivityDraft,
    ) -> DomainResult<()>;
}

/// User writes inside a [`crate::work::Transaction`].
#[async_trait]
pub trait UserStore: Send {
    /// [`UserRepository::update`], inside the transaction.
    #[allow(clippy::too_many_arguments)]
    async fn update(
        &mut self,
        id: UserId,
        read_at: OffsetDateTime,
        profile: &UserProfile,
        hash: Option<&PasswordHash>,
        keep_an_active_admin: bool,
        sessions: &SessionsAfter,
        at: OffsetDateTime,
    ) -> DomainResult<User>;
    /// Ends every session of the user and makes them choose a new password before they
    /// can do anything else, if the user is still as read at `read_at` (else
    /// `Conflict("stale")`).
    async fn require_new_password(
        &mut self,
        id: UserId,
        read_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> DomainResult<User>;
}

/// Hashing lives behind a port so the domain never sees a crypto crate. Hashing is slow on
/// purpose, so both operations are async: an adapter runs them away from the threads that
/// serve requests.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &NewPassword) -> DomainResult<PasswordHash>;
    /// Whether `password` matches `hash`; an error only when the check itself could not
    /// run.
    async fn verify(&self, password: &str, hash: &PasswordHash) -> DomainResult<bool>;
    /// A hash of nobody's password made with the same cost as real ones. Checking a
    /// password against it when there is no account takes as long as a real check, so
    /// the time of an answer does not tell who has an account.
    fn decoy(&self) -> PasswordHash;
}

mod service;
pub use service::{MyProfileChanges, NewUser, UserChange, UserChanges, UserService};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() {
        assert_eq!(
            Email::parse("  Admin@ZenOps.Local ").unwrap().as_str(),
            "admin@zenops.local"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "no-at",
            "@x.com",
            "a@",
            "a@b",
            "a b@c.com",
            "a@.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn password_policy() {
        assert!(NewPassword::parse("Str0ng!Passw0rd").is_ok());
        assert!(NewPassword::parse("Sh0rt!").unwrap_err().contains("12"));
        let err = NewPassword::parse("alllowercase1!").unwrap_err();
        assert!(err.contains("uppercase"), "{err}");
        let err = NewPassword::parse("NoDigitsHere!!").unwrap_err();
        assert!(err.contains("digit"), "{err}");
        let err = NewPassword::parse("NoSymbols12345").unwrap_err();
        assert!(err.contains("symbol"), "{err}");
        assert!(NewPassword::parse(&"Aa1!".repeat(33)).is_err());
    }

    #[test]
    fn passwords_never_print() {
        let p = NewPassword::parse("Str0ng!Passw0rd").unwrap();
        assert!(!format!("{p:?}").contains("Str0ng"));
    }
}
