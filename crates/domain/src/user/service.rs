//! Managing people: creating, editing, deactivating and resetting passwords, with the rules
//! that keep the firm administrable.

use std::sync::Arc;

use crate::access::{Actor, Capability, CapabilityOverrides, Role, Roles};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::page::{Page, Paged};
use crate::text;
use crate::user::{
    Email, NewPassword, PasswordHasher, User, UserFilter, UserId, UserProfile, UserRepository,
};

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
    if let Some(full_name) = full_name.and_then(|name| {
        errors.check(
            "full_name",
            text::parse_optional(name.as_deref(), text::limits::NAME),
        )
    }) {
        profile.full_name = full_name;
    }
    if let Some(phone) = phone.and_then(|phone| {
        errors.check(
            "phone",
            text::parse_optional(phone.as_deref(), text::limits::CODE),
        )
    }) {
        profile.phone = phone;
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
    pub fn new(users: Arc<dyn UserRepository>, hasher: Arc<dyn PasswordHasher>) -> Self {
        Self { users, hasher }
    }

    pub async fn list(
        &self,
        actor: &Actor,
        filter: &UserFilter,
        page: Page,
    ) -> DomainResult<Paged<User>> {
        actor.require(Capability::ManageUsers)?;
        self.users.list(filter, page).await
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
        let full_name = errors.check(
            "full_name",
            text::parse_optional(input.full_name.as_deref(), text::limits::NAME),
        );
        let phone = errors.check(
            "phone",
            text::parse_optional(input.phone.as_deref(), text::limits::CODE),
        );
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
            full_name: full_name.flatten(),
            phone: phone.flatten(),
            roles,
            is_active: input.is_active.unwrap_or(true),
            capability_overrides: overrides,
        };
        Self::guard_admin_powers(actor, None, &profile)?;
        let hash = self.hasher.hash(&password)?;
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
        if password.is_some() {
            Self::guard_password_reset(actor, &current)?;
        }
        let hash = password.map(|p| self.hasher.hash(&p)).transpose()?;
        let removes_admin = current.is_active_admin()
            && !(profile.is_active && profile.roles.contains(Role::Admin));
        self.users
            .update(id, &profile, hash.as_ref(), removes_admin)
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
        Self::guard_password_reset(actor, &current)?;
        let password =
            NewPassword::parse(password).map_err(|m| DomainError::invalid("password", m))?;
        let hash = self.hasher.hash(&password)?;
        self.users
            .update(id, &UserProfile::from(&current), Some(&hash), false)
            .await
    }

    pub async fn update_me(&self, actor: &Actor, changes: MyProfileChanges) -> DomainResult<User> {
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
                let current_ok = changes
                    .current_password
                    .as_deref()
                    .is_some_and(|c| self.hasher.verify(c, &stored));
                if !current_ok {
                    return Err(DomainError::rejected(
                        "current_password_invalid",
                        "Current password is invalid",
                    ));
                }
                Some(self.hasher.hash(&password)?)
            }
        };
        self.users
            .update(actor.user_id, &profile, hash.as_ref(), false)
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
