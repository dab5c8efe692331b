//! Calendar events: reading with the reader's scope as SQL, writing inside a unit of work,
//! and the secret links of calendar feeds (only their SHA-256 is stored).

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zenops_domain::assignment::AssignmentScope;
use zenops_domain::calendar::{
    CalendarEvent, CalendarRepository, EventQuery, EventScope, FeedTokens, NewEvent,
};
use zenops_domain::leave::LeaveId;
use zenops_domain::user::UserId;
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::assignments::scoped;
use crate::db::stored_time_on;
use crate::entity::{assignments, calendar_events, calendar_feed_tokens, calendar_labels, users};
use crate::error::unexpected;

pub struct SeaCalendarRepository {
    db: Database,
}

impl SeaCalendarRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The stored form of a list of people: compact JSON (`[3,7]`), as the visibility test
/// below matches it.
fn people_json(ids: &[UserId]) -> String {
    serde_json::Value::from(ids.iter().map(|u| u.0).collect::<Vec<_>>()).to_string()
}

/// `assigned_user_ids` holds `user`: the id alone, first, last or in the middle of the
/// compact JSON list.
fn lists(user: UserId) -> Condition {
    use calendar_events::Column::AssignedUserIds as Col;
    let id = user.0;
    Condition::any()
        .add(Col.eq(format!("[{id}]")))
        .add(Col.like(format!("[{id},%")))
        .add(Col.like(format!("%,{id}]")))
        .add(Col.like(format!("%,{id},%")))
}

fn to_event(
    row: calendar_events::Model,
    codes: &HashMap<i64, String>,
    labels: &HashMap<i64, String>,
) -> DomainResult<CalendarEvent> {
    let corrupt =
        || DomainError::unexpected(format!("calendar event {}: stored data is invalid", row.id));
    let ids: Vec<i64> = serde_json::from_str(&row.assigned_user_ids).map_err(|_| corrupt())?;
    Ok(CalendarEvent {
        id: row.id,
        event_type: row.event_type.parse().map_err(|_| corrupt())?,
        title: row.title,
        description: row.description,
        start_at: row.start_at,
        end_at: row.end_at,
        all_day: row.all_day,
        assignment_code: row.assignment_id.and_then(|id| codes.get(&id).cloned()),
        assignment_id: row.assignment_id,
        created_by: UserId(row.created_by_user_id),
        assigned_to: row.assigned_to_user_id.map(UserId),
        assigned_user_ids: ids.into_iter().map(UserId).collect(),
        assigned_to_all: row.assigned_to_all,
        event_label_name: row.event_label_id.and_then(|id| labels.get(&id).cloned()),
        event_label_id: row.event_label_id,
        related_leave_request_id: row.related_leave_request_id.map(LeaveId),
        task_id: row.task_id,
        payload_json: row.payload_json,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// `name` by `id` for the given ids of one table, in one query.
async fn names_by_id<E: EntityTrait>(
    db: &Database,
    mut ids: Vec<i64>,
    id: E::Column,
    name: E::Column,
) -> DomainResult<HashMap<i64, String>> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(E::find()
        .select_only()
        .column(id)
        .column(name)
        .filter(id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(&db.conn)
        .await
        .map_err(unexpected)?
        .into_iter()
        .collect())
}

impl SeaCalendarRepository {
    /// Adds assignment codes and label names to a page of rows: two queries, not one per row.
    async fn hydrate(&self, rows: Vec<calendar_events::Model>) -> DomainResult<Vec<CalendarEvent>> {
        let codes = names_by_id::<assignments::Entity>(
            &self.db,
            rows.iter().filter_map(|r| r.assignment_id).collect(),
            assignments::Column::Id,
            assignments::Column::AssignmentCode,
        )
        .await?;
        let labels = names_by_id::<calendar_labels::Entity>(
            &self.db,
            rows.iter().filter_map(|r| r.event_label_id).collect(),
            calendar_labels::Column::Id,
            calendar_labels::Column::Name,
        )
        .await?;
        rows.into_iter()
            .map(|row| to_event(row, &codes, &labels))
            .collect()
    }
}

#[async_trait]
impl CalendarRepository for SeaCalendarRepository {
    async fn list(
        &self,
        query: &EventQuery,
        scope: EventScope,
        limit: u64,
    ) -> DomainResult<Vec<CalendarEvent>> {
        use calendar_events::Column as C;
        let mut select = calendar_events::Entity::find();
        if let EventScope::ConcerningUser(user) = scope {
            let visible = Query::select()
                .column(assignments::Column::Id)
                .from(assignments::Entity)
                .cond_where(scoped(AssignmentScope::Involving(user)))
                .to_owned();
            select = select.filter(
                Condition::any()
                    .add(C::AssignedToAll.eq(true))
                    .add(C::AssignedToUserId.eq(user.0))
                    .add(C::CreatedByUserId.eq(user.0))
                    .add(lists(user))
                    .add(C::AssignmentId.in_subquery(visible)),
            );
        }
        // Events of deleted assignments are removed with them; this guards the rest.
        let deleted = Query::select()
            .column(assignments::Column::Id)
            .from(assignments::Entity)
            .and_where(assignments::Column::DeletedAt.is_not_null())
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(C::AssignmentId.is_null())
                .add(C::AssignmentId.not_in_subquery(deleted)),
        );
        // Events that overlap the window: a leave that began before it and goes on into it
        // belongs to it.
        if let Some(from) = query.start_from {
            select = select.filter(C::EndAt.gte(self.db.stored_time(from)));
        }
        if let Some(to) = query.start_to {
            select = select.filter(C::StartAt.lte(self.db.stored_time(to)));
        }
        if !query.event_types.is_empty() {
            select =
                select.filter(C::EventType.is_in(query.event_types.iter().map(|t| t.as_str())));
        }
        if let Some(id) = query.assignment_id {
            select = select.filter(C::AssignmentId.eq(id));
        }
        if let Some(user) = query.user_id {
            select = select.filter(
                Condition::any()
                    .add(C::AssignedToUserId.eq(user.0))
                    .add(lists(user)),
            );
        }
        let rows = select
            .order_by_asc(C::StartAt)
            .order_by_asc(C::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        self.hydrate(rows).await
    }

    async fn get(&self, id: i64) -> DomainResult<CalendarEvent> {
        let row = calendar_events::Entity::find_by_id(id)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Calendar event"))?;
        self.hydrate(vec![row])
            .await?
            .pop()
            .ok_or(DomainError::NotFound("Calendar event"))
    }
}

/// The columns an event's content sets (not its author or creation time).
fn content(
    backend: sea_orm::DbBackend,
    event: &NewEvent,
    at: OffsetDateTime,
) -> calendar_events::ActiveModel {
    calendar_events::ActiveModel {
        event_type: Set(event.event_type.as_str().to_owned()),
        title: Set(event.title.clone()),
        description: Set(event.description.clone()),
        start_at: Set(stored_time_on(backend, event.start_at)),
        end_at: Set(stored_time_on(backend, event.end_at)),
        all_day: Set(event.all_day),
        assignment_id: Set(event.assignment_id),
        assigned_to_user_id: Set(event.assigned_to.map(|u| u.0)),
        assigned_user_ids: Set(people_json(&event.assigned_user_ids)),
        assigned_to_all: Set(event.assigned_to_all),
        event_label_id: Set(event.event_label_id),
        related_leave_request_id: Set(event.related_leave_request_id.map(|l| l.0)),
        task_id: Set(event.task_id),
        payload_json: Set(event.payload_json.clone()),
        updated_at: Set(stored_time_on(backend, at)),
        ..Default::default()
    }
}

/// [`zenops_domain::calendar::CalendarStore::insert`] inside `txn`.
pub(crate) async fn insert_in(
    txn: &DatabaseTransaction,
    event: &NewEvent,
    created_by: UserId,
    at: OffsetDateTime,
) -> DomainResult<i64> {
    let backend = txn.get_database_backend();
    let mut row = content(backend, event, at);
    row.created_by_user_id = Set(created_by.0);
    row.created_at = Set(stored_time_on(backend, at));
    let saved = row.insert(txn).await.map_err(unexpected)?;
    Ok(saved.id)
}

/// [`zenops_domain::calendar::CalendarStore::update`] inside `txn`.
pub(crate) async fn update_in(
    txn: &DatabaseTransaction,
    id: i64,
    event: &NewEvent,
    at: OffsetDateTime,
) -> DomainResult<()> {
    let row = content(txn.get_database_backend(), event, at);
    let updated = calendar_events::Entity::update_many()
        .set(row)
        .filter(calendar_events::Column::Id.eq(id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if updated.rows_affected == 0 {
        return Err(DomainError::NotFound("Calendar event"));
    }
    Ok(())
}

/// [`zenops_domain::calendar::CalendarStore::delete`] inside `txn`.
pub(crate) async fn delete_in(txn: &DatabaseTransaction, id: i64) -> DomainResult<()> {
    let deleted = calendar_events::Entity::delete_many()
        .filter(calendar_events::Column::Id.eq(id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::NotFound("Calendar event"));
    }
    Ok(())
}

/// Removes the events that show a leave request.
pub(crate) async fn delete_for_leave_in(
    txn: &DatabaseTransaction,
    leave: LeaveId,
) -> DomainResult<()> {
    calendar_events::Entity::delete_many()
        .filter(calendar_events::Column::RelatedLeaveRequestId.eq(leave.0))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// Replaces a task's TASK_DUE event with `event` (none: the task has no due date).
pub(crate) async fn replace_task_event_in(
    txn: &DatabaseTransaction,
    task_id: i64,
    event: Option<&NewEvent>,
    created_by: UserId,
    at: OffsetDateTime,
) -> DomainResult<()> {
    delete_task_event_in(txn, task_id).await?;
    if let Some(event) = event {
        insert_in(txn, event, created_by, at).await?;
    }
    Ok(())
}

/// Removes a task's TASK_DUE event.
pub(crate) async fn delete_task_event_in(
    txn: &DatabaseTransaction,
    task_id: i64,
) -> DomainResult<()> {
    calendar_events::Entity::delete_many()
        .filter(calendar_events::Column::TaskId.eq(task_id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// Feed secrets: 256 random bits from the operating system's generator, in hex, shown
/// once; the table keeps their SHA-256, one per user.
pub struct SeaFeedTokens {
    db: Database,
}

impl SeaFeedTokens {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn digest(secret: &str) -> String {
    crate::hex(&Sha256::digest(secret.as_bytes()))
}

#[async_trait]
impl FeedTokens for SeaFeedTokens {
    async fn rotate(&self, user: UserId, at: OffsetDateTime) -> DomainResult<String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            DomainError::unexpected(format!("no randomness for a feed secret: {e}"))
        })?;
        let secret = crate::hex(&bytes);
        let row = calendar_feed_tokens::ActiveModel {
            user_id: Set(user.0),
            token_hash: Set(digest(&secret)),
            created_at: Set(self.db.stored_time(at)),
        };
        calendar_feed_tokens::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(calendar_feed_tokens::Column::UserId)
                    .update_columns([
                        calendar_feed_tokens::Column::TokenHash,
                        calendar_feed_tokens::Column::CreatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(secret)
    }

    async fn resolve(&self, secret: &str) -> DomainResult<Option<UserId>> {
        // Anything but our own shape is not worth hashing or looking up.
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let owner = calendar_feed_tokens::Entity::find()
            .filter(calendar_feed_tokens::Column::TokenHash.eq(digest(secret)))
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?;
        let Some(owner) = owner else {
            return Ok(None);
        };
        // A deactivated person's feed goes dark with their account.
        let active = users::Entity::find_by_id(owner.user_id)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .is_some_and(|u| u.is_active);
        Ok(active.then_some(UserId(owner.user_id)))
    }
}
