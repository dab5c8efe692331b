//! Approvals: a change someone may not make directly becomes a request that the right
//! person approves or rejects. The approved action is applied through the service that
//! owns the thing it changes, in the same transaction as the decision, exactly once.
//!
//! The tables here are the rules: which action fits which kind of entity ([`fits`]), who
//! decides what ([`decider_roles`]), and that nobody decides their own request.

use std::fmt;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::{Actor, Capability, Role};
use crate::activity::PayloadValue;
use crate::error::{DomainError, DomainResult};
use crate::money::Money;
use crate::named::named_enum;
use crate::user::UserId;

mod service;
pub use service::{
    ApprovalService, AssignmentDeleteOutcome, AssignmentUpdateOutcome, COMMENT_MAX_CHARS,
    InvoiceLedger, MarkPaidOutcome, PasswordResetOutcome, RequestDraft, TEMPLATES, Template,
};

/// At most this many approvals in one list.
pub const LIST_CAP: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApprovalId(pub i64);

impl fmt::Display for ApprovalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

named_enum!(
    /// What kind of thing a request is about.
    EntityType, "entity type" {
        Assignment => "ASSIGNMENT",
        Invoice => "INVOICE",
        User => "USER",
        Leave => "LEAVE",
    }
);

named_enum!(
    /// What a request asks for.
    ActionType, "action type" {
        FeeOverride => "FEE_OVERRIDE",
        MarkPaid => "MARK_PAID",
        DeleteAssignment => "DELETE_ASSIGNMENT",
        CloseAssignment => "CLOSE_ASSIGNMENT",
        ResetPassword => "RESET_PASSWORD",
        ChangeRole => "CHANGE_ROLE",
        Reassign => "REASSIGN",
        InvoiceCreate => "INVOICE_CREATE",
        InvoiceUpdate => "INVOICE_UPDATE",
        DocRequest => "DOC_REQUEST",
        FieldVisit => "FIELD_VISIT",
        FinalReview => "FINAL_REVIEW",
        ClientCall => "CLIENT_CALL",
        PaymentFollowup => "PAYMENT_FOLLOWUP",
        Exception => "EXCEPTION",
    }
);

named_enum!(
    ApprovalStatus, "approval status" {
        Pending => "PENDING",
        Approved => "APPROVED",
        Rejected => "REJECTED",
        Cancelled => "CANCELLED",
    }
);

impl ActionType {
    /// Whether approving it changes anything; the others are approved and recorded only.
    pub fn has_effect(self) -> bool {
        matches!(
            self,
            Self::FeeOverride
                | Self::MarkPaid
                | Self::DeleteAssignment
                | Self::CloseAssignment
                | Self::ResetPassword
                | Self::ChangeRole
                | Self::Reassign
        )
    }
}

/// The pairing table: which actions a request about each kind of entity may ask for.
/// Leave is decided at `/api/leave`, not here, so nothing fits it.
pub fn fits(entity: EntityType, action: ActionType) -> bool {
    use ActionType::*;
    match entity {
        EntityType::Assignment => matches!(
            action,
            DeleteAssignment
                | Reassign
                | FeeOverride
                | CloseAssignment
                | InvoiceCreate
                | DocRequest
                | FieldVisit
                | FinalReview
                | ClientCall
                | PaymentFollowup
                | Exception
        ),
        EntityType::Invoice => matches!(
            action,
            MarkPaid | InvoiceUpdate | PaymentFollowup | Exception
        ),
        EntityType::User => matches!(action, ResetPassword | ChangeRole | Exception),
        EntityType::Leave => false,
    }
}

/// The routing table: the roles whose holders decide a request (they also need
/// `approve_actions`). A fee is a money decision whatever it is about.
pub fn decider_roles(entity: EntityType, action: ActionType) -> &'static [Role] {
    match (entity, action) {
        (_, ActionType::FeeOverride) => &[Role::Finance, Role::Admin],
        (EntityType::Assignment, _) => &[Role::OpsManager, Role::Admin],
        (EntityType::Invoice, _) => &[Role::Finance, Role::Admin],
        (EntityType::User, _) => &[Role::Admin],
        (EntityType::Leave, _) => &[Role::Hr, Role::Admin],
    }
}

/// Whether the actor's roles and capabilities let them decide this kind of request (who
/// asked and whom it names are checked by [`Approval::decide`]).
pub fn may_decide(actor: &Actor, entity: EntityType, action: ActionType) -> bool {
    actor.can(Capability::ApproveActions)
        && decider_roles(entity, action)
            .iter()
            .any(|role| actor.has_role(*role))
}

/// Every pairing the actor may decide: what their inbox holds.
pub fn decidable_kinds(actor: &Actor) -> Vec<(EntityType, ActionType)> {
    let mut kinds = Vec::new();
    for entity in EntityType::ALL {
        for action in ActionType::ALL {
            if fits(*entity, *action) && may_decide(actor, *entity, *action) {
                kinds.push((*entity, *action));
            }
        }
    }
    kinds
}

/// The name of the parameter that holds money: shown only to those who may see fees.
pub const FEES: &str = "fees";

/// The action a request asks for, with its parameters. Never a secret: a password reset
/// carries no password (approving it makes the user choose a new one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalAction {
    DeleteAssignment,
    /// The assignment's people as they should be: the primary and the others; and as
    /// they were when asked, so that approving after someone changed them meanwhile is
    /// refused rather than undoing that change.
    Reassign {
        assigned_to: Option<UserId>,
        additional: Vec<UserId>,
        /// The requester confirmed that someone named is on leave.
        override_on_leave: bool,
        was_assigned_to: Option<UserId>,
        was_additional: Vec<UserId>,
    },
    FeeOverride {
        fees: Option<Money>,
    },
    CloseAssignment,
    MarkPaid,
    /// Ends the user's sessions and makes them choose a new password.
    ResetPassword,
    ChangeRole {
        role: Role,
    },
    /// Recorded when approved; changes nothing.
    Noted(ActionType),
}

impl ApprovalAction {
    /// The action's parameters, by name, as adapters store and show them.
    pub fn parameters(&self) -> Vec<(&'static str, PayloadValue)> {
        match self {
            Self::Reassign {
                assigned_to,
                additional,
                override_on_leave,
                was_assigned_to,
                was_additional,
            } => vec![
                ("assigned_to_user_id", assigned_to.map(|u| u.0).into()),
                ("assignee_user_ids", ids(additional)),
                ("override_on_leave", (*override_on_leave).into()),
                (
                    "previous_assigned_to_user_id",
                    was_assigned_to.map(|u| u.0).into(),
                ),
                ("previous_assignee_user_ids", ids(was_additional)),
            ],
            Self::FeeOverride { fees } => vec![(FEES, fees.map(|f| f.to_string()).into())],
            Self::ChangeRole { role } => vec![("role", role.as_str().into())],
            Self::DeleteAssignment
            | Self::CloseAssignment
            | Self::MarkPaid
            | Self::ResetPassword
            | Self::Noted(_) => Vec::new(),
        }
    }

    pub fn action_type(&self) -> ActionType {
        match self {
            Self::DeleteAssignment => ActionType::DeleteAssignment,
            Self::Reassign { .. } => ActionType::Reassign,
            Self::FeeOverride { .. } => ActionType::FeeOverride,
            Self::CloseAssignment => ActionType::CloseAssignment,
            Self::MarkPaid => ActionType::MarkPaid,
            Self::ResetPassword => ActionType::ResetPassword,
            Self::ChangeRole { .. } => ActionType::ChangeRole,
            Self::Noted(action) => *action,
        }
    }
}

fn ids(users: &[UserId]) -> PayloadValue {
    PayloadValue::Ints(users.iter().map(|u| u.0).collect())
}

/// What an approval is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityRef {
    pub entity_type: EntityType,
    pub entity_id: i64,
}

/// A request, parsed and checked, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    pub entity: EntityRef,
    pub action: ApprovalAction,
    pub requester: UserId,
    /// The one person asked to decide, if the requester named one.
    pub approver: Option<UserId>,
    pub reason: Option<String>,
    /// The assignment it concerns, for the assignment's page.
    pub assignment_id: Option<i64>,
}

/// An approval as stored; [`Approval`] guards what may happen to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRecord {
    pub id: ApprovalId,
    pub entity: EntityRef,
    pub action: ApprovalAction,
    pub requester: UserId,
    /// The named approver while pending; whoever decided once decided.
    pub approver: Option<UserId>,
    pub status: ApprovalStatus,
    pub reason: Option<String>,
    pub decision_comment: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by: Option<UserId>,
    pub assignment_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A request for approval. Its state moves only by [`Approval::decide`] and
/// [`Approval::withdraw`], each of which checks who may and whether it still can.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval(ApprovalRecord);

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

/// A decision taken on a pending approval: the store writes it only if the approval is
/// still pending, so of two concurrent decisions exactly one is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: ApprovalId,
    pub status: ApprovalStatus,
    pub by: UserId,
    /// Whether `by` becomes the approval's approver (a withdrawal leaves it as it was).
    pub records_approver: bool,
    pub comment: Option<String>,
    pub at: OffsetDateTime,
}

impl Approval {
    /// An approval as read back from storage.
    pub fn restore(record: ApprovalRecord) -> Self {
        Self(record)
    }

    pub fn record(&self) -> &ApprovalRecord {
        &self.0
    }

    pub fn id(&self) -> ApprovalId {
        self.0.id
    }

    pub fn status(&self) -> ApprovalStatus {
        self.0.status
    }

    pub fn action(&self) -> &ApprovalAction {
        &self.0.action
    }

    pub fn action_type(&self) -> ActionType {
        self.0.action.action_type()
    }

    /// Whether the actor may decide it (leaving aside whether it is still pending):
    /// never its requester, only the named approver if there is one, otherwise anyone
    /// whose roles decide its kind.
    pub fn may_be_decided_by(&self, actor: &Actor) -> DomainResult<()> {
        let r = &self.0;
        if r.requester == actor.user_id {
            return Err(DomainError::Forbidden(
                "Nobody decides their own request".into(),
            ));
        }
        if !actor.can(Capability::ApproveActions) {
            return Err(DomainError::Forbidden(
                "Not authorised to process approvals: requires the approve_actions capability"
                    .into(),
            ));
        }
        if r.status == ApprovalStatus::Pending
            && let Some(named) = r.approver
            && named != actor.user_id
        {
            return Err(DomainError::Forbidden(
                "This request names another approver".into(),
            ));
        }
        if !may_decide(actor, r.entity.entity_type, self.action_type()) {
            let roles: Vec<&str> = decider_roles(r.entity.entity_type, self.action_type())
                .iter()
                .map(|role| role.as_str())
                .collect();
            return Err(DomainError::Forbidden(format!(
                "{} requests on {} are decided by {}",
                self.action_type(),
                r.entity.entity_type,
                roles.join(" or ")
            )));
        }
        Ok(())
    }

    /// Whether the actor may see it at all: its requester, its approver, and those who
    /// process approvals (`approve_actions`, so that a decider of the wrong kind is told
    /// so); for an assignment's approvals also whoever may see the assignment, which
    /// callers check themselves.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        let r = &self.0;
        r.requester == actor.user_id
            || r.approver == Some(actor.user_id)
            || r.decided_by == Some(actor.user_id)
            || actor.can(Capability::ApproveActions)
    }

    fn still_pending(&self) -> DomainResult<()> {
        match self.0.status {
            ApprovalStatus::Pending => Ok(()),
            ApprovalStatus::Cancelled => Err(DomainError::conflict(
                "already_decided",
                "This request is no longer pending: its requester withdrew it",
            )),
            done => Err(DomainError::conflict(
                "already_decided",
                format!(
                    "This request is no longer pending: it was {}",
                    done.as_str().to_lowercase()
                ),
            )),
        }
    }

    pub fn decide(
        &self,
        actor: &Actor,
        verdict: Verdict,
        comment: Option<String>,
        at: OffsetDateTime,
    ) -> DomainResult<Decision> {
        self.may_be_decided_by(actor)?;
        self.still_pending()?;
        Ok(Decision {
            id: self.0.id,
            status: match verdict {
                Verdict::Approve => ApprovalStatus::Approved,
                Verdict::Reject => ApprovalStatus::Rejected,
            },
            by: actor.user_id,
            records_approver: true,
            comment,
            at,
        })
    }

    /// The requester takes a pending request back.
    pub fn withdraw(&self, actor: &Actor, at: OffsetDateTime) -> DomainResult<Decision> {
        if self.0.requester != actor.user_id {
            return Err(DomainError::Forbidden(
                "Only the requester may withdraw a request".into(),
            ));
        }
        self.still_pending()?;
        Ok(Decision {
            id: self.0.id,
            status: ApprovalStatus::Cancelled,
            by: actor.user_id,
            records_approver: false,
            comment: None,
            at,
        })
    }
}

/// Which approvals a list holds; the adapter turns it into a query.
#[derive(Debug, Clone, PartialEq)]
pub enum ApprovalScope {
    Everything,
    /// Those `user` asked for.
    RequestedBy(UserId),
    /// Those `user` may decide: not their own, and either naming them or naming nobody
    /// and of a kind in `kinds`. Decided ones count if `user` decided them.
    DecidableBy {
        user: UserId,
        kinds: Vec<(EntityType, ActionType)>,
    },
    /// Those `user` requested, or may decide (or decided).
    Involving {
        user: UserId,
        kinds: Vec<(EntityType, ActionType)>,
    },
    /// Those about one assignment.
    OfAssignment(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalQuery {
    pub scope: ApprovalScope,
    /// Only these statuses; empty means every status.
    pub statuses: Vec<ApprovalStatus>,
    pub limit: u64,
}

/// Reading approvals.
#[async_trait]
pub trait ApprovalRepository: Send + Sync {
    async fn get(&self, id: ApprovalId) -> DomainResult<Approval>;
    /// Newest first, at most `query.limit`.
    async fn list(&self, query: &ApprovalQuery) -> DomainResult<Vec<Approval>>;
    async fn count(&self, query: &ApprovalQuery) -> DomainResult<u64>;
    /// Pending approvals per assignment, for those of `assignments` that have any.
    async fn pending_by_assignment(&self, assignments: &[i64]) -> DomainResult<Vec<(i64, u64)>>;
}

/// Approval writes inside a [`crate::work::Transaction`].
#[async_trait]
pub trait ApprovalStore: Send {
    async fn insert(
        &mut self,
        request: &ApprovalRequest,
        at: OffsetDateTime,
    ) -> DomainResult<Approval>;
    /// Writes the decision if the approval is still pending; otherwise
    /// `Conflict("already_decided")`.
    async fn decide(&mut self, decision: &Decision) -> DomainResult<Approval>;
    /// Cancels every pending request about the assignment (it is being deleted, so none
    /// could be applied any more), noting `why`; returns how many.
    async fn cancel_pending_of_assignment(
        &mut self,
        assignment_id: i64,
        why: &str,
        at: OffsetDateTime,
    ) -> DomainResult<u64>;
}

#[cfg(test)]
mod tests;
