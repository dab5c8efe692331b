//! Test data shared by the services' unit tests.

use time::OffsetDateTime;

use crate::access::{CapabilityOverrides, Role, Roles};
use crate::user::{Email, User, UserId};

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
        created_at: at,
        updated_at: at,
    }
}
