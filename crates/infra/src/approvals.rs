//! Approvals as stored: the typed action becomes `action_type` plus a JSON payload of its
//! parameters, and the domain's scopes become conditions.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value as Json;
use time::OffsetDateTime;
use zenops_domain::access::Role;
use zenops_domain::approval::{
    ActionType, Approval, ApprovalAction, ApprovalId, ApprovalQuery, ApprovalRecord,
    ApprovalRepository, ApprovalRequest, ApprovalScope, ApprovalStatus, Decision, EntityRef,
    EntityType,
};
use zenops_domain::money::Money;
use zenops_domain::user::UserId;
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::activities::payload_json;
use crate::db::stored_time_on;
use crate::entity::approvals;
use crate::error::{Violation, unexpected, violation};

use approvals::Column as C;

pub struct SeaApprovalRepository {
    db: Database,
}

impl SeaApprovalRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// A list of user ids stored under `key`.
fn users(json: &Json, key: &str) -> Vec<UserId> {
    json.get(key)
        .and_then(Json::as_array)
        .map(|list| list.iter().filter_map(|v| v.as_i64().map(UserId)).collect())
        .unwrap_or_default()
}

fn to_action(id: i64, action_type: ActionType, payload: &str) -> DomainResult<ApprovalAction> {
    let corrupt = || DomainError::unexpected(format!("approval {id}: stored payload is invalid"));
    let json: Json = serde_json::from_str(payload).map_err(|_| corrupt())?;
    let user = |v: &Json| v.as_i64().map(UserId);
    Ok(match action_type {
        ActionType::DeleteAssignment => ApprovalAction::DeleteAssignment,
        ActionType::CloseAssignment => ApprovalAction::CloseAssignment,
        ActionType::MarkPaid => ApprovalAction::MarkPaid,
        ActionType::ResetPassword => ApprovalAction::ResetPassword,
        ActionType::Reassign => ApprovalAction::Reassign {
            assigned_to: json.get("assigned_to_user_id").and_then(user),
            additional: users(&json, "assignee_user_ids"),
            override_on_leave: json
                .get("override_on_leave")
                .and_then(Json::as_bool)
                .unwrap_or(false),
            was_assigned_to: json.get("previous_assigned_to_user_id").and_then(user),
            was_additional: users(&json, "previous_assignee_user_ids"),
        },
        ActionType::FeeOverride => ApprovalAction::FeeOverride {
            fees: match json.get("fees") {
                None | Some(Json::Null) => None,
                Some(v) => Some(
                    v.as_str()
                        .ok_or_else(corrupt)?
                        .parse::<Money>()
                        .map_err(|_| corrupt())?,
                ),
            },
        },
        ActionType::ChangeRole => ApprovalAction::ChangeRole {
            role: json
                .get("role")
                .and_then(Json::as_str)
                .ok_or_else(corrupt)?
                .parse::<Role>()
                .map_err(|_| corrupt())?,
        },
        other => ApprovalAction::Noted(other),
    })
}

fn to_approval(row: approvals::Model) -> DomainResult<Approval> {
    let id = row.id;
    let corrupt =
        |what: &str| DomainError::unexpected(format!("approval {id}: stored {what} is invalid"));
    let action_type: ActionType = row.action_type.parse().map_err(|_| corrupt("action"))?;
    Ok(Approval::restore(ApprovalRecord {
        id: ApprovalId(id),
        entity: EntityRef {
            entity_type: row
                .entity_type
                .parse::<EntityType>()
                .map_err(|_| corrupt("entity type"))?,
            entity_id: row.entity_id,
        },
        action: to_action(id, action_type, &row.payload_json)?,
        requester: UserId(row.requester_user_id),
        approver: row.approver_user_id.map(UserId),
        status: row
            .status
            .parse::<ApprovalStatus>()
            .map_err(|_| corrupt("status"))?,
        reason: row.reason,
        decision_comment: row.decision_comment,
        decided_at: row.decided_at,
        decided_by: row.decided_by_user_id.map(UserId),
        assignment_id: row.assignment_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }))
}

fn never() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

/// Unnamed pending requests of the given kinds.
fn open_of_kinds(kinds: &[(EntityType, ActionType)]) -> Condition {
    if kinds.is_empty() {
        return never();
    }
    let mut any = Condition::any();
    for entity in EntityType::ALL {
        let actions: Vec<&str> = kinds
            .iter()
            .filter(|(e, _)| e == entity)
            .map(|(_, a)| a.as_str())
            .collect();
        if !actions.is_empty() {
            any = any.add(
                Condition::all()
                    .add(C::EntityType.eq(entity.as_str()))
                    .add(C::ActionType.is_in(actions)),
            );
        }
    }
    Condition::all()
        .add(C::ApproverUserId.is_null())
        .add(C::Status.eq(ApprovalStatus::Pending.as_str()))
        .add(any)
}

/// The domain's scope as a condition.
fn scoped(scope: &ApprovalScope) -> Condition {
    match scope {
        ApprovalScope::Everything => Condition::all(),
        ApprovalScope::RequestedBy(user) => Condition::all().add(C::RequesterUserId.eq(user.0)),
        ApprovalScope::DecidableBy { user, kinds } => {
            Condition::all().add(C::RequesterUserId.ne(user.0)).add(
                Condition::any()
                    .add(C::ApproverUserId.eq(user.0))
                    .add(open_of_kinds(kinds)),
            )
        }
        ApprovalScope::Involving { user, kinds } => Condition::any()
            .add(C::RequesterUserId.eq(user.0))
            .add(C::ApproverUserId.eq(user.0))
            .add(C::DecidedByUserId.eq(user.0))
            .add(
                Condition::all()
                    .add(C::RequesterUserId.ne(user.0))
                    .add(open_of_kinds(kinds)),
            ),
        ApprovalScope::OfAssignment(id) => Condition::all().add(C::AssignmentId.eq(*id)),
    }
}

fn filtered(query: &ApprovalQuery) -> sea_orm::Select<approvals::Entity> {
    let mut select = approvals::Entity::find().filter(scoped(&query.scope));
    if !query.statuses.is_empty() {
        select = select.filter(C::Status.is_in(query.statuses.iter().map(|s| s.as_str())));
    }
    select
}

#[async_trait]
impl ApprovalRepository for SeaApprovalRepository {
    async fn get(&self, id: ApprovalId) -> DomainResult<Approval> {
        approvals::Entity::find_by_id(id.0)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Approval"))
            .and_then(to_approval)
    }

    async fn list(&self, query: &ApprovalQuery) -> DomainResult<Vec<Approval>> {
        filtered(query)
            .order_by_desc(C::Id)
            .limit(query.limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_approval)
            .collect()
    }

    async fn count(&self, query: &ApprovalQuery) -> DomainResult<u64> {
        filtered(query)
            .count(&self.db.conn)
            .await
            .map_err(unexpected)
    }

    async fn pending_by_assignment(&self, assignments: &[i64]) -> DomainResult<Vec<(i64, u64)>> {
        let rows: Vec<(Option<i64>, i64)> = approvals::Entity::find()
            .select_only()
            .column(C::AssignmentId)
            .column_as(Expr::col(C::Id).count(), "n")
            .filter(C::Status.eq(ApprovalStatus::Pending.as_str()))
            .filter(C::AssignmentId.is_in(assignments.iter().copied()))
            .group_by(C::AssignmentId)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, n)| id.map(|id| (id, u64::try_from(n).unwrap_or(0))))
            .collect())
    }
}

/// [`zenops_domain::approval::ApprovalStore::insert`] inside `txn`.
pub(crate) async fn insert_in(
    txn: &DatabaseTransaction,
    request: &ApprovalRequest,
    at: OffsetDateTime,
) -> DomainResult<Approval> {
    let at = stored_time_on(txn.get_database_backend(), at);
    let row = approvals::ActiveModel {
        entity_type: Set(request.entity.entity_type.as_str().to_owned()),
        entity_id: Set(request.entity.entity_id),
        action_type: Set(request.action.action_type().as_str().to_owned()),
        requester_user_id: Set(request.requester.0),
        approver_user_id: Set(request.approver.map(|u| u.0)),
        status: Set(ApprovalStatus::Pending.as_str().to_owned()),
        reason: Set(request.reason.clone()),
        payload_json: Set(payload_json(&request.action.parameters())),
        decision_comment: Set(None),
        decided_at: Set(None),
        decided_by_user_id: Set(None),
        assignment_id: Set(request.assignment_id),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|err| match violation(&err) {
        Some(Violation::ForeignKey) => DomainError::invalid(
            "entity_id",
            "refers to a user or assignment that no longer exists",
        ),
        _ => unexpected(err),
    })?;
    to_approval(row)
}

/// [`zenops_domain::approval::ApprovalStore::decide`] inside `txn`: one conditional
/// update, so of concurrent decisions the first to write wins (on PostgreSQL the others
/// wait for its row lock, then find the row no longer pending; SQLite runs writers one at
/// a time).
pub(crate) async fn decide_in(
    txn: &DatabaseTransaction,
    decision: &Decision,
) -> DomainResult<Approval> {
    let at = stored_time_on(txn.get_database_backend(), decision.at);
    let mut update = approvals::Entity::update_many()
        .col_expr(C::Status, Expr::value(decision.status.as_str()))
        .col_expr(C::DecidedAt, Expr::value(at))
        .col_expr(C::UpdatedAt, Expr::value(at))
        .col_expr(C::DecisionComment, Expr::value(decision.comment.clone()))
        .filter(C::Id.eq(decision.id.0))
        .filter(C::Status.eq(ApprovalStatus::Pending.as_str()));
    if decision.records_approver {
        update = update
            .col_expr(C::ApproverUserId, Expr::value(decision.by.0))
            .col_expr(C::DecidedByUserId, Expr::value(decision.by.0));
    }
    let written = update.exec(txn).await.map_err(unexpected)?;
    let row = approvals::Entity::find_by_id(decision.id.0)
        .one(txn)
        .await
        .map_err(unexpected)?
        .ok_or(DomainError::NotFound("Approval"))?;
    if written.rows_affected == 0 {
        let status = row.status.to_lowercase();
        return Err(DomainError::conflict(
            "already_decided",
            format!("This request is no longer pending: it was {status} meanwhile"),
        ));
    }
    to_approval(row)
}

/// [`zenops_domain::approval::ApprovalStore::cancel_pending_of_assignment`] inside `txn`.
pub(crate) async fn cancel_pending_in(
    txn: &DatabaseTransaction,
    assignment_id: i64,
    why: &str,
    at: OffsetDateTime,
) -> DomainResult<u64> {
    let at = stored_time_on(txn.get_database_backend(), at);
    let closed = approvals::Entity::update_many()
        .col_expr(C::Status, Expr::value(ApprovalStatus::Cancelled.as_str()))
        .col_expr(C::DecisionComment, Expr::value(why))
        .col_expr(C::DecidedAt, Expr::value(at))
        .col_expr(C::UpdatedAt, Expr::value(at))
        .filter(C::AssignmentId.eq(assignment_id))
        .filter(C::Status.eq(ApprovalStatus::Pending.as_str()))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(closed.rows_affected)
}
