//! The assignment chat: one transaction per write, together with its activity entry.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use time::OffsetDateTime;
use zenops_domain::message::{Message, MessageRepository};
use zenops_domain::user::UserId;
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::db::stored_time_on;
use crate::entity::assignment_messages;
use crate::error::{Violation, unexpected, violation};

use assignment_messages::Column as M;

pub struct SeaMessageRepository {
    db: Database,
}

impl SeaMessageRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The mentions column: a JSON array of user ids.
fn mentions_json(mentions: &[UserId]) -> String {
    serde_json::Value::from(mentions.iter().map(|u| u.0).collect::<Vec<i64>>()).to_string()
}

fn to_message(row: assignment_messages::Model) -> DomainResult<Message> {
    let ids: Vec<i64> = serde_json::from_str(&row.mentions).map_err(|_| {
        DomainError::unexpected(format!("message {}: stored mentions are invalid", row.id))
    })?;
    Ok(Message {
        id: row.id,
        assignment_id: row.assignment_id,
        sender: UserId(row.sender_user_id),
        message: row.message,
        mentions: ids.into_iter().map(UserId).collect(),
        pinned: row.pinned,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The assignment vanishing between the access check and the write is reported as a field
/// error, not a fault.
fn write_error(err: sea_orm::DbErr) -> DomainError {
    match violation(&err) {
        Some(Violation::ForeignKey) => {
            DomainError::invalid("assignment_id", "refers to a record that no longer exists")
        }
        _ => unexpected(err),
    }
}

#[async_trait]
impl MessageRepository for SeaMessageRepository {
    async fn list_for_assignment(&self, assignment_id: i64) -> DomainResult<Vec<Message>> {
        assignment_messages::Entity::find()
            .filter(M::AssignmentId.eq(assignment_id))
            .order_by_asc(M::CreatedAt)
            .order_by_asc(M::Id)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_message)
            .collect()
    }

    async fn get(&self, assignment_id: i64, message_id: i64) -> DomainResult<Message> {
        let row = assignment_messages::Entity::find_by_id(message_id)
            .filter(M::AssignmentId.eq(assignment_id))
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Message"))?;
        to_message(row)
    }
}

/// [`zenops_domain::message::MessageStore::create`] inside `txn`.
pub(crate) async fn create_in(
    txn: &DatabaseTransaction,
    assignment_id: i64,
    sender: UserId,
    text: &str,
    mentions: &[UserId],
    pinned: bool,
    at: OffsetDateTime,
) -> DomainResult<Message> {
    let backend = txn.get_database_backend();
    let saved = assignment_messages::ActiveModel {
        assignment_id: Set(assignment_id),
        sender_user_id: Set(sender.0),
        message: Set(text.to_owned()),
        mentions: Set(mentions_json(mentions)),
        pinned: Set(pinned),
        created_at: Set(stored_time_on(backend, at)),
        updated_at: Set(stored_time_on(backend, at)),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(write_error)?;
    to_message(saved)
}

/// [`zenops_domain::message::MessageStore::set_pinned`] inside `txn`.
pub(crate) async fn set_pinned_in(
    txn: &DatabaseTransaction,
    message_id: i64,
    pinned: bool,
    at: OffsetDateTime,
) -> DomainResult<Message> {
    let backend = txn.get_database_backend();
    let updated = assignment_messages::Entity::update_many()
        .col_expr(M::Pinned, Expr::value(pinned))
        .col_expr(M::UpdatedAt, Expr::value(stored_time_on(backend, at)))
        .filter(M::Id.eq(message_id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if updated.rows_affected == 0 {
        return Err(DomainError::NotFound("Message"));
    }
    let saved = assignment_messages::Entity::find_by_id(message_id)
        .one(txn)
        .await
        .map_err(unexpected)?
        .ok_or(DomainError::NotFound("Message"))?;
    to_message(saved)
}

/// [`zenops_domain::message::MessageStore::delete`] inside `txn`.
pub(crate) async fn delete_in(txn: &DatabaseTransaction, message_id: i64) -> DomainResult<()> {
    let deleted = assignment_messages::Entity::delete_many()
        .filter(M::Id.eq(message_id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::NotFound("Message"));
    }
    Ok(())
}
