//! Roles, capabilities and the actor: who may do what. The role → capability matrix lives
//! here and nowhere else.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::error::{DomainError, DomainResult};
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Admin,
    OpsManager,
    Hr,
    Finance,
    AssistantValuer,
    FieldValuer,
    Employee,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::OpsManager,
        Role::Hr,
        Role::Finance,
        Role::AssistantValuer,
        Role::FieldValuer,
        Role::Employee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::OpsManager => "OPS_MANAGER",
            Role::Hr => "HR",
            Role::Finance => "FINANCE",
            Role::AssistantValuer => "ASSISTANT_VALUER",
            Role::FieldValuer => "FIELD_VALUER",
            Role::Employee => "EMPLOYEE",
        }
    }

    fn column(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown role '{s}'"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    ViewAllAssignments,
    CreateAssignment,
    ModifyMoney,
    Reassign,
    ViewUsers,
    ManageUsers,
    ViewInvoices,
    CreateInvoice,
    ModifyInvoice,
    ManageMasterData,
    ManageCompanyAccounts,
    ApproveActions,
    DeleteAssignmentDirect,
    ViewAnalytics,
    PartnerPortalAccess,
    ViewPayroll,
    CreatePayrollRun,
    ManagePayroll,
}

const T: bool = true;
const F: bool = false;

/// The role → capability matrix. Columns: ADMIN, OPS_MANAGER, HR, FINANCE,
/// ASSISTANT_VALUER, FIELD_VALUER, EMPLOYEE (the order of [`Role::ALL`]).
const MATRIX: [(Capability, [bool; 7]); 18] = [
    //                                      ADMIN OPS HR FIN ASST FIELD EMP
    (
        Capability::ViewAllAssignments,
        /*  */ [T, T, T, T, F, F, F],
    ),
    (
        Capability::CreateAssignment,
        /*    */ [T, T, F, F, T, F, F],
    ),
    (
        Capability::ModifyMoney,
        /*         */ [T, F, F, T, F, F, F],
    ),
    (
        Capability::Reassign,
        /*            */ [T, T, T, F, F, F, F],
    ),
    (
        Capability::ViewUsers,
        /*           */ [T, T, T, T, F, F, F],
    ),
    (
        Capability::ManageUsers,
        /*         */ [T, F, T, F, F, F, F],
    ),
    (
        Capability::ViewInvoices,
        /*        */ [T, T, F, T, F, F, F],
    ),
    (
        Capability::CreateInvoice,
        /*       */ [T, T, F, T, F, F, F],
    ),
    (
        Capability::ModifyInvoice,
        /*       */ [T, F, F, T, F, F, F],
    ),
    (
        Capability::ManageMasterData,
        /*    */ [T, T, T, F, F, F, F],
    ),
    (
        Capability::ManageCompanyAccounts,
        /**/ [T, F, F, T, F, F, F],
    ),
    (
        Capability::ApproveActions,
        /*      */ [T, T, T, T, F, F, F],
    ),
    (Capability::DeleteAssignmentDirect, [T, F, F, F, F, F, F]),
    (
        Capability::ViewAnalytics,
        /*       */ [T, T, F, F, F, F, F],
    ),
    (
        Capability::PartnerPortalAccess,
        /* */ [F, F, F, F, F, F, F],
    ),
    (
        Capability::ViewPayroll,
        /*         */ [T, F, T, T, F, F, F],
    ),
    (
        Capability::CreatePayrollRun,
        /*    */ [T, F, F, T, F, F, F],
    ),
    (
        Capability::ManagePayroll,
        /*       */ [T, F, F, T, F, F, F],
    ),
];

impl Capability {
    pub const ALL: [Capability; 18] = {
        let mut all = [Capability::ViewAllAssignments; 18];
        let mut i = 0;
        while i < MATRIX.len() {
            all[i] = MATRIX[i].0;
            i += 1;
        }
        all
    };

    /// The stable key the frontend checks (`view_all_assignments`, …).
    pub fn key(self) -> &'static str {
        match self {
            Capability::ViewAllAssignments => "view_all_assignments",
            Capability::CreateAssignment => "create_assignment",
            Capability::ModifyMoney => "modify_money",
            Capability::Reassign => "reassign",
            Capability::ViewUsers => "view_users",
            Capability::ManageUsers => "manage_users",
            Capability::ViewInvoices => "view_invoices",
            Capability::CreateInvoice => "create_invoice",
            Capability::ModifyInvoice => "modify_invoice",
            Capability::ManageMasterData => "manage_master_data",
            Capability::ManageCompanyAccounts => "manage_company_accounts",
            Capability::ApproveActions => "approve_actions",
            Capability::DeleteAssignmentDirect => "delete_assignment_direct",
            Capability::ViewAnalytics => "view_analytics",
            Capability::PartnerPortalAccess => "partner_portal_access",
            Capability::ViewPayroll => "view_payroll",
            Capability::CreatePayrollRun => "create_payroll_run",
            Capability::ManagePayroll => "manage_payroll",
        }
    }

    /// Whether the role grants this capability, read from the matrix.
    pub fn granted_to(self, role: Role) -> bool {
        MATRIX
            .iter()
            .find(|(cap, _)| *cap == self)
            .is_some_and(|(_, row)| row[role.column()])
    }
}

impl FromStr for Capability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.key() == s)
            .ok_or_else(|| format!("unknown capability '{s}'"))
    }
}

/// A user's roles: never empty, no duplicates, the primary role first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn single(role: Role) -> Self {
        Self(vec![role])
    }

    /// Builds the role list from a primary role and any further roles. With no primary, the
    /// first listed role is primary. Duplicates are dropped.
    pub fn new(primary: Option<Role>, others: &[Role]) -> Result<Self, String> {
        let mut roles: Vec<Role> = Vec::with_capacity(others.len() + 1);
        for role in primary.iter().chain(others.iter()) {
            if !roles.contains(role) {
                roles.push(*role);
            }
        }
        if roles.is_empty() {
            return Err("at least one role is required".into());
        }
        Ok(Self(roles))
    }

    /// Parses role names, the first being primary.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let roles = names
            .iter()
            .map(|n| n.as_ref().parse())
            .collect::<Result<Vec<Role>, String>>()?;
        Self::new(None, &roles)
    }

    pub fn primary(&self) -> Role {
        self.0[0]
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|r| r.as_str()).collect()
    }
}

/// Per-user grants and revocations on top of what the roles give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapabilityOverrides(BTreeMap<Capability, bool>);

impl CapabilityOverrides {
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses `{key: bool}`; an unknown key is an error rather than silently dropped.
    pub fn parse<'a>(entries: impl IntoIterator<Item = (&'a str, bool)>) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        for (key, value) in entries {
            map.insert(key.parse::<Capability>()?, value);
        }
        Ok(Self(map))
    }

    pub fn iter(&self) -> impl Iterator<Item = (Capability, bool)> + '_ {
        self.0.iter().map(|(c, v)| (*c, *v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The effective capabilities: the OR over all roles, then the overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities([bool; 18]);

impl Capabilities {
    pub fn resolve(roles: &Roles, overrides: &CapabilityOverrides) -> Self {
        let mut granted = [false; 18];
        for (i, cap) in Capability::ALL.into_iter().enumerate() {
            granted[i] = roles.iter().any(|role| cap.granted_to(role));
        }
        for (cap, value) in overrides.iter() {
            if let Some(i) = Capability::ALL.iter().position(|c| *c == cap) {
                granted[i] = value;
            }
        }
        Self(granted)
    }

    pub fn has(&self, cap: Capability) -> bool {
        Capability::ALL
            .iter()
            .position(|c| *c == cap)
            .is_some_and(|i| self.0[i])
    }

    /// Every capability with its value, in the matrix order.
    pub fn entries(&self) -> impl Iterator<Item = (Capability, bool)> + '_ {
        Capability::ALL.into_iter().zip(self.0.iter().copied())
    }

    /// The capabilities of a role alone, without overrides.
    pub fn of_role(role: Role) -> Self {
        Self::resolve(&Roles::single(role), &CapabilityOverrides::none())
    }

    /// What these capabilities grant that `held` does not, in the matrix order.
    pub fn beyond(&self, held: &Capabilities) -> Vec<Capability> {
        self.entries()
            .filter(|(cap, granted)| *granted && !held.has(*cap))
            .map(|(cap, _)| cap)
            .collect()
    }
}

/// The signed-in user on whose behalf a service acts. Every permission check takes one.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub roles: Roles,
    pub capabilities: Capabilities,
}

/// The id the firm's scheduled jobs act under: no person.
pub const SYSTEM_USER: UserId = UserId(0);

impl Actor {
    /// The firm's scheduled jobs (reminders, follow-ups): an ADMIN's reach, no person.
    /// Their trail entries name no actor.
    pub fn system() -> Self {
        Self::new(
            SYSTEM_USER,
            Roles::single(Role::Admin),
            &CapabilityOverrides::default(),
        )
    }

    pub fn is_system(&self) -> bool {
        self.user_id == SYSTEM_USER
    }

    pub fn new(user_id: UserId, roles: Roles, overrides: &CapabilityOverrides) -> Self {
        let capabilities = Capabilities::resolve(&roles, overrides);
        Self {
            user_id,
            roles,
            capabilities,
        }
    }

    pub fn can(&self, cap: Capability) -> bool {
        self.capabilities.has(cap)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(role)
    }

    /// `Ok` when the actor holds the capability, otherwise a `Forbidden` naming it.
    pub fn require(&self, cap: Capability) -> DomainResult<()> {
        if self.can(cap) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!(
                "Not authorised: requires the {} capability",
                cap.key()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps_of(role: Role) -> Vec<&'static str> {
        Capabilities::resolve(&Roles::single(role), &CapabilityOverrides::none())
            .entries()
            .filter(|(_, v)| *v)
            .map(|(c, _)| c.key())
            .collect()
    }

    #[test]
    fn matrix_matches_the_contract_for_every_role() {
        assert_eq!(
            caps_of(Role::Admin),
            Capability::ALL
                .iter()
                .filter(|c| **c != Capability::PartnerPortalAccess)
                .map(|c| c.key())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            caps_of(Role::OpsManager),
            [
                "view_all_assignments",
                "create_assignment",
                "reassign",
                "view_users",
                "view_invoices",
                "create_invoice",
                "manage_master_data",
                "approve_actions",
                "view_analytics"
            ]
        );
        assert_eq!(
            caps_of(Role::Hr),
            [
                "view_all_assignments",
                "reassign",
                "view_users",
                "manage_users",
                "manage_master_data",
                "approve_actions",
                "view_payroll"
            ]
        );
        assert_eq!(
            caps_of(Role::Finance),
            [
                "view_all_assignments",
                "modify_money",
                "view_users",
                "view_invoices",
                "create_invoice",
                "modify_invoice",
                "manage_company_accounts",
                "approve_actions",
                "view_payroll",
                "create_payroll_run",
                "manage_payroll"
            ]
        );
        assert_eq!(caps_of(Role::AssistantValuer), ["create_assignment"]);
        assert!(caps_of(Role::FieldValuer).is_empty());
        assert!(caps_of(Role::Employee).is_empty());
    }

    #[test]
    fn capabilities_are_the_union_of_roles() {
        let roles = Roles::parse(&["FIELD_VALUER", "FINANCE"]).unwrap();
        let caps = Capabilities::resolve(&roles, &CapabilityOverrides::none());
        assert!(caps.has(Capability::ModifyMoney));
        assert!(!caps.has(Capability::CreateAssignment));
        assert_eq!(roles.primary(), Role::FieldValuer);
    }

    #[test]
    fn overrides_grant_and_revoke() {
        let roles = Roles::single(Role::OpsManager);
        let overrides =
            CapabilityOverrides::parse([("modify_money", true), ("reassign", false)]).unwrap();
        let caps = Capabilities::resolve(&roles, &overrides);
        assert!(caps.has(Capability::ModifyMoney));
        assert!(!caps.has(Capability::Reassign));
        assert!(caps.has(Capability::CreateAssignment));
    }

    #[test]
    fn unknown_override_keys_are_refused() {
        assert!(CapabilityOverrides::parse([("fly", true)]).is_err());
    }

    #[test]
    fn roles_keep_primary_first_and_drop_duplicates() {
        let roles = Roles::new(Some(Role::Hr), &[Role::Admin, Role::Hr]).unwrap();
        assert_eq!(roles.names(), ["HR", "ADMIN"]);
        assert!(Roles::new(None, &[]).is_err());
        assert!(Roles::parse(&["KING"]).is_err());
        assert_eq!("ops_manager".parse::<Role>(), Ok(Role::OpsManager));
    }

    #[test]
    fn what_a_role_grants_beyond_held_capabilities() {
        let hr = Capabilities::of_role(Role::Hr);
        assert!(
            Capabilities::of_role(Role::FieldValuer)
                .beyond(&hr)
                .is_empty()
        );
        assert_eq!(
            Capabilities::of_role(Role::AssistantValuer).beyond(&hr),
            [Capability::CreateAssignment]
        );
        let finance: Vec<&str> = Capabilities::of_role(Role::Finance)
            .beyond(&hr)
            .into_iter()
            .map(Capability::key)
            .collect();
        assert_eq!(
            finance,
            [
                "modify_money",
                "view_invoices",
                "create_invoice",
                "modify_invoice",
                "manage_company_accounts",
                "create_payroll_run",
                "manage_payroll"
            ]
        );
        assert!(hr.beyond(&Capabilities::of_role(Role::Admin)).is_empty());
    }

    #[test]
    fn require_names_the_missing_capability() {
        let actor = Actor::new(
            UserId(1),
            Roles::single(Role::Employee),
            &CapabilityOverrides::none(),
        );
        let err = actor.require(Capability::ManageUsers).unwrap_err();
        assert!(err.to_string().contains("manage_users"));
    }
}
