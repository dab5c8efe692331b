//! Managing people: creating, editing, deactivating and resetting passwords, with the rules
//! that keep the firm administrable.

use std::sync::Arc;

use async_trait::async_trait;
use time::Duration;

use crate::access::{Actor, Capabilities, Capability, CapabilityOverrides, Role, Roles};
use crate::activity::ActivityDraft;
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::page::{Page, Paged};
use crate::sla::FirmZone;
use crate::text;
use crate::user::{
    Email, LOGIN_ACTIVITY_DAYS, LoginActivity, NewPassword, PasswordHasher, SessionsAfter, User,
    UserFilter, UserId, UserProfile, UserRepository,
};
use crate::work::{Change, Transaction};

/// Input for a new user, as received; [`UserService::create`] parses it.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
    pub roles: Option<Vec<String>>,
    pub is_active: Option<bool>,
    pub capability_overrides: Option<Vec<(String, bool)>>,
}

/// A partial update by an administrator. `None` leaves a field as it is; for nullable
/// fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub full_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub role: Option<String>,
    pub roles: Option<Vec<String>>,
    pub is_active: Option<bool>,
    pub capability_overrides: Option<Option<Vec<(String, bool)>>>,
    pub password: Option<String>,
}

/// What a user may change about themselves.
#[derive(Debug, Clone, Default)]
pub struct MyProfileChanges {
    pub email: Option<String>,
    pub full_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub password: Option<String>,
    pub current_password: Option<String>,
}

#[derive(Clone)]
pub struct UserService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    zone: FirmZone,
}

/// Applies the contact fields every profile edit shares.
fn apply_contact(
    profile: &mut UserProfile,
    errors: &mut FieldErrors,
    email: Option<&str>,
    full_name: Option<Option<String>>,
    phone: Option<Option<String>>,
) {
    if let Some(email) = email.and_then(|e| errors.check("email", Email::parse(e))) {
        profile.email = email;
    }
    if let Some(full_name) = full_name {
        profile.full_name =
            text::optional_field(full_name, "full_name", text::limits::NAME, errors);
    }
    if let Some(phone) = phone {
        profile.phone = text::optional_field(phone, "phone", text::limits::CODE, errors);
    }
}

fn parse_roles(role: Option<&str>, roles: Option<&[String]>) -> Result<Roles, String> {
    let primary = role.map(str::parse::<Role>).transpose()?;
    let others = roles
        .unwrap_or_default()
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<Vec<_>, _>>()?;
    Roles::new(primary, &others)
}

fn parse_overrides(entries: &[(String, bool)]) -> Result<CapabilityOverrides, String> {
    CapabilityOverrides::parse(entries.iter().map(|(k, v)| (k.as_str(), *v)))
}

impl UserService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        zone: FirmZone,
    ) -> Self {
        Self {
            users,
            hasher,
            clock,
            zone,
        }
    }

    /// The personnel list: users with their sign-ins over the last
    /// [`LOGIN_ACTIVITY_DAYS`] days, days counted in the firm's time zone (at its offset
    /// from UTC now).
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &UserFilter,
        page: Page,
    ) -> DomainResult<Paged<(User, LoginActivity)>> {
        actor.require(Capability::ManageUsers)?;
        let users = self.users.list(filter, page).await?;
        let now = self.clock.now();
        let ids: Vec<UserId> = users.items.iter().map(|u| u.id).collect();
        let activity = if ids.is_empty() {
            Vec::new()
        } else {
            self.users
                .login_activity(
                    &ids,
                    now - Duration::days(LOGIN_ACTIVITY_DAYS),
                    self.zone.offset_at(now),
                )
                .await?
        };
        Ok(users.map(|user| {
            let found = activity.iter().find(|(id, _)| *id == user.id);
            let activity = found.map(|(_, a)| *a).unwrap_or_default();
            (user, activity)
        }))
    }

    /// The minimal list of colleagues every signed-in user may see (to pick assignees),
    /// by name.
    pub async fn directory(
        &self,
        _actor: &Actor,
        include_inactive: bool,
        page: Page,
    ) -> DomainResult<Paged<User>> {
        let filter = UserFilter {
            include_inactive,
            role: None,
            by_name: true,
        };
        self.users.list(&filter, page).await
    }

    pub async fn get(&self, actor: &Actor, id: UserId) -> DomainResult<User> {
        if actor.user_id != id {
            actor.require(Capability::ManageUsers)?;
        }
        self.users.get(id).await
    }

    pub async fn create(&self, actor: &Actor, input: NewUser) -> DomainResult<User> {
        actor.require(Capability::ManageUsers)?;
        let mut errors = FieldErrors::new();
        let email = errors.check("email", Email::parse(&input.email));
        let password = errors.check("password", NewPassword::parse(&input.password));
        let full_name = text::optional_field(
            input.full_name,
            "full_name",
            text::limits::NAME,
            &mut errors,
        );
        let phone = text::optional_field(input.phone, "phone", text::limits::CODE, &mut errors);
        let roles = match (&input.role, &input.roles) {
            (None, None) => Some(Roles::single(Role::Employee)),
            (role, roles) => errors.check("roles", parse_roles(role.as_deref(), roles.as_deref())),
        };
        let overrides = errors.check(
            "capability_overrides",
            parse_overrides(input.capability_overrides.as_deref().unwrap_or_default()),
        );
        errors.into_result()?;
        let (Some(email), Some(password), Some(roles), Some(overrides)) =
            (email, password, roles, overrides)
        else {
            return Err(DomainError::unexpected("validated fields missing"));
        };
        let profile = UserProfile {
            email,
            full_name,
            phone,
            roles,
            is_active: input.is_active.unwrap_or(true),
            capability_overrides: overrides,
        };
        Self::guard_admin_powers(actor, None, &profile)?;
        Self::guard_grants(actor, None, &profile)?;
        let hash = self.hasher.hash(&password).await?;
        self.users.insert(&profile, &hash).await
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: UserId,
        changes: UserChanges,
    ) -> DomainResult<User> {
        actor.require(Capability::ManageUsers)?;
        let current = self.users.get(id).await?;
        Self::guard_outranked(actor, &current)?;
        if changes.password.is_some() {
            Self::guard_own_password(actor, &current)?;
        }
        let mut profile = UserProfile::from(&current);
        let mut errors = FieldErrors::new();
        apply_contact(
            &mut profile,
            &mut errors,
            changes.email.as_deref(),
            changes.full_name,
            changes.phone,
        );
        if changes.role.is_some() || changes.roles.is_some() {
            // A lone `role` replaces the primary role and keeps the others.
            let others: Vec<String> = match &changes.roles {
                Some(roles) => roles.clone(),
                None => current
                    .roles
                    .names()
                    .iter()
                    .map(|r| (*r).to_owned())
                    .collect(),
            };
            let primary = changes
                .role
                .as_deref()
                .or(others.first().map(String::as_str));
            if let Some(roles) = errors.check("roles", parse_roles(primary, Some(&others))) {
                profile.roles = roles;
            }
        }
        if let Some(active) = changes.is_active {
            profile.is_active = active;
        }
        if let Some(overrides) = &changes.capability_overrides {
            let parsed = parse_overrides(overrides.as_deref().unwrap_or_default());
            if let Some(overrides) = errors.check("capability_overrides", parsed) {
                profile.capability_overrides = overrides;
            }
        }
        let password = changes
            .password
            .as_deref()
            .and_then(|p| errors.check("password", NewPassword::parse(p)));
        errors.into_result()?;
        Self::guard_admin_powers(actor, Some(&current), &profile)?;
        Self::guard_grants(actor, Some(&current), &profile)?;
        let hash = match password {
            Some(password) => {
                Self::guard_password_reset(actor, &current)?;
                Some(self.hasher.hash(&password).await?)
            }
            None => None,
        };
        let removes_admin = current.is_active_admin()
            && !(profile.is_active && profile.roles.contains(Role::Admin));
        // A new password set by someone with `manage_users` (even for themself, here) ends
        // every session of the user; so does deactivation, and reactivating later does not
        // bring those sessions back.
        let sessions = if hash.is_some() || !profile.is_active {
            SessionsAfter::EndAll
        } else {
            SessionsAfter::Keep
        };
        self.users
            .update(
                id,
                current.updated_at,
                &profile,
                hash.as_ref(),
                removes_admin,
                &sessions,
            )
            .await
    }

    /// Users are never deleted, only deactivated, so their history stays attributable.
    pub async fn deactivate(&self, actor: &Actor, id: UserId) -> DomainResult<User> {
        let changes = UserChanges {
            is_active: Some(false),
            ..UserChanges::default()
        };
        self.update(actor, id, changes).await
    }

    pub async fn reset_password(
        &self,
        actor: &Actor,
        id: UserId,
        password: &str,
    ) -> DomainResult<User> {
        actor.require(Capability::ManageUsers)?;
        let current = self.users.get(id).await?;
        Self::guard_outranked(actor, &current)?;
        Self::guard_own_password(actor, &current)?;
        Self::guard_password_reset(actor, &current)?;
        let password =
            NewPassword::parse(password).map_err(|m| DomainError::invalid("password", m))?;
        let hash = self.hasher.hash(&password).await?;
        let profile = UserProfile::from(&current);
        self.users
            .update(
                id,
                current.updated_at,
                &profile,
                Some(&hash),
                false,
                &SessionsAfter::EndAll,
            )
            .await
    }

    /// Whether the actor may set this user's password directly (an ADMIN or HR, for
    /// someone they do not outrank, never themself).
    pub fn may_set_password(&self, actor: &Actor, target: &User) -> DomainResult<()> {
        actor.require(Capability::ManageUsers)?;
        Self::guard_outranked(actor, target)?;
        Self::guard_own_password(actor, target)?;
        Self::guard_password_reset(actor, target)
    }

    /// An approved password reset: every session of the user ends and they must choose a
    /// new password before anything else. Nobody, the approver included, ever sees a
    /// password.
    pub async fn plan_new_password_required(
        &self,
        actor: &Actor,
        id: UserId,
    ) -> DomainResult<UserChange> {
        let current = self.users.get(id).await?;
        self.may_set_password(actor, &current)?;
        let entry = ActivityDraft::new(
            "USER_PASSWORD_RESET",
            actor,
            format!(
                "Password reset for {}: a new one is required at the next sign-in",
                current.email
            ),
        )
        .with("user_id", current.id.0);
        Ok(UserChange {
            id,
            read_at: current.updated_at,
            op: UserOp::RequireNewPassword,
            entry,
            at: self.clock.now(),
        })
    }

    /// An approved role change: the user's roles become exactly `role`, by the rules of
    /// any other edit (nobody changes their own roles, grants only what they hold, or
    /// removes the last active ADMIN).
    pub async fn plan_role_change(
        &self,
        actor: &Actor,
        id: UserId,
        role: Role,
    ) -> DomainResult<UserChange> {
        actor.require(Capability::ManageUsers)?;
        let current = self.users.get(id).await?;
        Self::guard_outranked(actor, &current)?;
        let mut profile = UserProfile::from(&current);
        profile.roles = Roles::single(role);
        Self::guard_admin_powers(actor, Some(&current), &profile)?;
        Self::guard_grants(actor, Some(&current), &profile)?;
        let removes_admin = current.is_active_admin() && !profile.roles.contains(Role::Admin);
        let entry = ActivityDraft::new(
            "USER_ROLE_CHANGED",
            actor,
            format!("Role of {} changed to {role}", current.email),
        )
        .with("user_id", current.id.0)
        .with("role", role.as_str())
        .with("previous_roles", current.roles.names().join(","));
        Ok(UserChange {
            id,
            read_at: current.updated_at,
            op: UserOp::Update {
                profile,
                keep_an_active_admin: removes_admin,
            },
            entry,
            at: self.clock.now(),
        })
    }

    /// Changes the actor's own profile from the session `session_id`. A new password ends
    /// every other session of theirs; this one goes on.
    pub async fn update_me(
        &self,
        actor: &Actor,
        session_id: &str,
        changes: MyProfileChanges,
    ) -> DomainResult<User> {
        let current = self.users.get(actor.user_id).await?;
        let mut profile = UserProfile::from(&current);
        let mut errors = FieldErrors::new();
        apply_contact(
            &mut profile,
            &mut errors,
            changes.email.as_deref(),
            changes.full_name,
            changes.phone,
        );
        let password = changes
            .password
            .as_deref()
            .and_then(|p| errors.check("password", NewPassword::parse(p)));
        errors.into_result()?;
        let hash = match password {
            None => None,
            Some(password) => {
                let stored = self.users.password_hash(actor.user_id).await?;
                let current_ok = match changes.current_password.as_deref() {
                    Some(given) => self.hasher.verify(given, &stored).await?,
                    None => false,
                };
                if !current_ok {
                    return Err(DomainError::rejected(
                        "current_password_invalid",
                        "Current password is invalid",
                    ));
                }
                // A new password is a new one: above all when a reset asked for one.
                if changes.current_password.as_deref() == Some(password.expose()) {
                    return Err(DomainError::invalid(
                        "password",
                        "must differ from the current password",
                    ));
                }
                Some(self.hasher.hash(&password).await?)
            }
        };
        let sessions = match hash {
            Some(_) => SessionsAfter::EndAllBut(session_id.to_owned()),
            None => SessionsAfter::Keep,
        };
        self.users
            .update(
                actor.user_id,
                current.updated_at,
                &profile,
                hash.as_ref(),
                false,
                &sessions,
            )
            .await
    }

    /// Only an ADMIN may make someone an ADMIN, change an ADMIN, or hand out capability
    /// overrides: otherwise `manage_users` alone would be a path to every other capability.
    fn guard_admin_powers(
        actor: &Actor,
        current: Option<&User>,
        next: &UserProfile,
    ) -> DomainResult<()> {
        if actor.has_role(Role::Admin) {
            return Ok(());
        }
        let touches_admin = next.roles.contains(Role::Admin)
            || current.is_some_and(|u| u.roles.contains(Role::Admin));
        let changes_overrides = match current {
            Some(user) => user.capability_overrides != next.capability_overrides,
            None => !next.capability_overrides.is_empty(),
        };
        if touches_admin || changes_overrides {
            return Err(DomainError::Forbidden(
                "Only an ADMIN may grant or change the ADMIN role or capability overrides".into(),
            ));
        }
        Ok(())
    }

    /// Nobody changes their own roles or capability overrides, and nobody hands out more
    /// than they hold: a role is granted only by someone who has every capability it
    /// carries (an ADMIN has them all). Removing roles is not granting.
    fn guard_grants(actor: &Actor, current: Option<&User>, next: &UserProfile) -> DomainResult<()> {
        if let Some(user) = current.filter(|u| u.id == actor.user_id)
            && (user.roles != next.roles || user.capability_overrides != next.capability_overrides)
        {
            return Err(DomainError::Forbidden(
                "You cannot change your own roles or capability overrides".into(),
            ));
        }
        let granted = next
            .roles
            .iter()
            .filter(|role| !current.is_some_and(|u| u.roles.contains(*role)));
        for role in granted {
            let missing = Capabilities::of_role(role).beyond(&actor.capabilities);
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|c| c.key()).collect();
                return Err(DomainError::Forbidden(format!(
                    "You cannot grant the {role} role: it carries capabilities you do not hold ({})",
                    names.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Someone with `manage_users` but not ADMIN manages only people who hold nothing they
    /// lack: otherwise setting such a user's password (or email, or reactivating them) and
    /// signing in as them would hand over their capabilities.
    fn guard_outranked(actor: &Actor, target: &User) -> DomainResult<()> {
        if actor.has_role(Role::Admin) || actor.user_id == target.id {
            return Ok(());
        }
        let theirs = Capabilities::resolve(&target.roles, &target.capability_overrides);
        let missing = theirs.beyond(&actor.capabilities);
        if missing.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = missing.iter().map(|c| c.key()).collect();
        Err(DomainError::Forbidden(format!(
            "Only an ADMIN may change this user: they hold capabilities you do not ({})",
            names.join(", ")
        )))
    }

    /// One's own password is changed at `PATCH /api/auth/me`, which asks for the current
    /// one; the admin paths would let a stolen session take the account without it.
    fn guard_own_password(actor: &Actor, target: &User) -> DomainResult<()> {
        if actor.user_id == target.id {
            return Err(DomainError::Forbidden(
                "Change your own password at PATCH /api/auth/me, with your current password".into(),
            ));
        }
        Ok(())
    }

    fn guard_password_reset(actor: &Actor, target: &User) -> DomainResult<()> {
        if target.roles.contains(Role::Admin)
            && !actor.has_role(Role::Admin)
            && actor.user_id != target.id
        {
            return Err(DomainError::Forbidden(
                "Only an ADMIN may set an ADMIN's password".into(),
            ));
        }
        Ok(())
    }
}

enum UserOp {
    Update {
        profile: UserProfile,
        keep_an_active_admin: bool,
    },
    RequireNewPassword,
}

/// A checked change to a user, written only if the user is as it was read.
pub struct UserChange {
    id: UserId,
    read_at: time::OffsetDateTime,
    op: UserOp,
    entry: ActivityDraft,
    at: time::OffsetDateTime,
}

#[async_trait]
impl Change for UserChange {
    type Output = User;

    async fn apply(&self, tx: &mut dyn Transaction) -> DomainResult<(User, Vec<ActivityDraft>)> {
        let store = tx.users();
        let user = match &self.op {
            UserOp::Update {
                profile,
                keep_an_active_admin,
            } => {
                store
                    .update(
                        self.id,
                        self.read_at,
                        profile,
                        None,
                        *keep_an_active_admin,
                        &SessionsAfter::Keep,
                        self.at,
                    )
                    .await?
            }
            UserOp::RequireNewPassword => {
                store
                    .require_new_password(self.id, self.read_at, self.at)
                    .await?
            }
        };
        Ok((user, vec![self.entry.clone()]))
    }

    fn at(&self) -> time::OffsetDateTime {
        self.at
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::clock::FixedClock;
    use crate::testing::{FakeHasher, FakeUsers, user};

    fn actor_of(user: &User) -> Actor {
        Actor::new(user.id, user.roles.clone(), &user.capability_overrides)
    }

    fn with_roles(user: &User, roles: &[Role]) -> UserProfile {
        UserProfile {
            roles: Roles::new(None, roles).unwrap(),
            ..UserProfile::from(user)
        }
    }

    fn forbidden(result: DomainResult<()>) -> String {
        match result {
            Err(DomainError::Forbidden(detail)) => detail,
            other => panic!("expected 403, got {other:?}"),
        }
    }

    #[test]
    fn nobody_changes_their_own_roles_or_overrides() {
        let hr = user(3, "hr@pinnacle.example", Role::Hr);
        let detail = forbidden(UserService::guard_grants(
            &actor_of(&hr),
            Some(&hr),
            &with_roles(&hr, &[Role::Hr, Role::Finance]),
        ));
        assert!(detail.contains("your own roles"), "{detail}");
        // Not even an ADMIN, and not even to drop a role.
        let admin = user(1, "admin@pinnacle.example", Role::Admin);
        forbidden(UserService::guard_grants(
            &actor_of(&admin),
            Some(&admin),
            &with_roles(&admin, &[Role::Admin, Role::Finance]),
        ));
        let mut two_roles = hr.clone();
        two_roles.roles = Roles::new(None, &[Role::Hr, Role::Employee]).unwrap();
        forbidden(UserService::guard_grants(
            &actor_of(&two_roles),
            Some(&two_roles),
            &with_roles(&two_roles, &[Role::Hr]),
        ));
        let overrides = UserProfile {
            capability_overrides: CapabilityOverrides::parse([("modify_money", true)]).unwrap(),
            ..UserProfile::from(&admin)
        };
        forbidden(UserService::guard_grants(
            &actor_of(&admin),
            Some(&admin),
            &overrides,
        ));
        // Editing the rest of one's own profile, roles resent unchanged, is fine.
        let same = UserProfile {
            phone: Some("+91 90000 00000".into()),
            ..UserProfile::from(&hr)
        };
        assert!(UserService::guard_grants(&actor_of(&hr), Some(&hr), &same).is_ok());
    }

    #[test]
    fn a_role_is_granted_only_by_someone_holding_all_it_carries() {
        let hr = actor_of(&user(3, "hr@pinnacle.example", Role::Hr));
        let field = user(6, "field@pinnacle.example", Role::FieldValuer);
        let detail = forbidden(UserService::guard_grants(
            &hr,
            Some(&field),
            &with_roles(&field, &[Role::FieldValuer, Role::Finance]),
        ));
        assert!(
            detail.contains("FINANCE") && detail.contains("modify_money"),
            "{detail}"
        );
        // On create too.
        forbidden(UserService::guard_grants(
            &hr,
            None,
            &with_roles(&field, &[Role::AssistantValuer]),
        ));
        assert!(
            UserService::guard_grants(&hr, None, &with_roles(&field, &[Role::Employee])).is_ok()
        );
        assert!(
            UserService::guard_grants(
                &hr,
                Some(&field),
                &with_roles(&field, &[Role::FieldValuer, Role::Hr])
            )
            .is_ok()
        );
        // A role the user already has is not granted again; removing one is not granting.
        let finance = user(4, "finance@pinnacle.example", Role::Finance);
        let kept = UserProfile {
            phone: Some("+91 90000 00000".into()),
            ..UserProfile::from(&finance)
        };
        assert!(UserService::guard_grants(&hr, Some(&finance), &kept).is_ok());
        let mut two = finance.clone();
        two.roles = Roles::new(None, &[Role::Finance, Role::Employee]).unwrap();
        assert!(
            UserService::guard_grants(&hr, Some(&two), &with_roles(&two, &[Role::Employee]))
                .is_ok()
        );
        // An ADMIN grants anything, to others.
        let admin = actor_of(&user(1, "admin@pinnacle.example", Role::Admin));
        assert!(
            UserService::guard_grants(
                &admin,
                Some(&field),
                &with_roles(&field, &[Role::Finance, Role::Admin])
            )
            .is_ok()
        );
    }

    fn service(users: Arc<FakeUsers>) -> UserService {
        UserService::new(
            users,
            Arc::new(FakeHasher::default()),
            Arc::new(FixedClock(datetime!(2026-01-01 12:00 UTC))),
            FirmZone::parse("UTC").unwrap(),
        )
    }

    const NEW: &str = "Valuation#2026x";

    #[tokio::test]
    async fn credential_changes_and_deactivation_end_sessions() {
        let admin = user(1, "admin@pinnacle.example", Role::Admin);
        let field = user(6, "field@pinnacle.example", Role::FieldValuer);
        let users = Arc::new(FakeUsers::with(vec![
            (admin.clone(), "old"),
            (field.clone(), "old"),
        ]));
        let svc = service(users.clone());
        let by_admin = actor_of(&admin);
        let me = actor_of(&field);
        svc.reset_password(&by_admin, field.id, NEW).await.unwrap();
        let changes = |password: Option<&str>, current: Option<&str>| MyProfileChanges {
            password: password.map(str::to_owned),
            current_password: current.map(str::to_owned),
            ..MyProfileChanges::default()
        };
        svc.update_me(&me, "s1", changes(Some("Another#2026x"), Some(NEW)))
            .await
            .unwrap();
        svc.update_me(
            &me,
            "s1",
            MyProfileChanges {
                phone: Some(Some("+91 90000 00000".into())),
                ..MyProfileChanges::default()
            },
        )
        .await
        .unwrap();
        let password = UserChanges {
            password: Some(NEW.into()),
            ..UserChanges::default()
        };
        svc.update(&by_admin, field.id, password).await.unwrap();
        svc.deactivate(&by_admin, field.id).await.unwrap();
        let reactivate = UserChanges {
            is_active: Some(true),
            ..UserChanges::default()
        };
        let back = svc.update(&by_admin, field.id, reactivate).await.unwrap();
        let writes: Vec<SessionsAfter> = users
            .session_writes
            .lock()
            .unwrap()
            .iter()
            .map(|(_, s)| s.clone())
            .collect();
        assert_eq!(
            writes,
            [
                SessionsAfter::EndAll,
                SessionsAfter::EndAllBut("s1".into()),
                SessionsAfter::Keep,
                SessionsAfter::EndAll,
                SessionsAfter::EndAll,
                // Reactivation brings no ended session back.
                SessionsAfter::Keep,
            ]
        );
        assert_eq!(back.session_generation, 4);
    }
}
