//! Requesting, deciding and withdrawing approvals, and applying what an approval decides
//! through the service that owns it.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::*;
use crate::activity::ActivityDraft;
use crate::assignment::{
    AssignmentDeletion, AssignmentDraft, AssignmentEdit, AssignmentService, AssignmentStatus,
    AssignmentView, MAX_ASSIGNEES, TRANSITIONS, Visible, people_after,
};
use crate::clock::Clock;
use crate::error::FieldErrors;
use crate::page::Page;
use crate::text::limits;
use crate::user::{User, UserChange, UserFilter, UserRepository, UserService};
use crate::work::{self, Cause, Change, Transaction, UnitOfWork};

/// The longest decision comment.
pub const COMMENT_MAX_CHARS: usize = 1_000;

/// A preset the request form offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    pub key: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub entity_type: EntityType,
    pub action_type: ActionType,
}

pub const TEMPLATES: [Template; 3] = [
    Template {
        key: "review_request",
        label: "Request review",
        description: "Ask a manager to review the assignment before it goes out",
        entity_type: EntityType::Assignment,
        action_type: ActionType::FinalReview,
    },
    Template {
        key: "doc_pickup",
        label: "Document pickup",
        description: "Ask for approval to collect documents from the client",
        entity_type: EntityType::Assignment,
        action_type: ActionType::DocRequest,
    },
    Template {
        key: "final_check",
        label: "Final check",
        description: "Ask for the final check before the report is submitted",
        entity_type: EntityType::Assignment,
        action_type: ActionType::FinalReview,
    },
];

/// A request as received. Action parameters arrive beside the rest; which ones are
/// needed depends on the action.
#[derive(Debug, Clone, Default)]
pub struct RequestDraft {
    pub entity_type: String,
    pub entity_id: i64,
    pub action_type: String,
    pub reason: Option<String>,
    pub approver_user_id: Option<i64>,
    pub assignment_id: Option<i64>,
    /// REASSIGN: the new primary assignee (`Some(None)` for nobody).
    pub assigned_to_user_id: Option<Option<i64>>,
    /// REASSIGN: everyone who should be on the work.
    pub assignee_user_ids: Option<Vec<i64>>,
    /// REASSIGN: assign even though someone is on leave.
    pub override_on_leave: bool,
    /// FEE_OVERRIDE: the new fee (`Some(None)` to clear it).
    pub fees: Option<Option<String>>,
    /// CHANGE_ROLE: the role the user should have.
    pub role: Option<String>,
}

/// The invoicing module, as approvals need it.
#[async_trait]
pub trait InvoiceLedger: Send + Sync {
    /// The invoice's assignment, if the invoice exists and the actor may see it.
    async fn assignment_of(&self, actor: &Actor, invoice_id: i64) -> DomainResult<i64>;
    /// Whether something is still due on an issued invoice, so that marking it paid means
    /// anything: checked when MARK_PAID is requested.
    async fn check_payable(&self, invoice_id: i64) -> DomainResult<()>;
    /// A money role records what is still due as paid, at once.
    async fn mark_paid(&self, actor: &Actor, invoice_id: i64) -> DomainResult<()>;
    /// Records what is still due on the invoice as paid: the effect of an approved
    /// MARK_PAID request.
    async fn plan_mark_paid(
        &self,
        approver: &Actor,
        invoice_id: i64,
    ) -> DomainResult<Box<dyn Change<Output = ()>>>;
}

/// What `DELETE /api/assignments/{id}` did.
#[derive(Debug)]
pub enum AssignmentDeleteOutcome {
    Deleted,
    Requested(Box<Approval>),
}

/// What a change to an assignment did: the assignment as it now is, and the requests
/// made for the parts the caller may not change directly.
#[derive(Debug)]
pub struct AssignmentUpdateOutcome {
    pub assignment: AssignmentView,
    pub requested: Vec<Approval>,
}

/// What `POST /api/invoices/{id}/mark-paid` did.
#[derive(Debug)]
pub enum MarkPaidOutcome {
    Paid,
    Requested(Box<Approval>),
}

/// What a password reset did.
#[derive(Debug)]
pub enum PasswordResetOutcome {
    Reset(User),
    Requested(Approval),
}

#[derive(Clone)]
pub struct ApprovalService {
    repo: Arc<dyn ApprovalRepository>,
    work: Arc<dyn UnitOfWork>,
    assignments: AssignmentService,
    users: UserService,
    people: Arc<dyn UserRepository>,
    invoices: Arc<dyn InvoiceLedger>,
    clock: Arc<dyn Clock>,
}

/// A new request, with its trail entry.
struct Submission {
    request: ApprovalRequest,
    at: OffsetDateTime,
}

#[async_trait]
impl Change for Submission {
    type Output = Approval;

    async fn apply(
        &self,
        tx: &mut dyn Transaction,
    ) -> DomainResult<(Approval, Vec<ActivityDraft>)> {
        let approval = tx.approvals().insert(&self.request, self.at).await?;
        let r = &self.request;
        let entry = ActivityDraft {
            kind: "APPROVAL_REQUESTED",
            actor: Some(r.requester),
            assignment_id: r.assignment_id,
            message: format!("Approval requested: {}", r.action.action_type()),
            payload: Vec::new(),
        }
        .with("approval_id", approval.id().0)
        .with("action_type", r.action.action_type().as_str())
        .with("entity_type", r.entity.entity_type.as_str())
        .with("entity_id", r.entity.entity_id)
        .with("approver_user_id", r.approver.map(|u| u.0));
        Ok((approval, vec![entry]))
    }

    fn at(&self) -> OffsetDateTime {
        self.at
    }
}

/// A decision (or a withdrawal), with its trail entry.
struct Ruling {
    decision: Decision,
    action_type: ActionType,
    assignment_id: Option<i64>,
}

#[async_trait]
impl Change for Ruling {
    type Output = Approval;

    async fn apply(
        &self,
        tx: &mut dyn Transaction,
    ) -> DomainResult<(Approval, Vec<ActivityDraft>)> {
        let approval = tx.approvals().decide(&self.decision).await?;
        let (kind, verb) = match self.decision.status {
            ApprovalStatus::Approved => ("APPROVAL_APPROVED", "approved"),
            ApprovalStatus::Rejected => ("APPROVAL_REJECTED", "rejected"),
            _ => ("APPROVAL_WITHDRAWN", "withdrawn"),
        };
        let mut entry = ActivityDraft {
            kind,
            actor: Some(self.decision.by),
            assignment_id: self.assignment_id,
            message: format!("Approval {verb}: {}", self.action_type),
            payload: Vec::new(),
        }
        .with("approval_id", self.decision.id.0)
        .with("action_type", self.action_type.as_str())
        .with("requester_user_id", approval.record().requester.0);
        if let Some(comment) = &self.decision.comment {
            entry = entry.with("comment", comment.as_str());
        }
        Ok((approval, vec![entry]))
    }

    fn at(&self) -> OffsetDateTime {
        self.decision.at
    }
}

/// What approving a request changes, checked by the owning service.
enum Effect {
    Edit(Box<AssignmentEdit>),
    Delete(AssignmentDeletion),
    User(UserChange),
    Ledger(Box<dyn Change<Output = ()>>),
    Nothing,
}

impl Effect {
    async fn write(&self, tx: &mut dyn Transaction, id: ApprovalId) -> DomainResult<()> {
        let cause = Cause::Approval(id);
        match self {
            Self::Edit(edit) => work::write(tx, edit.as_ref(), cause).await.map(drop),
            Self::Delete(deletion) => work::write(tx, deletion, cause).await,
            Self::User(change) => work::write(tx, change, cause).await.map(drop),
            Self::Ledger(change) => work::write(tx, change.as_ref(), cause).await,
            Self::Nothing => Ok(()),
        }
    }
}

fn positive(id: i64, field: &str, e: &mut FieldErrors) -> Option<i64> {
    if id > 0 {
        Some(id)
    } else {
        e.add(field, "must be a positive id");
        None
    }
}

impl ApprovalService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        repo: Arc<dyn ApprovalRepository>,
        work: Arc<dyn UnitOfWork>,
        assignments: AssignmentService,
        users: UserService,
        people: Arc<dyn UserRepository>,
        invoices: Arc<dyn InvoiceLedger>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo,
            work,
            assignments,
            users,
            people,
            invoices,
            clock,
        }
    }

    pub fn templates(&self) -> &'static [Template] {
        &TEMPLATES
    }

    // ----- reading -----

    /// `GET /api/approvals`: an ADMIN sees every request; anyone else those they asked
    /// for or may decide.
    pub async fn list(&self, actor: &Actor, status: Option<&str>) -> DomainResult<Vec<Approval>> {
        let statuses = parse_status(status)?;
        let scope = if actor.has_role(Role::Admin) {
            ApprovalScope::Everything
        } else {
            ApprovalScope::Involving {
                user: actor.user_id,
                kinds: decidable_kinds(actor),
            }
        };
        self.repo
            .list(&ApprovalQuery {
                scope,
                statuses,
                limit: LIST_CAP,
            })
            .await
    }

    /// The requests the actor may decide (and, with `include_decided`, those they decided).
    pub async fn inbox(&self, actor: &Actor, include_decided: bool) -> DomainResult<Vec<Approval>> {
        actor.require(Capability::ApproveActions)?;
        self.repo
            .list(&ApprovalQuery {
                scope: Self::decidable_by(actor),
                statuses: if include_decided {
                    Vec::new()
                } else {
                    vec![ApprovalStatus::Pending]
                },
                limit: LIST_CAP,
            })
            .await
    }

    /// How many pending requests the actor may decide (none for those who decide nothing).
    pub async fn pending_for(&self, actor: &Actor) -> DomainResult<u64> {
        if !actor.can(Capability::ApproveActions) {
            return Ok(0);
        }
        self.repo
            .count(&ApprovalQuery {
                scope: Self::decidable_by(actor),
                statuses: vec![ApprovalStatus::Pending],
                limit: LIST_CAP,
            })
            .await
    }

    /// The actor's own requests.
    pub async fn mine(&self, actor: &Actor, include_decided: bool) -> DomainResult<Vec<Approval>> {
        self.repo
            .list(&ApprovalQuery {
                scope: ApprovalScope::RequestedBy(actor.user_id),
                statuses: if include_decided {
                    Vec::new()
                } else {
                    vec![ApprovalStatus::Pending]
                },
                limit: LIST_CAP,
            })
            .await
    }

    /// The requests about an assignment already shown to be visible.
    pub async fn of_visible(&self, seen: Visible<'_>) -> DomainResult<Vec<Approval>> {
        self.repo
            .list(&ApprovalQuery {
                scope: ApprovalScope::OfAssignment(seen.id()),
                statuses: Vec::new(),
                limit: LIST_CAP,
            })
            .await
    }

    /// The approvals about an assignment the actor may see.
    pub async fn of_assignment(
        &self,
        actor: &Actor,
        assignment_id: i64,
    ) -> DomainResult<Vec<Approval>> {
        let view = self.assignments.get(actor, assignment_id).await?;
        self.of_visible(view.visible()).await
    }

    /// Pending requests per assignment, for lists of assignments the caller already sees.
    pub async fn pending_by_assignment(
        &self,
        assignments: &[i64],
    ) -> DomainResult<HashMap<i64, u64>> {
        if assignments.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self
            .repo
            .pending_by_assignment(assignments)
            .await?
            .into_iter()
            .collect())
    }

    /// One approval, if the actor may see it; otherwise it is reported missing.
    pub async fn get(&self, actor: &Actor, id: ApprovalId) -> DomainResult<Approval> {
        let approval = self.repo.get(id).await?;
        if approval.visible_to(actor) {
            return Ok(approval);
        }
        if let Some(assignment) = approval.record().assignment_id
            && self.assignments.load(actor, assignment).await.is_ok()
        {
            return Ok(approval);
        }
        Err(DomainError::NotFound("Approval"))
    }

    fn decidable_by(actor: &Actor) -> ApprovalScope {
        ApprovalScope::DecidableBy {
            user: actor.user_id,
            kinds: decidable_kinds(actor),
        }
    }

    // ----- requesting -----

    /// `POST /api/approvals/request`.
    pub async fn request(&self, actor: &Actor, draft: RequestDraft) -> DomainResult<Approval> {
        let request = self.parse(actor, draft).await?;
        self.submit(vec![request])
            .await?
            .pop()
            .ok_or_else(|| DomainError::unexpected("a submitted request came back empty"))
    }

    /// Parses and checks a draft into a request: the pairing, the entity (which must exist
    /// and be visible to the requester), the action's parameters and preconditions, and
    /// the named approver.
    async fn parse(&self, actor: &Actor, d: RequestDraft) -> DomainResult<ApprovalRequest> {
        let mut e = FieldErrors::new();
        let entity_type = e.check("entity_type", d.entity_type.parse::<EntityType>());
        let action_type = e.check("action_type", d.action_type.parse::<ActionType>());
        let entity_id = positive(d.entity_id, "entity_id", &mut e);
        let reason = e
            .check(
                "reason",
                crate::text::parse_optional(d.reason.as_deref(), limits::LONG),
            )
            .flatten();
        let approver = d
            .approver_user_id
            .and_then(|id| positive(id, "approver_user_id", &mut e))
            .map(UserId);
        if let Some(id) = d.assignment_id {
            positive(id, "assignment_id", &mut e);
        }
        if let (Some(entity), Some(action)) = (entity_type, action_type)
            && !fits(entity, action)
        {
            e.add(
                "action_type",
                format!("{action} does not apply to a {entity} request"),
            );
        }
        e.into_result()?;
        let (Some(entity_type), Some(action_type), Some(entity_id)) =
            (entity_type, action_type, entity_id)
        else {
            return Err(DomainError::unexpected("validated request fields missing"));
        };

        let mut e = FieldErrors::new();
        let (action, assignment_id) = match entity_type {
            EntityType::Assignment => {
                let assignment = self.assignments.load(actor, entity_id).await?;
                if d.assignment_id.is_some_and(|id| id != assignment.id) {
                    e.add(
                        "assignment_id",
                        "must be the entity_id of an ASSIGNMENT request",
                    );
                }
                let action = match action_type {
                    ActionType::DeleteAssignment => Some(ApprovalAction::DeleteAssignment),
                    ActionType::CloseAssignment => {
                        let from = assignment.fields.status;
                        let allowed = TRANSITIONS
                            .iter()
                            .any(|t| t.from == from && t.to == AssignmentStatus::Completed);
                        if !allowed {
                            return Err(DomainError::conflict(
                                "invalid_transition",
                                format!("An assignment cannot move from {from} to COMPLETED"),
                            ));
                        }
                        Some(ApprovalAction::CloseAssignment)
                    }
                    ActionType::Reassign => {
                        self.parse_reassign(&assignment.fields, &d, &mut e).await?
                    }
                    ActionType::FeeOverride => parse_fees(d.fees.clone(), &mut e),
                    other => Some(ApprovalAction::Noted(other)),
                };
                (action, Some(assignment.id))
            }
            EntityType::User => {
                // Requests about people come from those who work with the people list.
                actor.require(Capability::ViewUsers)?;
                let target = self.people.get(UserId(entity_id)).await?;
                if target.id == actor.user_id {
                    return Err(DomainError::Forbidden(match action_type {
                        ActionType::ResetPassword => {
                            "Change your own password at PATCH /api/auth/me".into()
                        }
                        _ => "Nobody requests changes to their own account".into(),
                    }));
                }
                let action = match action_type {
                    ActionType::ResetPassword => {
                        if !target.is_active {
                            e.add("entity_id", "this user is deactivated");
                        }
                        Some(ApprovalAction::ResetPassword)
                    }
                    ActionType::ChangeRole => match d.role.as_deref() {
                        None => {
                            e.add("payload_json.role", "is required for CHANGE_ROLE");
                            None
                        }
                        Some(raw) => e
                            .check("payload_json.role", raw.parse::<Role>())
                            .map(|role| ApprovalAction::ChangeRole { role }),
                    },
                    other => Some(ApprovalAction::Noted(other)),
                };
                (action, None)
            }
            EntityType::Invoice => {
                let assignment = self.invoices.assignment_of(actor, entity_id).await?;
                let action = match action_type {
                    ActionType::MarkPaid => {
                        self.invoices.check_payable(entity_id).await?;
                        ApprovalAction::MarkPaid
                    }
                    other => ApprovalAction::Noted(other),
                };
                (Some(action), Some(assignment))
            }
            EntityType::Leave => {
                return Err(DomainError::invalid(
                    "entity_type",
                    "leave is requested and decided at /api/leave",
                ));
            }
        };
        e.into_result()?;
        let action = action.ok_or_else(|| DomainError::unexpected("validated action missing"))?;
        let request = ApprovalRequest {
            entity: EntityRef {
                entity_type,
                entity_id,
            },
            action,
            requester: actor.user_id,
            approver,
            reason,
            assignment_id,
        };
        self.check_approver(&request).await?;
        Ok(request)
    }

    async fn parse_reassign(
        &self,
        current: &crate::assignment::AssignmentFields,
        d: &RequestDraft,
        e: &mut FieldErrors,
    ) -> DomainResult<Option<ApprovalAction>> {
        if d.assigned_to_user_id.is_none() && d.assignee_user_ids.is_none() {
            e.add(
                "payload_json.assigned_to_user_id",
                "REASSIGN needs assigned_to_user_id or assignee_user_ids",
            );
            return Ok(None);
        }
        let listed = d.assignee_user_ids.as_deref().unwrap_or_default();
        if listed.len() > MAX_ASSIGNEES {
            e.add(
                "payload_json.assignee_user_ids",
                format!("at most {MAX_ASSIGNEES} people"),
            );
            return Ok(None);
        }
        let (assigned_to, additional) = people_after(
            Some(current),
            d.assigned_to_user_id,
            d.assignee_user_ids.as_deref(),
        );
        if assigned_to == current.assigned_to && additional == current.additional_assignees {
            e.add(
                "payload_json.assignee_user_ids",
                "these are already the assignment's people",
            );
            return Ok(None);
        }
        let already: Vec<UserId> = current
            .assigned_to
            .iter()
            .chain(current.additional_assignees.iter())
            .copied()
            .collect();
        for user in assigned_to.iter().chain(additional.iter()) {
            if already.contains(user) {
                continue;
            }
            let active = match self.people.get(*user).await {
                Ok(found) => found.is_active,
                Err(DomainError::NotFound(_)) => false,
                Err(other) => return Err(other),
            };
            if !active {
                e.add(
                    "payload_json.assignee_user_ids",
                    format!("no active user has id {user}"),
                );
            }
        }
        Ok(Some(ApprovalAction::Reassign {
            assigned_to,
            additional,
            override_on_leave: d.override_on_leave,
            was_assigned_to: current.assigned_to,
            was_additional: current.additional_assignees.clone(),
        }))
    }

    /// A named approver must be able to decide the request; with none named, someone
    /// other than the requester must be.
    async fn check_approver(&self, request: &ApprovalRequest) -> DomainResult<()> {
        let (entity, action) = (request.entity.entity_type, request.action.action_type());
        // Nobody decides their own request, nor one about their own account.
        let subject = (entity == EntityType::User).then_some(UserId(request.entity.entity_id));
        let can_decide = |user: &User| {
            let actor = Actor::new(user.id, user.roles.clone(), &user.capability_overrides);
            user.is_active
                && user.id != request.requester
                && Some(user.id) != subject
                && may_decide(&actor, entity, action)
        };
        if let Some(named) = request.approver {
            let found = match self.people.get(named).await {
                Ok(user) => Some(user),
                Err(DomainError::NotFound(_)) => None,
                Err(other) => return Err(other),
            };
            if !found.as_ref().is_some_and(can_decide) {
                return Err(DomainError::invalid(
                    "approver_user_id",
                    "this user cannot decide this request",
                ));
            }
            return Ok(());
        }
        for role in decider_roles(entity, action) {
            let filter = UserFilter {
                include_inactive: false,
                role: Some(*role),
                by_name: false,
            };
            let page = Page {
                skip: 0,
                limit: crate::user::USER_LIST_CAP,
            };
            if self
                .people
                .list(&filter, page)
                .await?
                .items
                .iter()
                .any(can_decide)
            {
                return Ok(());
            }
        }
        let roles: Vec<&str> = decider_roles(entity, action)
            .iter()
            .map(|r| r.as_str())
            .collect();
        Err(DomainError::conflict(
            "no_approver",
            format!(
                "Nobody could decide this request: it needs an active {} other than you and the person it is about",
                roles.join(" or ")
            ),
        ))
    }

    /// Stores requests, each with its trail entry, in one transaction.
    async fn submit(&self, requests: Vec<ApprovalRequest>) -> DomainResult<Vec<Approval>> {
        let at = self.clock.now();
        let mut tx = self.work.begin().await?;
        let mut stored = Vec::with_capacity(requests.len());
        for request in requests {
            let submission = Submission { request, at };
            stored.push(work::write(&mut *tx, &submission, Cause::Direct).await?);
        }
        tx.commit().await?;
        Ok(stored)
    }

    // ----- deciding -----

    /// Approves a pending request and applies its action, in one transaction: of any
    /// number of concurrent decisions on one request exactly one is applied, and the
    /// others are refused as already decided.
    pub async fn approve(
        &self,
        actor: &Actor,
        id: ApprovalId,
        comment: Option<&str>,
    ) -> DomainResult<Approval> {
        let approval = self.get(actor, id).await?;
        let comment = parse_comment(comment)?;
        let decision = approval.decide(actor, Verdict::Approve, comment, self.clock.now())?;
        // Checked by the owning service, from what it reads now, before anything is
        // written: the write below refuses if the target changed since.
        let effect = match self.plan_effect(actor, &approval).await {
            Ok(effect) => effect,
            Err(err) => return Err(self.decided_meanwhile(id).await?.unwrap_or(err)),
        };
        let mut tx = self.work.begin().await?;
        let ruling = Ruling {
            decision,
            action_type: approval.action_type(),
            assignment_id: approval.record().assignment_id,
        };
        // The decision first: it is the write that only one of several racing calls
        // can make.
        let decided = work::write(&mut *tx, &ruling, Cause::Direct).await?;
        effect.write(&mut *tx, approval.id()).await?;
        tx.commit().await?;
        Ok(decided)
    }

    /// When a check failed because a concurrent decision already applied the action (the
    /// assignment it deleted is gone), that decision is the answer, not the check.
    async fn decided_meanwhile(&self, id: ApprovalId) -> DomainResult<Option<DomainError>> {
        let now = self.repo.get(id).await?;
        Ok((now.status() != ApprovalStatus::Pending).then(|| {
            DomainError::conflict(
                "already_decided",
                format!(
                    "This request is no longer pending: it was {} meanwhile",
                    now.status().as_str().to_lowercase()
                ),
            )
        }))
    }

    pub async fn reject(
        &self,
        actor: &Actor,
        id: ApprovalId,
        comment: Option<&str>,
    ) -> DomainResult<Approval> {
        let approval = self.get(actor, id).await?;
        let comment = parse_comment(comment)?;
        let decision = approval.decide(actor, Verdict::Reject, comment, self.clock.now())?;
        self.rule(&approval, decision).await
    }

    /// The requester takes back a pending request.
    pub async fn withdraw(&self, actor: &Actor, id: ApprovalId) -> DomainResult<Approval> {
        let approval = self.get(actor, id).await?;
        let decision = approval.withdraw(actor, self.clock.now())?;
        self.rule(&approval, decision).await
    }

    async fn rule(&self, approval: &Approval, decision: Decision) -> DomainResult<Approval> {
        let ruling = Ruling {
            decision,
            action_type: approval.action_type(),
            assignment_id: approval.record().assignment_id,
        };
        work::commit(self.work.as_ref(), &ruling).await
    }

    /// The action's effect, checked by the service that owns its target, with the
    /// approver as the one acting.
    async fn plan_effect(&self, approver: &Actor, approval: &Approval) -> DomainResult<Effect> {
        let r = approval.record();
        let target = r.entity.entity_id;
        let edit = async |draft: AssignmentDraft| {
            self.assignments
                .plan_update(approver, target, draft)
                .await
                .map(|edit| Effect::Edit(Box::new(edit)))
        };
        Ok(match approval.action() {
            ApprovalAction::DeleteAssignment => Effect::Delete(
                self.assignments
                    .plan_delete(approver, target, r.reason.as_deref(), Cause::Approval(r.id))
                    .await?,
            ),
            ApprovalAction::Reassign {
                assigned_to,
                additional,
                override_on_leave,
                was_assigned_to,
                was_additional,
            } => {
                let now = self.assignments.load(approver, target).await?.fields;
                if now.assigned_to != *was_assigned_to
                    || now.additional_assignees != *was_additional
                {
                    return Err(DomainError::conflict(
                        "stale",
                        "The assignment's people changed after this was requested: reject it and ask again",
                    ));
                }
                edit(AssignmentDraft {
                    assigned_to_user_id: Some(assigned_to.map(|u| u.0)),
                    assignee_user_ids: Some(additional.iter().map(|u| u.0).collect()),
                    override_on_leave: *override_on_leave,
                    ..AssignmentDraft::default()
                })
                .await?
            }
            ApprovalAction::FeeOverride { fees } => {
                edit(AssignmentDraft {
                    fees: Some(fees.map(|f| f.to_string())),
                    ..AssignmentDraft::default()
                })
                .await?
            }
            ApprovalAction::CloseAssignment => {
                edit(AssignmentDraft {
                    status: Some(AssignmentStatus::Completed.as_str().to_owned()),
                    ..AssignmentDraft::default()
                })
                .await?
            }
            ApprovalAction::MarkPaid => {
                Effect::Ledger(self.invoices.plan_mark_paid(approver, target).await?)
            }
            ApprovalAction::ResetPassword => Effect::User(
                self.users
                    .plan_new_password_required(approver, UserId(target))
                    .await?,
            ),
            ApprovalAction::ChangeRole { role } => Effect::User(
                self.users
                    .plan_role_change(approver, UserId(target), *role)
                    .await?,
            ),
            ApprovalAction::Noted(_) => Effect::Nothing,
        })
    }

    // ----- requests made on the way -----

    /// `DELETE /api/assignments/{id}`: deleted at once by those who may; a request for
    /// everyone else with access to the assignment.
    pub async fn delete_assignment(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<&str>,
    ) -> DomainResult<AssignmentDeleteOutcome> {
        if actor.can(Capability::DeleteAssignmentDirect) {
            self.assignments.delete(actor, id, reason).await?;
            return Ok(AssignmentDeleteOutcome::Deleted);
        }
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or("Delete assignment requested");
        let draft = RequestDraft {
            entity_type: EntityType::Assignment.as_str().to_owned(),
            entity_id: id,
            action_type: ActionType::DeleteAssignment.as_str().to_owned(),
            reason: Some(reason.to_owned()),
            ..RequestDraft::default()
        };
        Ok(AssignmentDeleteOutcome::Requested(Box::new(
            self.request(actor, draft).await?,
        )))
    }

    /// `PATCH /api/assignments/{id}`: what the caller may change is changed; a change of
    /// people without `reassign`, or of the fee without `modify_money`, becomes a
    /// REASSIGN or FEE_OVERRIDE request instead, all in one transaction.
    pub async fn update_assignment(
        &self,
        actor: &Actor,
        id: i64,
        mut draft: AssignmentDraft,
    ) -> DomainResult<AssignmentUpdateOutcome> {
        let mut wanted = Vec::new();
        let people_sent = draft.assigned_to_user_id.is_some() || draft.assignee_user_ids.is_some();
        let fees_sent = draft.fees.is_some();
        if (people_sent && !actor.can(Capability::Reassign))
            || (fees_sent && !actor.can(Capability::ModifyMoney))
        {
            let current = self.assignments.load(actor, id).await?;
            if people_sent && !actor.can(Capability::Reassign) {
                let (to, others) = people_after(
                    Some(&current.fields),
                    draft.assigned_to_user_id,
                    draft.assignee_user_ids.as_deref(),
                );
                if to != current.fields.assigned_to || others != current.fields.additional_assignees
                {
                    let mut listed: Vec<i64> = to.iter().map(|u| u.0).collect();
                    listed.extend(others.iter().map(|u| u.0));
                    wanted.push(RequestDraft {
                        entity_type: EntityType::Assignment.as_str().to_owned(),
                        entity_id: id,
                        action_type: ActionType::Reassign.as_str().to_owned(),
                        reason: Some("Reassignment requested".to_owned()),
                        assigned_to_user_id: Some(to.map(|u| u.0)),
                        assignee_user_ids: Some(listed),
                        override_on_leave: draft.override_on_leave,
                        ..RequestDraft::default()
                    });
                }
                draft.assigned_to_user_id = None;
                draft.assignee_user_ids = None;
            }
            if fees_sent && !actor.can(Capability::ModifyMoney) {
                // Always a request, even for the fee it already has: answering otherwise
                // would tell someone who may not see the fee what it is.
                wanted.push(RequestDraft {
                    entity_type: EntityType::Assignment.as_str().to_owned(),
                    entity_id: id,
                    action_type: ActionType::FeeOverride.as_str().to_owned(),
                    reason: Some("Fee change requested".to_owned()),
                    fees: draft.fees.take(),
                    ..RequestDraft::default()
                });
            }
        }
        if wanted.is_empty() {
            let assignment = self.assignments.update(actor, id, draft).await?;
            return Ok(AssignmentUpdateOutcome {
                assignment,
                requested: Vec::new(),
            });
        }
        let edit = self.assignments.plan_update(actor, id, draft).await?;
        let mut requests = Vec::with_capacity(wanted.len());
        for request in wanted {
            requests.push(self.parse(actor, request).await?);
        }
        let at = self.clock.now();
        let mut tx = self.work.begin().await?;
        let assignment = work::write(&mut *tx, &edit, Cause::Direct).await?;
        let mut requested = Vec::with_capacity(requests.len());
        for request in requests {
            let submission = Submission { request, at };
            requested.push(work::write(&mut *tx, &submission, Cause::Direct).await?);
        }
        tx.commit().await?;
        Ok(AssignmentUpdateOutcome {
            assignment: self.assignments.view_of(actor, assignment),
            requested,
        })
    }

    /// `POST /api/invoices/{id}/mark-paid`: a money role settles what is due at once;
    /// anyone else who may see the invoice's assignment gets a MARK_PAID request, decided
    /// by FINANCE or an ADMIN.
    pub async fn mark_invoice_paid(
        &self,
        actor: &Actor,
        invoice_id: i64,
    ) -> DomainResult<MarkPaidOutcome> {
        if actor.can(Capability::ModifyMoney) {
            self.invoices.mark_paid(actor, invoice_id).await?;
            return Ok(MarkPaidOutcome::Paid);
        }
        let draft = RequestDraft {
            entity_type: EntityType::Invoice.as_str().to_owned(),
            entity_id: invoice_id,
            action_type: ActionType::MarkPaid.as_str().to_owned(),
            reason: Some("Payment received".to_owned()),
            ..RequestDraft::default()
        };
        Ok(MarkPaidOutcome::Requested(Box::new(
            self.request(actor, draft).await?,
        )))
    }

    /// `POST /api/auth/users/{id}/reset-password`: set at once by those who may; for
    /// anyone else a RESET_PASSWORD request, which never keeps the password sent.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        id: UserId,
        password: &str,
    ) -> DomainResult<PasswordResetOutcome> {
        if !actor.can(Capability::ManageUsers) {
            actor.require(Capability::ViewUsers)?;
        }
        let target = self.people.get(id).await?;
        if target.id == actor.user_id || self.users.may_set_password(actor, &target).is_ok() {
            return Ok(PasswordResetOutcome::Reset(
                self.users.reset_password(actor, id, password).await?,
            ));
        }
        let draft = RequestDraft {
            entity_type: EntityType::User.as_str().to_owned(),
            entity_id: id.0,
            action_type: ActionType::ResetPassword.as_str().to_owned(),
            reason: Some("Password reset requested".to_owned()),
            ..RequestDraft::default()
        };
        Ok(PasswordResetOutcome::Requested(
            self.request(actor, draft).await?,
        ))
    }
}

fn parse_status(raw: Option<&str>) -> DomainResult<Vec<ApprovalStatus>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Vec::new()),
        Some(raw) => raw
            .parse::<ApprovalStatus>()
            .map(|s| vec![s])
            .map_err(|m| DomainError::invalid("status_filter", m)),
    }
}

fn parse_comment(raw: Option<&str>) -> DomainResult<Option<String>> {
    crate::text::parse_optional(raw, COMMENT_MAX_CHARS)
        .map_err(|m| DomainError::invalid("comment", m))
}

fn parse_fees(raw: Option<Option<String>>, e: &mut FieldErrors) -> Option<ApprovalAction> {
    match raw {
        None => {
            e.add("payload_json.fees", "is required for FEE_OVERRIDE");
            None
        }
        Some(None) => Some(ApprovalAction::FeeOverride { fees: None }),
        Some(Some(v)) if v.trim().is_empty() => Some(ApprovalAction::FeeOverride { fees: None }),
        Some(Some(v)) => e
            .check(
                "payload_json.fees",
                v.parse::<Money>().and_then(|m| {
                    if m.paise() < 0 {
                        Err("must not be negative".to_owned())
                    } else {
                        Ok(m)
                    }
                }),
            )
            .map(|fees| ApprovalAction::FeeOverride { fees: Some(fees) }),
    }
}
