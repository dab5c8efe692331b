//! The activity trail.

use async_trait::async_trait;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use time::OffsetDateTime;
use zenops_domain::DomainResult;
use zenops_domain::activity::{
    Activity, ActivityDraft, ActivityFilter, ActivityRepository, ActivityScope, PayloadValue,
};
use zenops_domain::assignment::AssignmentScope;
use zenops_domain::page::{Page, Paged};
use zenops_domain::user::UserId;

use crate::db::stored_time_on;
use crate::entity::activity_logs;
use crate::error::unexpected;
use crate::{Database, SharedClock, assignments::scoped};

pub struct SeaActivityRepository {
    db: Database,
    clock: SharedClock,
}

impl SeaActivityRepository {
    pub fn new(db: Database, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

/// A payload as the JSON object stored in a text column.
pub(crate) fn payload_json(payload: &[(&'static str, PayloadValue)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = payload
        .iter()
        .map(|(key, value)| {
            let json = match value {
                PayloadValue::Null => serde_json::Value::Null,
                PayloadValue::Bool(b) => (*b).into(),
                PayloadValue::Int(n) => (*n).into(),
                PayloadValue::Text(t) => t.clone().into(),
                PayloadValue::Ints(list) => list.clone().into(),
            };
            ((*key).to_owned(), json)
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// Writes entries on any connection, so they join the transaction of the change.
pub(crate) async fn record_all(
    conn: &impl ConnectionTrait,
    entries: &[ActivityDraft],
    at: OffsetDateTime,
) -> Result<(), sea_orm::DbErr> {
    for entry in entries {
        activity_logs::ActiveModel {
            kind: Set(entry.kind.to_owned()),
            actor_user_id: Set(entry.actor.map(|u| u.0)),
            assignment_id: Set(entry.assignment_id),
            message: Set(Some(entry.message.clone())),
            payload_json: Set(payload_json(&entry.payload)),
            created_at: Set(stored_time_on(conn.get_database_backend(), at)),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

fn to_activity(row: activity_logs::Model) -> Activity {
    Activity {
        id: row.id,
        kind: row.kind,
        actor_user_id: row.actor_user_id.map(UserId),
        assignment_id: row.assignment_id,
        message: row.message,
        payload_json: row.payload_json,
        created_at: row.created_at,
    }
}

#[async_trait]
impl ActivityRepository for SeaActivityRepository {
    async fn record(&self, entry: &ActivityDraft) -> DomainResult<()> {
        record_all(&self.db.conn, std::slice::from_ref(entry), self.clock.now())
            .await
            .map_err(unexpected)
    }

    async fn list(
        &self,
        filter: &ActivityFilter,
        scope: ActivityScope,
        page: Page,
    ) -> DomainResult<Paged<Activity>> {
        let query = self.filtered(filter, scope);
        let total = query
            .clone()
            .count(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(Paged {
            items: self.page(query, filter.oldest_first, page).await?,
            total,
        })
    }

    async fn first(&self, filter: &ActivityFilter, limit: u64) -> DomainResult<Vec<Activity>> {
        let query = self.filtered(filter, ActivityScope::Everything);
        self.page(query, filter.oldest_first, Page::first(limit))
            .await
    }
}

impl SeaActivityRepository {
    fn filtered(
        &self,
        filter: &ActivityFilter,
        scope: ActivityScope,
    ) -> sea_orm::Select<activity_logs::Entity> {
        use activity_logs::Column as C;
        let mut query = activity_logs::Entity::find();
        if let ActivityScope::VisibleTo(user) = scope {
            let visible = Query::select()
                .column(crate::entity::assignments::Column::Id)
                .from(crate::entity::assignments::Entity)
                .cond_where(scoped(AssignmentScope::Involving(user)))
                .to_owned();
            query = query.filter(
                Condition::any()
                    .add(C::ActorUserId.eq(user.0))
                    .add(C::AssignmentId.in_subquery(visible)),
            );
        }
        if let Some(id) = filter.assignment_id {
            query = query.filter(C::AssignmentId.eq(id));
        }
        if let Some(actor) = filter.actor_user_id {
            query = query.filter(C::ActorUserId.eq(actor.0));
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(C::Kind.eq(kind.as_str()));
        }
        if let Some(from) = filter.from {
            query = query.filter(C::CreatedAt.gte(self.db.stored_time(from)));
        }
        if let Some(to) = filter.to {
            query = query.filter(C::CreatedAt.lte(self.db.stored_time(to)));
        }
        query
    }

    async fn page(
        &self,
        query: sea_orm::Select<activity_logs::Entity>,
        oldest_first: bool,
        page: Page,
    ) -> DomainResult<Vec<Activity>> {
        use activity_logs::Column as C;
        let query = if oldest_first {
            query.order_by_asc(C::CreatedAt).order_by_asc(C::Id)
        } else {
            query.order_by_desc(C::CreatedAt).order_by_desc(C::Id)
        };
        let rows = query
            .offset(page.skip)
            .limit(page.limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(rows.into_iter().map(to_activity).collect())
    }
}
