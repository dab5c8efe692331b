//! Reading calendar events.

use async_trait::async_trait;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use zenops_domain::assignment::AssignmentScope;
use zenops_domain::calendar::{CalendarEvent, CalendarRepository, EventQuery, EventScope};
use zenops_domain::user::UserId;
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::assignments::scoped;
use crate::entity::{assignments, calendar_events};
use crate::error::unexpected;

pub struct SeaCalendarRepository {
    db: Database,
}

impl SeaCalendarRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn to_event(row: calendar_events::Model) -> DomainResult<CalendarEvent> {
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
        assignment_id: row.assignment_id,
        created_by: UserId(row.created_by_user_id),
        assigned_to: row.assigned_to_user_id.map(UserId),
        assigned_user_ids: ids.into_iter().map(UserId).collect(),
        assigned_to_all: row.assigned_to_all,
        event_label_id: row.event_label_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
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
                    .add(C::AssignmentId.in_subquery(visible)),
            );
        }
        // Events of deleted assignments are removed with them; this guards the rest.
        let live = Query::select()
            .column(assignments::Column::Id)
            .from(assignments::Entity)
            .and_where(assignments::Column::DeletedAt.is_not_null())
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(C::AssignmentId.is_null())
                .add(C::AssignmentId.not_in_subquery(live)),
        );
        if let Some(from) = query.start_from {
            select = select.filter(C::StartAt.gte(self.db.stored_time(from)));
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
            select = select.filter(C::AssignedToUserId.eq(user.0));
        }
        let rows = select
            .order_by_asc(C::StartAt)
            .order_by_asc(C::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        rows.into_iter().map(to_event).collect()
    }
}
