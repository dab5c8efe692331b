//! The approval rules, and the engine over in-memory fakes of its ports (no database).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::access::{CapabilityOverrides, Roles};
use crate::activity::ActivityDraft;
use crate::assignment::{
    Assignment, AssignmentFields, AssignmentQuery, AssignmentRepository, AssignmentScope,
    AssignmentService, AssignmentStatus, AssignmentStore, AssignmentWrite, CodeSeries, Milestones,
    ReferenceIds, References, ServiceLine, Summary, WorkloadRow,
};
use crate::clock::FixedClock;
use crate::leave::NoLeave;
use crate::master::CaseType;
use crate::message::MessageStore;
use crate::page::{Page, Paged};
use crate::sla::FirmZone;
use crate::task::TaskStore;
use crate::testing::{FakeHasher, FakeUsers, user};
use crate::user::{
    PasswordHash, SessionsAfter, User, UserProfile, UserRepository, UserService, UserStore,
};
use crate::work::{Change, Transaction, UnitOfWork};
use crate::workdays::{NoHolidays, WeeklyOffs, WorkingDays};

const NOW: OffsetDateTime = datetime!(2026-12-03 10:00 UTC);

fn actor(user: &User) -> Actor {
    Actor::new(user.id, user.roles.clone(), &user.capability_overrides)
}

fn record(id: i64, entity: EntityType, action: ApprovalAction, requester: i64) -> ApprovalRecord {
    ApprovalRecord {
        id: ApprovalId(id),
        entity: EntityRef {
            entity_type: entity,
            entity_id: 1,
        },
        action,
        requester: UserId(requester),
        approver: None,
        status: ApprovalStatus::Pending,
        reason: None,
        decision_comment: None,
        decided_at: None,
        decided_by: None,
        assignment_id: Some(1),
        created_at: NOW,
        updated_at: NOW,
    }
}

fn forbidden<T: std::fmt::Debug>(result: DomainResult<T>) -> String {
    match result {
        Err(DomainError::Forbidden(detail)) => detail,
        other => panic!("expected 403, got {other:?}"),
    }
}

fn conflict<T: std::fmt::Debug>(result: DomainResult<T>) -> &'static str {
    match result {
        Err(DomainError::Conflict { code, .. }) => code,
        other => panic!("expected 409, got {other:?}"),
    }
}

// ----- the tables -----

#[test]
fn every_action_fits_some_entity_and_leave_fits_none() {
    for action in ActionType::ALL {
        assert!(
            EntityType::ALL.iter().any(|e| fits(*e, *action)),
            "{action} fits nothing"
        );
        assert!(!fits(EntityType::Leave, *action));
    }
    assert!(fits(EntityType::Assignment, ActionType::DeleteAssignment));
    assert!(fits(EntityType::User, ActionType::ChangeRole));
    assert!(fits(EntityType::Invoice, ActionType::MarkPaid));
    // The mismatches v1 let through: a role change routed as assignment work, a delete
    // of a user, a payment on an assignment.
    assert!(!fits(EntityType::Assignment, ActionType::ChangeRole));
    assert!(!fits(EntityType::User, ActionType::DeleteAssignment));
    assert!(!fits(EntityType::Assignment, ActionType::MarkPaid));
    assert!(!fits(EntityType::Assignment, ActionType::ResetPassword));
}

#[test]
fn routing_follows_the_entity_and_money_goes_to_money_roles() {
    use EntityType::*;
    assert_eq!(
        decider_roles(Assignment, ActionType::DeleteAssignment),
        &[Role::OpsManager, Role::Admin]
    );
    assert_eq!(
        decider_roles(Assignment, ActionType::FeeOverride),
        &[Role::Finance, Role::Admin]
    );
    assert_eq!(
        decider_roles(Invoice, ActionType::MarkPaid),
        &[Role::Finance, Role::Admin]
    );
    assert_eq!(decider_roles(User, ActionType::ChangeRole), &[Role::Admin]);
    let ops = actor(&user(2, "ops@x.example", Role::OpsManager));
    let finance = actor(&user(4, "fin@x.example", Role::Finance));
    let hr = actor(&user(3, "hr@x.example", Role::Hr));
    assert!(may_decide(&ops, Assignment, ActionType::Reassign));
    assert!(!may_decide(&ops, Assignment, ActionType::FeeOverride));
    assert!(may_decide(&finance, Assignment, ActionType::FeeOverride));
    assert!(!may_decide(&hr, Assignment, ActionType::DeleteAssignment));
    assert!(!may_decide(&ops, User, ActionType::ResetPassword));
    // The role alone is not enough: approve_actions revoked, nothing is decidable.
    let mut muted = user(9, "muted@x.example", Role::OpsManager);
    muted.capability_overrides = CapabilityOverrides::parse([("approve_actions", false)]).unwrap();
    assert!(!may_decide(
        &actor(&muted),
        Assignment,
        ActionType::Reassign
    ));
    assert!(decidable_kinds(&actor(&muted)).is_empty());
    // An inbox holds only pairings that fit.
    for (entity, action) in decidable_kinds(&ops) {
        assert!(fits(entity, action));
        assert_eq!(entity, Assignment);
    }
}

#[test]
fn nobody_decides_their_own_request_not_even_an_admin() {
    let admin = user(1, "admin@x.example", Role::Admin);
    let approval = Approval::restore(record(
        1,
        EntityType::Assignment,
        ApprovalAction::DeleteAssignment,
        1,
    ));
    for verdict in [Verdict::Approve, Verdict::Reject] {
        let detail = forbidden(approval.decide(&actor(&admin), verdict, None, NOW));
        assert!(detail.contains("own request"), "{detail}");
    }
}

#[test]
fn a_named_approver_is_the_only_one_who_decides() {
    let mut r = record(
        1,
        EntityType::Assignment,
        ApprovalAction::CloseAssignment,
        5,
    );
    r.approver = Some(UserId(2));
    let approval = Approval::restore(r);
    let admin = user(1, "admin@x.example", Role::Admin);
    let ops = user(2, "ops@x.example", Role::OpsManager);
    forbidden(approval.decide(&actor(&admin), Verdict::Approve, None, NOW));
    let decision = approval
        .decide(&actor(&ops), Verdict::Approve, Some("ok".into()), NOW)
        .unwrap();
    assert_eq!(decision.status, ApprovalStatus::Approved);
    assert_eq!(decision.by, UserId(2));
    assert!(decision.records_approver);
}

#[test]
fn a_decider_of_the_wrong_role_is_refused() {
    let approval = Approval::restore(record(
        1,
        EntityType::Assignment,
        ApprovalAction::FeeOverride { fees: None },
        5,
    ));
    let ops = user(2, "ops@x.example", Role::OpsManager);
    let detail = forbidden(approval.decide(&actor(&ops), Verdict::Approve, None, NOW));
    assert!(detail.contains("FINANCE"), "{detail}");
    let field = user(6, "field@x.example", Role::FieldValuer);
    let detail = forbidden(approval.decide(&actor(&field), Verdict::Reject, None, NOW));
    assert!(detail.contains("approve_actions"), "{detail}");
}

#[test]
fn only_pending_requests_are_decided_or_withdrawn() {
    let admin = user(1, "admin@x.example", Role::Admin);
    for status in [
        ApprovalStatus::Approved,
        ApprovalStatus::Rejected,
        ApprovalStatus::Cancelled,
    ] {
        let mut r = record(
            1,
            EntityType::Assignment,
            ApprovalAction::DeleteAssignment,
            5,
        );
        r.status = status;
        let approval = Approval::restore(r);
        assert_eq!(
            conflict(approval.decide(&actor(&admin), Verdict::Approve, None, NOW)),
            "already_decided"
        );
        let requester = user(5, "assistant@x.example", Role::AssistantValuer);
        assert_eq!(
            conflict(approval.withdraw(&actor(&requester), NOW)),
            "already_decided"
        );
    }
}

#[test]
fn only_the_requester_withdraws() {
    let approval = Approval::restore(record(
        1,
        EntityType::Assignment,
        ApprovalAction::DeleteAssignment,
        5,
    ));
    let admin = user(1, "admin@x.example", Role::Admin);
    forbidden(approval.withdraw(&actor(&admin), NOW));
    let requester = user(5, "assistant@x.example", Role::AssistantValuer);
    let decision = approval.withdraw(&actor(&requester), NOW).unwrap();
    assert_eq!(decision.status, ApprovalStatus::Cancelled);
    assert!(!decision.records_approver);
}

// ----- the engine over fakes -----

/// Everything the fakes store. A transaction works on a copy and commit puts it back, so
/// a failed use case leaves nothing behind.
#[derive(Clone, Default)]
struct World {
    assignments: HashMap<i64, Assignment>,
    deleted: Vec<i64>,
    approvals: Vec<ApprovalRecord>,
    trail: Vec<ActivityDraft>,
    password_required: Vec<UserId>,
}

#[derive(Clone)]
struct Fakes {
    world: Arc<Mutex<World>>,
    users: Arc<FakeUsers>,
}

impl Fakes {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn unused<T>() -> DomainResult<T> {
    Err(DomainError::unexpected("not used by these tests"))
}

#[async_trait]
impl AssignmentRepository for Fakes {
    async fn get(&self, id: i64) -> DomainResult<Assignment> {
        let world = self.world();
        world
            .assignments
            .get(&id)
            .filter(|_| !world.deleted.contains(&id))
            .cloned()
            .ok_or(DomainError::NotFound("Assignment"))
    }

    async fn list(
        &self,
        _query: &AssignmentQuery,
        _scope: AssignmentScope,
        _page: Page,
    ) -> DomainResult<Paged<Assignment>> {
        unused()
    }

    async fn summary(
        &self,
        _scope: AssignmentScope,
        _now: OffsetDateTime,
    ) -> DomainResult<Summary> {
        unused()
    }

    async fn workload(
        &self,
        _scope: AssignmentScope,
        _now: OffsetDateTime,
    ) -> DomainResult<Vec<WorkloadRow>> {
        unused()
    }

    async fn open_due_between(
        &self,
        _from: OffsetDateTime,
        _to: OffsetDateTime,
    ) -> DomainResult<Vec<crate::assignment::DueBasis>> {
        unused()
    }

    async fn load_by_person(
        &self,
        _due_from: OffsetDateTime,
        _due_to: OffsetDateTime,
    ) -> DomainResult<Vec<crate::assignment::PersonLoad>> {
        unused()
    }

    async fn references(&self, ids: &ReferenceIds) -> DomainResult<References> {
        let mut active = Vec::new();
        for id in &ids.users {
            if self.users.get(*id).await.is_ok_and(|u| u.is_active) {
                active.push(*id);
            }
        }
        Ok(References {
            active_users: active,
            ..References::default()
        })
    }
}

#[async_trait]
impl ApprovalRepository for Fakes {
    async fn get(&self, id: ApprovalId) -> DomainResult<Approval> {
        self.world()
            .approvals
            .iter()
            .find(|a| a.id == id)
            .cloned()
            .map(Approval::restore)
            .ok_or(DomainError::NotFound("Approval"))
    }

    async fn list(&self, query: &ApprovalQuery) -> DomainResult<Vec<Approval>> {
        let world = self.world();
        let matches = |a: &ApprovalRecord| match &query.scope {
            ApprovalScope::Everything => true,
            ApprovalScope::RequestedBy(u) => a.requester == *u,
            ApprovalScope::OfAssignment(id) => a.assignment_id == Some(*id),
            ApprovalScope::DecidableBy { user, kinds } => {
                a.requester != *user
                    && (a.approver == Some(*user)
                        || (a.approver.is_none()
                            && a.status == ApprovalStatus::Pending
                            && kinds.contains(&(a.entity.entity_type, a.action.action_type()))))
            }
            ApprovalScope::Involving { user, .. } => {
                a.requester == *user || a.approver == Some(*user)
            }
        };
        Ok(world
            .approvals
            .iter()
            .rev()
            .filter(|a| matches(a))
            .filter(|a| query.statuses.is_empty() || query.statuses.contains(&a.status))
            .cloned()
            .map(Approval::restore)
            .collect())
    }

    async fn count(&self, query: &ApprovalQuery) -> DomainResult<u64> {
        Ok(ApprovalRepository::list(self, query).await?.len() as u64)
    }

    async fn pending_by_assignment(&self, _assignments: &[i64]) -> DomainResult<Vec<(i64, u64)>> {
        unused()
    }
}

#[async_trait]
impl UnitOfWork for Fakes {
    async fn begin(&self) -> DomainResult<Box<dyn Transaction>> {
        let staged = self.world().clone();
        Ok(Box::new(FakeTx {
            fakes: self.clone(),
            staged,
        }))
    }
}

struct FakeTx {
    fakes: Fakes,
    staged: World,
}

#[async_trait]
impl Transaction for FakeTx {
    fn assignments(&mut self) -> &mut dyn AssignmentStore {
        self
    }

    fn tasks(&mut self) -> &mut dyn TaskStore {
        unreachable!("no task is written by approvals")
    }

    fn messages(&mut self) -> &mut dyn MessageStore {
        unreachable!("no message is written by approvals")
    }

    fn approvals(&mut self) -> &mut dyn ApprovalStore {
        self
    }

    fn users(&mut self) -> &mut dyn UserStore {
        self
    }

    fn invoices(&mut self) -> &mut dyn crate::invoice::InvoiceStore {
        unreachable!("no invoice is written by these tests")
    }

    fn leave(&mut self) -> &mut dyn crate::leave::LeaveStore {
        unreachable!("no leave is written by approvals")
    }

    fn calendar(&mut self) -> &mut dyn crate::calendar::CalendarStore {
        unreachable!("no calendar event is written by these tests")
    }

    fn documents(&mut self) -> &mut dyn crate::document::DocumentStore {
        unreachable!("no document is written by these tests")
    }

    async fn record(&mut self, entries: &[ActivityDraft], _at: OffsetDateTime) -> DomainResult<()> {
        self.staged.trail.extend(entries.iter().cloned());
        Ok(())
    }

    async fn commit(self: Box<Self>) -> DomainResult<()> {
        *self.fakes.world() = self.staged;
        Ok(())
    }
}

#[async_trait]
impl AssignmentStore for FakeTx {
    async fn create(
        &mut self,
        _series: &CodeSeries,
        _created_by: UserId,
        _write: &AssignmentWrite,
        _at: OffsetDateTime,
    ) -> DomainResult<Assignment> {
        unused()
    }

    async fn update(
        &mut self,
        id: i64,
        version: i64,
        write: &AssignmentWrite,
        at: OffsetDateTime,
    ) -> DomainResult<Assignment> {
        let current = self
            .staged
            .assignments
            .get_mut(&id)
            .ok_or(DomainError::NotFound("Assignment"))?;
        if current.version != version {
            return Err(DomainError::conflict("stale", "changed meanwhile"));
        }
        current.fields = write.fields.clone();
        current.version += 1;
        current.updated_at = at;
        Ok(current.clone())
    }

    async fn set_due_at(
        &mut self,
        _id: i64,
        _version: i64,
        _due_at: OffsetDateTime,
        _at: OffsetDateTime,
    ) -> DomainResult<bool> {
        unused()
    }

    async fn set_paid(&mut self, id: i64, paid: bool, _at: OffsetDateTime) -> DomainResult<()> {
        let current = self
            .staged
            .assignments
            .get_mut(&id)
            .ok_or(DomainError::NotFound("Assignment"))?;
        current.fields.is_paid = paid;
        current.version += 1;
        Ok(())
    }

    async fn delete(
        &mut self,
        id: i64,
        version: i64,
        _by: UserId,
        _at: OffsetDateTime,
    ) -> DomainResult<()> {
        let current = self
            .staged
            .assignments
            .get(&id)
            .ok_or(DomainError::NotFound("Assignment"))?;
        if current.version != version || self.staged.deleted.contains(&id) {
            return Err(DomainError::conflict("stale", "changed meanwhile"));
        }
        self.staged.deleted.push(id);
        Ok(())
    }
}

#[async_trait]
impl ApprovalStore for FakeTx {
    async fn insert(
        &mut self,
        request: &ApprovalRequest,
        at: OffsetDateTime,
    ) -> DomainResult<Approval> {
        let id = ApprovalId(self.staged.approvals.len() as i64 + 1);
        let r = ApprovalRecord {
            id,
            entity: request.entity,
            action: request.action.clone(),
            requester: request.requester,
            approver: request.approver,
            status: ApprovalStatus::Pending,
            reason: request.reason.clone(),
            decision_comment: None,
            decided_at: None,
            decided_by: None,
            assignment_id: request.assignment_id,
            created_at: at,
            updated_at: at,
        };
        self.staged.approvals.push(r.clone());
        Ok(Approval::restore(r))
    }

    async fn decide(&mut self, decision: &Decision) -> DomainResult<Approval> {
        let r = self
            .staged
            .approvals
            .iter_mut()
            .find(|a| a.id == decision.id)
            .ok_or(DomainError::NotFound("Approval"))?;
        if r.status != ApprovalStatus::Pending {
            return Err(DomainError::conflict(
                "already_decided",
                "decided meanwhile",
            ));
        }
        r.status = decision.status;
        r.decided_at = Some(decision.at);
        r.decision_comment = decision.comment.clone();
        if decision.records_approver {
            r.approver = Some(decision.by);
            r.decided_by = Some(decision.by);
        }
        Ok(Approval::restore(r.clone()))
    }

    async fn cancel_pending_of_assignment(
        &mut self,
        assignment_id: i64,
        why: &str,
        at: OffsetDateTime,
    ) -> DomainResult<u64> {
        let mut n = 0;
        for r in &mut self.staged.approvals {
            if r.assignment_id == Some(assignment_id) && r.status == ApprovalStatus::Pending {
                r.status = ApprovalStatus::Cancelled;
                r.decision_comment = Some(why.to_owned());
                r.decided_at = Some(at);
                n += 1;
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl UserStore for FakeTx {
    async fn update(
        &mut self,
        id: UserId,
        read_at: OffsetDateTime,
        profile: &UserProfile,
        hash: Option<&PasswordHash>,
        keep_an_active_admin: bool,
        sessions: &SessionsAfter,
        _at: OffsetDateTime,
    ) -> DomainResult<User> {
        self.fakes
            .users
            .update(id, read_at, profile, hash, keep_an_active_admin, sessions)
            .await
    }

    async fn require_new_password(
        &mut self,
        id: UserId,
        _read_at: OffsetDateTime,
        _at: OffsetDateTime,
    ) -> DomainResult<User> {
        self.staged.password_required.push(id);
        self.fakes.users.get(id).await
    }
}

/// A firm without invoices: requests about one are refused when made.
struct NoInvoices;

impl NoInvoices {
    fn refusal() -> DomainError {
        DomainError::invalid(
            "entity_type",
            "there are no invoices yet, so nothing about an invoice can be requested",
        )
    }
}

#[async_trait]
impl InvoiceLedger for NoInvoices {
    async fn assignment_of(&self, _actor: &Actor, _invoice_id: i64) -> DomainResult<i64> {
        Err(Self::refusal())
    }

    async fn check_payable(&self, _invoice_id: i64) -> DomainResult<()> {
        Err(Self::refusal())
    }

    async fn mark_paid(&self, _actor: &Actor, _invoice_id: i64) -> DomainResult<()> {
        Err(Self::refusal())
    }

    async fn plan_mark_paid(
        &self,
        _approver: &Actor,
        _invoice_id: i64,
    ) -> DomainResult<Box<dyn Change<Output = ()>>> {
        Err(Self::refusal())
    }
}

struct Firm {
    fakes: Fakes,
    engine: ApprovalService,
    admin: Actor,
    ops: Actor,
    finance: Actor,
    hr: Actor,
    assistant: Actor,
    field: Actor,
}

/// A request made with an assignment id that the assistant created.
const WORK: i64 = 1;

fn assignment(id: i64, status: AssignmentStatus, created_by: i64) -> Assignment {
    Assignment {
        id,
        code: format!("VAL/2026/{id:04}"),
        created_by: UserId(created_by),
        fields: AssignmentFields {
            case_type: CaseType::DirectClient,
            service_line: ServiceLine::Valuation,
            bank_id: None,
            branch_id: None,
            client_id: None,
            property_type_id: None,
            property_subtype_id: None,
            bank_name: None,
            branch_name: None,
            valuer_client_name: Some("Sunrise Homes".into()),
            property_type_name: None,
            property_subtype_name: None,
            borrower_name: Some("R. Rao".into()),
            phone: None,
            address: None,
            land_area: None,
            builtup_area: None,
            status,
            milestones: Milestones::default(),
            cancel_reason: None,
            assigned_to: None,
            additional_assignees: Vec::new(),
            assigned_at: None,
            site_visit_at: None,
            report_due_at: None,
            fees: None,
            is_paid: false,
            notes: None,
            floors: Vec::new(),
            due_at: NOW,
        },
        version: 1,
        created_at: NOW,
        updated_at: NOW,
    }
}

fn firm() -> Firm {
    let people = vec![
        user(1, "admin@x.example", Role::Admin),
        user(2, "ops@x.example", Role::OpsManager),
        user(3, "hr@x.example", Role::Hr),
        user(4, "finance@x.example", Role::Finance),
        user(5, "assistant@x.example", Role::AssistantValuer),
        user(6, "field@x.example", Role::FieldValuer),
    ];
    let actors: Vec<Actor> = people.iter().map(actor).collect();
    let users = Arc::new(FakeUsers::with(
        people.into_iter().map(|u| (u, "password")).collect(),
    ));
    let mut world = World::default();
    world
        .assignments
        .insert(WORK, assignment(WORK, AssignmentStatus::Pending, 5));
    let fakes = Fakes {
        world: Arc::new(Mutex::new(world)),
        users: users.clone(),
    };
    let clock = Arc::new(FixedClock(NOW));
    let work: Arc<dyn UnitOfWork> = Arc::new(fakes.clone());
    let assignments = AssignmentService::new(
        Arc::new(fakes.clone()),
        work.clone(),
        Arc::new(NoLeave),
        WorkingDays::new(WeeklyOffs::default(), Arc::new(NoHolidays)),
        users.clone(),
        clock.clone(),
        crate::assignment::AssignmentSettings {
            zone: FirmZone::default(),
            code_prefix: "VAL".into(),
        },
    );
    let user_service = UserService::new(
        users.clone(),
        Arc::new(FakeHasher::default()),
        clock.clone(),
        FirmZone::default(),
    );
    let engine = ApprovalService::new(
        Arc::new(fakes.clone()),
        work,
        assignments,
        user_service,
        users,
        Arc::new(NoInvoices),
        clock,
    );
    Firm {
        fakes,
        engine,
        admin: actors[0].clone(),
        ops: actors[1].clone(),
        hr: actors[2].clone(),
        finance: actors[3].clone(),
        assistant: actors[4].clone(),
        field: actors[5].clone(),
    }
}

fn draft(entity: EntityType, id: i64, action: ActionType) -> RequestDraft {
    RequestDraft {
        entity_type: entity.as_str().into(),
        entity_id: id,
        action_type: action.as_str().into(),
        ..RequestDraft::default()
    }
}

fn kinds(trail: &[ActivityDraft]) -> Vec<&'static str> {
    trail.iter().map(|e| e.kind).collect()
}

fn approval_id_of(entry: &ActivityDraft) -> Option<i64> {
    entry.payload.iter().find_map(|(k, v)| match (k, v) {
        (&"approval_id", crate::activity::PayloadValue::Int(id)) => Some(*id),
        _ => None,
    })
}

#[tokio::test]
async fn a_delete_is_applied_once_on_approval_with_its_trail() {
    let f = firm();
    let asked = f
        .engine
        .request(
            &f.assistant,
            draft(EntityType::Assignment, WORK, ActionType::DeleteAssignment),
        )
        .await
        .unwrap();
    assert_eq!(asked.status(), ApprovalStatus::Pending);
    assert_eq!(asked.record().assignment_id, Some(WORK));
    // Nothing happens until it is decided.
    assert!(f.fakes.world().deleted.is_empty());
    forbidden(f.engine.approve(&f.assistant, asked.id(), None).await);
    forbidden(f.engine.approve(&f.hr, asked.id(), None).await);

    let done = f
        .engine
        .approve(&f.ops, asked.id(), Some("duplicate"))
        .await
        .unwrap();
    assert_eq!(done.status(), ApprovalStatus::Approved);
    assert_eq!(done.record().decided_by, Some(f.ops.user_id));
    assert_eq!(f.fakes.world().deleted, vec![WORK]);
    let trail = f.fakes.world().trail.clone();
    assert_eq!(
        kinds(&trail),
        [
            "APPROVAL_REQUESTED",
            "APPROVAL_APPROVED",
            "ASSIGNMENT_DELETED"
        ]
    );
    for entry in &trail {
        assert_eq!(approval_id_of(entry), Some(asked.id().0), "{entry:?}");
    }
    // A second decision changes nothing.
    assert_eq!(
        conflict(f.engine.approve(&f.admin, asked.id(), None).await),
        "already_decided"
    );
    assert_eq!(
        conflict(f.engine.reject(&f.admin, asked.id(), None).await),
        "already_decided"
    );
    assert_eq!(f.fakes.world().trail.len(), 3);
}

#[tokio::test]
async fn a_rejection_changes_nothing_but_the_request() {
    let f = firm();
    let asked = f
        .engine
        .request(
            &f.assistant,
            draft(EntityType::Assignment, WORK, ActionType::DeleteAssignment),
        )
        .await
        .unwrap();
    let rejected = f
        .engine
        .reject(&f.admin, asked.id(), Some("still needed"))
        .await
        .unwrap();
    assert_eq!(rejected.status(), ApprovalStatus::Rejected);
    assert_eq!(
        rejected.record().decision_comment.as_deref(),
        Some("still needed")
    );
    assert!(f.fakes.world().deleted.is_empty());
    assert_eq!(
        kinds(&f.fakes.world().trail),
        ["APPROVAL_REQUESTED", "APPROVAL_REJECTED"]
    );
}

#[tokio::test]
async fn a_failed_effect_leaves_the_request_pending() {
    let f = firm();
    let asked = f
        .engine
        .request(
            &f.assistant,
            draft(EntityType::Assignment, WORK, ActionType::DeleteAssignment),
        )
        .await
        .unwrap();
    // Someone else changes the assignment between the check and the write... simulated
    // by a store whose version moved on after the engine read it: approve twice
    // concurrently is covered by the API tests; here, the effect itself fails.
    f.fakes.world().deleted.push(WORK);
    let failed = f.engine.approve(&f.ops, asked.id(), None).await;
    assert!(
        matches!(failed, Err(DomainError::NotFound(_))),
        "{failed:?}"
    );
    let still = ApprovalRepository::get(&f.fakes, asked.id()).await.unwrap();
    assert_eq!(still.status(), ApprovalStatus::Pending);
    assert_eq!(kinds(&f.fakes.world().trail), ["APPROVAL_REQUESTED"]);
}

#[tokio::test]
async fn requests_name_existing_visible_entities_and_fitting_actions() {
    let f = firm();
    let missing = f
        .engine
        .request(
            &f.assistant,
            draft(EntityType::Assignment, 99, ActionType::DeleteAssignment),
        )
        .await;
    assert!(matches!(missing, Err(DomainError::NotFound("Assignment"))));
    // The field valuer is not on the work: for them it does not exist.
    let hidden = f
        .engine
        .request(
            &f.field,
            draft(EntityType::Assignment, WORK, ActionType::FinalReview),
        )
        .await;
    assert!(matches!(hidden, Err(DomainError::NotFound("Assignment"))));
    let mismatch = f
        .engine
        .request(
            &f.ops,
            draft(EntityType::Assignment, WORK, ActionType::ChangeRole),
        )
        .await;
    assert!(
        matches!(mismatch, Err(DomainError::Validation(_))),
        "{mismatch:?}"
    );
    let garbage = f
        .engine
        .request(
            &f.ops,
            RequestDraft {
                entity_type: "ASSIGNMENT".into(),
                entity_id: WORK,
                action_type: "DROP_TABLE".into(),
                ..RequestDraft::default()
            },
        )
        .await;
    assert!(matches!(garbage, Err(DomainError::Validation(_))));
    // No invoices exist yet: nothing about one can be asked for.
    let invoice = f
        .engine
        .request(&f.ops, draft(EntityType::Invoice, 1, ActionType::MarkPaid))
        .await;
    assert!(
        matches!(invoice, Err(DomainError::Validation(_))),
        "{invoice:?}"
    );
    let user_missing = f
        .engine
        .request(
            &f.hr,
            draft(EntityType::User, 99, ActionType::ResetPassword),
        )
        .await;
    assert!(matches!(user_missing, Err(DomainError::NotFound("User"))));
    assert!(f.fakes.world().approvals.is_empty());
}

#[tokio::test]
async fn closing_goes_through_the_lifecycle() {
    let f = firm();
    // PENDING work cannot be completed: refused when asked, not when approved.
    let early = f
        .engine
        .request(
            &f.assistant,
            draft(EntityType::Assignment, WORK, ActionType::CloseAssignment),
        )
        .await;
    assert_eq!(conflict(early), "invalid_transition");
    f.fakes
        .world()
        .assignments
        .insert(WORK, assignment(WORK, AssignmentStatus::Submitted, 5));
    let asked = f
        .engine
        .request(
            &f.assistant,
            draft(EntityType::Assignment, WORK, ActionType::CloseAssignment),
        )
        .await
        .unwrap();
    f.engine.approve(&f.ops, asked.id(), None).await.unwrap();
    let closed = f.fakes.world().assignments[&WORK].clone();
    assert_eq!(closed.fields.status, AssignmentStatus::Completed);
    assert_eq!(closed.fields.milestones.completed_at, Some(NOW));
    assert!(kinds(&f.fakes.world().trail).contains(&"ASSIGNMENT_COMPLETED"));
}

#[tokio::test]
async fn a_fee_override_is_decided_by_money_and_applied_by_its_rules() {
    let f = firm();
    let mut d = draft(EntityType::Assignment, WORK, ActionType::FeeOverride);
    d.fees = Some(Some("4500.50".into()));
    let asked = f.engine.request(&f.assistant, d).await.unwrap();
    assert_eq!(
        asked.action(),
        &ApprovalAction::FeeOverride {
            fees: Some("4500.50".parse().unwrap())
        }
    );
    forbidden(f.engine.approve(&f.ops, asked.id(), None).await);
    f.engine
        .approve(&f.finance, asked.id(), None)
        .await
        .unwrap();
    assert_eq!(
        f.fakes.world().assignments[&WORK].fields.fees,
        Some("4500.50".parse().unwrap())
    );
    // A fee that is not an amount is refused when asked.
    let mut bad = draft(EntityType::Assignment, WORK, ActionType::FeeOverride);
    bad.fees = Some(Some("lots".into()));
    let refused = f.engine.request(&f.assistant, bad).await;
    assert!(matches!(refused, Err(DomainError::Validation(_))));
}

#[tokio::test]
async fn a_reassignment_checks_the_people_and_applies_like_a_normal_one() {
    let f = firm();
    let mut d = draft(EntityType::Assignment, WORK, ActionType::Reassign);
    d.assigned_to_user_id = Some(Some(99));
    let unknown = f.engine.request(&f.assistant, d).await;
    assert!(
        matches!(unknown, Err(DomainError::Validation(_))),
        "{unknown:?}"
    );
    let mut d = draft(EntityType::Assignment, WORK, ActionType::Reassign);
    d.assigned_to_user_id = Some(Some(6));
    let asked = f.engine.request(&f.assistant, d).await.unwrap();
    f.engine.approve(&f.admin, asked.id(), None).await.unwrap();
    let moved = f.fakes.world().assignments[&WORK].clone();
    assert_eq!(moved.fields.assigned_to, Some(UserId(6)));
    assert_eq!(moved.fields.assigned_at, Some(NOW));
    let trail = f.fakes.world().trail.clone();
    let entry = trail
        .iter()
        .find(|e| e.kind == "ASSIGNMENT_REASSIGNED")
        .expect("reassignment recorded");
    assert_eq!(approval_id_of(entry), Some(asked.id().0));
}

#[tokio::test]
async fn a_password_reset_never_carries_a_password() {
    let f = firm();
    // About the only ADMIN, nobody could decide it.
    assert_eq!(
        conflict(
            f.engine
                .request(&f.hr, draft(EntityType::User, 1, ActionType::ResetPassword))
                .await
        ),
        "no_approver"
    );
    let second_admin = user(7, "admin2@x.example", Role::Admin);
    f.fakes
        .users
        .rows
        .lock()
        .unwrap()
        .push((second_admin.clone(), PasswordHash("x".into())));
    let asked = f
        .engine
        .request(&f.hr, draft(EntityType::User, 1, ActionType::ResetPassword))
        .await
        .unwrap();
    assert_eq!(asked.action(), &ApprovalAction::ResetPassword);
    // Through the reset path, the password sent is dropped on the way in.
    let via_reset = f
        .engine
        .reset_password(&f.hr, UserId(4), "N3w!Password-123")
        .await
        .unwrap();
    let PasswordResetOutcome::Requested(via_reset) = via_reset else {
        panic!("HR does not set a FINANCE password directly");
    };
    assert!(!format!("{via_reset:?}").contains("N3w!Password"));
    // Only an ADMIN decides about people; the effect makes the user choose a new one.
    forbidden(f.engine.approve(&f.ops, asked.id(), None).await);
    // Nobody asks about their own account.
    let own = f
        .engine
        .request(&f.hr, draft(EntityType::User, 3, ActionType::ResetPassword))
        .await;
    forbidden(own);
    f.engine
        .approve(&actor(&second_admin), asked.id(), None)
        .await
        .unwrap();
    assert_eq!(f.fakes.world().password_required, vec![UserId(1)]);
}

#[tokio::test]
async fn a_role_change_goes_through_the_user_rules() {
    let f = firm();
    let mut d = draft(EntityType::User, 6, ActionType::ChangeRole);
    d.role = Some("ASSISTANT_VALUER".into());
    let asked = f.engine.request(&f.hr, d).await.unwrap();
    f.engine.approve(&f.admin, asked.id(), None).await.unwrap();
    let changed = f.fakes.users.get(UserId(6)).await.unwrap();
    assert_eq!(changed.roles, Roles::single(Role::AssistantValuer));
    assert!(kinds(&f.fakes.world().trail).contains(&"USER_ROLE_CHANGED"));
    let mut d = draft(EntityType::User, 6, ActionType::ChangeRole);
    d.role = Some("EMPEROR".into());
    let refused = f.engine.request(&f.hr, d).await;
    assert!(matches!(refused, Err(DomainError::Validation(_))));
}

#[tokio::test]
async fn a_request_nobody_else_can_decide_is_refused() {
    let f = firm();
    // Only one ADMIN decides about people, and they cannot decide their own request.
    let mut d = draft(EntityType::User, 6, ActionType::ChangeRole);
    d.role = Some("HR".into());
    assert_eq!(conflict(f.engine.request(&f.admin, d).await), "no_approver");
    // A named approver must be able to decide it.
    let mut named = draft(EntityType::Assignment, WORK, ActionType::FinalReview);
    named.approver_user_id = Some(6);
    let refused = f.engine.request(&f.assistant, named).await;
    assert!(matches!(refused, Err(DomainError::Validation(_))));
}

#[tokio::test]
async fn inboxes_hold_what_each_may_decide() {
    let f = firm();
    let delete = f
        .engine
        .request(
            &f.assistant,
            draft(EntityType::Assignment, WORK, ActionType::DeleteAssignment),
        )
        .await
        .unwrap();
    let mut fee = draft(EntityType::Assignment, WORK, ActionType::FeeOverride);
    fee.fees = Some(None);
    let fee = f.engine.request(&f.assistant, fee).await.unwrap();
    let ids = |list: Vec<Approval>| list.iter().map(|a| a.id()).collect::<Vec<_>>();
    assert_eq!(
        ids(f.engine.inbox(&f.ops, false).await.unwrap()),
        [delete.id()]
    );
    assert_eq!(
        ids(f.engine.inbox(&f.finance, false).await.unwrap()),
        [fee.id()]
    );
    assert_eq!(
        ids(f.engine.inbox(&f.admin, false).await.unwrap()),
        [fee.id(), delete.id()]
    );
    assert!(f.engine.inbox(&f.hr, false).await.unwrap().is_empty());
    forbidden(f.engine.inbox(&f.assistant, false).await);
    assert_eq!(f.engine.pending_for(&f.ops).await.unwrap(), 1);
    assert_eq!(f.engine.pending_for(&f.assistant).await.unwrap(), 0);
    // Withdrawn, it leaves every inbox.
    f.engine.withdraw(&f.assistant, delete.id()).await.unwrap();
    assert!(f.engine.inbox(&f.ops, false).await.unwrap().is_empty());
    assert_eq!(
        kinds(&f.fakes.world().trail).last(),
        Some(&"APPROVAL_WITHDRAWN")
    );
}
