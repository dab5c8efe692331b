//! Notifications, their email deliveries, preferences, the sweeps' reads and the job leases.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
    Value,
};
use time::OffsetDateTime;
use zenops_domain::Role;
use zenops_domain::activity::PayloadValue;
use zenops_domain::error::{DomainError, DomainResult};
use zenops_domain::jobs::{JobLeases, JobStatus, Lease};
use zenops_domain::notification::email::{
    DeliveryStatus, EmailOutbox, OutgoingEmail, Sent, Settlement,
};
use zenops_domain::notification::sweep::{DueTask, DueWork, SweepSource};
use zenops_domain::notification::{
    Audience, CursorMove, Delivery, DeliveryFilter, Notification, NotificationDraft,
    NotificationFilter, NotificationOutbox, NotificationRepository, NotificationType, People,
    Preferences, TrailEvent, UnreadCount,
};
use zenops_domain::user::UserId;

use crate::Database;
use crate::activities::payload_json;
use crate::db::stored_time_on;
use crate::entity::{
    activity_logs, job_leases, notification_deliveries, notifications, user_notification_prefs,
};
use crate::error::unexpected;
use crate::sql::statement;

const EMAIL: &str = "EMAIL";

/// Rows per multi-row insert (7 values each, far below either database's limit).
const INSERT_CHUNK: usize = 100;

pub struct SeaNotifications {
    db: Database,
}

impl SeaNotifications {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    fn at(&self, at: OffsetDateTime) -> OffsetDateTime {
        self.db.stored_time(at)
    }
}

fn kind_of(raw: &str) -> DomainResult<NotificationType> {
    raw.parse()
        .map_err(|e: String| DomainError::unexpected(format!("stored notification type: {e}")))
}

fn to_notification(row: notifications::Model) -> DomainResult<Notification> {
    Ok(Notification {
        id: row.id,
        user_id: UserId(row.user_id),
        kind: kind_of(&row.kind)?,
        message: row.message,
        payload_json: row.payload_json,
        read_at: row.read_at,
        snoozed_until: row.snoozed_until,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn status_of(raw: &str) -> DomainResult<DeliveryStatus> {
    raw.parse()
        .map_err(|e: String| DomainError::unexpected(format!("stored delivery status: {e}")))
}

fn per_type_json(preferences: &Preferences) -> String {
    let map: serde_json::Map<String, serde_json::Value> = preferences
        .per_type
        .iter()
        .map(|(t, on)| (t.as_str().to_owned(), (*on).into()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

fn to_preferences(row: &user_notification_prefs::Model) -> Preferences {
    let per_type =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&row.per_type_json)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_bool()?)))
            .collect();
    Preferences {
        email_enabled: row.email_enabled,
        per_type,
    }
}

/// A trail payload (a JSON object) as the notifier reads it.
fn payload_fields(json: &str) -> Vec<(String, PayloadValue)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(json) else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::Bool(b) => PayloadValue::Bool(b),
                serde_json::Value::Number(n) => {
                    n.as_i64().map_or(PayloadValue::Null, PayloadValue::Int)
                }
                serde_json::Value::String(s) => PayloadValue::Text(s),
                serde_json::Value::Array(items) => {
                    PayloadValue::Ints(items.iter().filter_map(serde_json::Value::as_i64).collect())
                }
                _ => PayloadValue::Null,
            };
            (k, value)
        })
        .collect()
}

#[async_trait]
impl NotificationRepository for SeaNotifications {
    async fn list(
        &self,
        user: UserId,
        filter: &NotificationFilter,
        now: OffsetDateTime,
    ) -> DomainResult<Vec<Notification>> {
        use notifications::Column as C;
        let mut query = notifications::Entity::find().filter(C::UserId.eq(user.0));
        if filter.unread_only {
            query = query.filter(C::ReadAt.is_null());
        }
        if !filter.include_snoozed {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(C::SnoozedUntil.is_null())
                    .add(C::SnoozedUntil.lte(self.at(now))),
            );
        }
        if let Some(kind) = filter.kind {
            query = query.filter(C::Kind.eq(kind.as_str()));
        }
        if let Some(text) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            query = query.filter(
                Expr::expr(Func::lower(Expr::col(C::Message)))
                    .like(crate::sql::contains_pattern(text)),
            );
        }
        if let Some(from) = filter.created_from {
            query = query.filter(C::CreatedAt.gte(self.at(from)));
        }
        if let Some(to) = filter.created_to {
            query = query.filter(C::CreatedAt.lte(self.at(to)));
        }
        let rows = query
            .order_by_desc(C::CreatedAt)
            .order_by_desc(C::Id)
            .limit(filter.limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        rows.into_iter().map(to_notification).collect()
    }

    async fn unread(&self, user: UserId, now: OffsetDateTime) -> DomainResult<UnreadCount> {
        let sql = "SELECT type AS kind, COUNT(*) AS n FROM notifications \
                   WHERE user_id = ? AND read_at IS NULL \
                   AND (snoozed_until IS NULL OR snoozed_until <= ?) GROUP BY type ORDER BY type";
        let rows = self
            .db
            .query_all(sql, vec![user.0.into(), self.at(now).into()])
            .await
            .map_err(unexpected)?;
        let mut count = UnreadCount::default();
        for row in rows {
            let kind: String = row.try_get("", "kind").map_err(unexpected)?;
            let n: i64 = row.try_get("", "n").map_err(unexpected)?;
            let n = u64::try_from(n).unwrap_or_default();
            count.total += n;
            count.by_type.push((kind_of(&kind)?, n));
        }
        Ok(count)
    }

    async fn mark_read(
        &self,
        user: UserId,
        id: i64,
        now: OffsetDateTime,
    ) -> DomainResult<Notification> {
        let sql = "UPDATE notifications SET read_at = ?, updated_at = ? \
                   WHERE id = ? AND user_id = ? AND read_at IS NULL";
        let at = self.at(now);
        self.db
            .conn
            .execute_raw(statement(
                &self.db,
                sql,
                vec![at.into(), at.into(), id.into(), user.0.into()],
            ))
            .await
            .map_err(unexpected)?;
        let row = notifications::Entity::find_by_id(id)
            .filter(notifications::Column::UserId.eq(user.0))
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Notification"))?;
        to_notification(row)
    }

    async fn mark_all_read(&self, user: UserId, now: OffsetDateTime) -> DomainResult<u64> {
        let sql = "UPDATE notifications SET read_at = ?, updated_at = ? \
                   WHERE user_id = ? AND read_at IS NULL";
        let at = self.at(now);
        let done = self
            .db
            .conn
            .execute_raw(statement(
                &self.db,
                sql,
                vec![at.into(), at.into(), user.0.into()],
            ))
            .await
            .map_err(unexpected)?;
        Ok(done.rows_affected())
    }

    async fn snooze(
        &self,
        user: UserId,
        ids: &[i64],
        until: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> DomainResult<u64> {
        use notifications::Column as C;
        let done = notifications::Entity::update_many()
            .col_expr(C::SnoozedUntil, Expr::value(until.map(|u| self.at(u))))
            .col_expr(C::UpdatedAt, Expr::value(self.at(now)))
            .filter(C::UserId.eq(user.0))
            .filter(C::Id.is_in(ids.iter().copied()))
            .exec(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(done.rows_affected)
    }

    async fn preferences(&self, user: UserId) -> DomainResult<Preferences> {
        let row = user_notification_prefs::Entity::find_by_id(user.0)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(row.as_ref().map(to_preferences).unwrap_or_default())
    }

    async fn set_preferences(
        &self,
        user: UserId,
        preferences: &Preferences,
        now: OffsetDateTime,
    ) -> DomainResult<()> {
        let sql = "INSERT INTO user_notification_prefs \
                   (user_id, email_enabled, per_type_json, created_at, updated_at) \
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET \
                   email_enabled = excluded.email_enabled, \
                   per_type_json = excluded.per_type_json, updated_at = excluded.updated_at";
        let at = self.at(now);
        self.db
            .conn
            .execute_raw(statement(
                &self.db,
                sql,
                vec![
                    user.0.into(),
                    preferences.email_enabled.into(),
                    per_type_json(preferences).into(),
                    at.into(),
                    at.into(),
                ],
            ))
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn deliveries(&self, filter: &DeliveryFilter) -> DomainResult<Vec<Delivery>> {
        use notification_deliveries::Column as C;
        let mut query = notification_deliveries::Entity::find();
        if let Some(user) = filter.user_id {
            query = query.filter(C::UserId.eq(user.0));
        }
        if let Some(status) = filter.status {
            query = query.filter(C::Status.eq(status.as_str()));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(C::Kind.eq(kind.as_str()));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(C::CreatedAt.gte(self.at(from)));
        }
        if let Some(to) = filter.created_to {
            query = query.filter(C::CreatedAt.lte(self.at(to)));
        }
        let rows = query
            .order_by_desc(C::CreatedAt)
            .order_by_desc(C::Id)
            .limit(filter.limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        rows.into_iter()
            .map(|r| {
                Ok(Delivery {
                    id: r.id,
                    notification_id: r.notification_id,
                    user_id: UserId(r.user_id),
                    kind: kind_of(&r.kind)?,
                    channel: EMAIL,
                    status: status_of(&r.status)?,
                    attempts: r.attempts,
                    error: r.error,
                    created_at: r.created_at,
                    last_attempt_at: r.last_attempt_at,
                    sent_at: r.sent_at,
                })
            })
            .collect()
    }
}

#[async_trait]
impl NotificationOutbox for SeaNotifications {
    async fn trail_after(&self, cursor: i64, limit: u64) -> DomainResult<Vec<TrailEvent>> {
        use activity_logs::Column as C;
        let rows = activity_logs::Entity::find()
            .filter(C::Id.gt(cursor))
            .order_by_asc(C::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|r| TrailEvent {
                id: r.id,
                fields: payload_fields(&r.payload_json),
                kind: r.kind,
                actor: r.actor_user_id.map(UserId),
                assignment_id: r.assignment_id,
                message: r.message,
                at: r.created_at,
            })
            .collect())
    }

    async fn preferences_of(&self, users: &[UserId]) -> DomainResult<HashMap<UserId, Preferences>> {
        let mut out = HashMap::new();
        for chunk in users.chunks(500) {
            let rows = user_notification_prefs::Entity::find()
                .filter(user_notification_prefs::Column::UserId.is_in(chunk.iter().map(|u| u.0)))
                .all(&self.db.conn)
                .await
                .map_err(unexpected)?;
            for row in rows {
                out.insert(UserId(row.user_id), to_preferences(&row));
            }
        }
        Ok(out)
    }

    async fn store(
        &self,
        drafts: &[NotificationDraft],
        settled: &[String],
        cursor: Option<&CursorMove>,
        now: OffsetDateTime,
    ) -> DomainResult<u64> {
        // Only people who exist and are active are told (a stale mention must not stop
        // the notifier on a foreign key). Read before the transaction opens.
        let mut wanted: Vec<i64> = drafts.iter().map(|d| d.user.0).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut active = std::collections::HashSet::new();
        for chunk in wanted.chunks(500) {
            let rows: Vec<i64> = crate::entity::users::Entity::find()
                .select_only()
                .column(crate::entity::users::Column::Id)
                .filter(crate::entity::users::Column::Id.is_in(chunk.iter().copied()))
                .filter(crate::entity::users::Column::IsActive.eq(true))
                .into_tuple()
                .all(&self.db.conn)
                .await
                .map_err(unexpected)?;
            active.extend(rows);
        }
        // A fixed order, so two writers never wait on each other's rows crosswise.
        let mut drafts: Vec<&NotificationDraft> = drafts
            .iter()
            .filter(|d| active.contains(&d.user.0))
            .collect();
        drafts.sort_by(|a, b| (a.user, &a.key).cmp(&(b.user, &b.key)));
        drafts.dedup_by(|a, b| a.user == b.user && a.key == b.key);

        let (txn, _turn) = self.db.begin_write().await.map_err(unexpected)?;
        let backend = txn.get_database_backend();
        let at = stored_time_on(backend, now);
        if let Some(c) = cursor {
            let sql = "UPDATE job_leases SET cursor = ? \
                       WHERE job = ? AND holder = ? AND lease_until > ?";
            let moved = txn
                .execute_raw(crate::sql::statement_on(
                    backend,
                    sql,
                    vec![
                        c.to.into(),
                        c.job.into(),
                        c.holder.as_str().into(),
                        at.into(),
                    ],
                ))
                .await
                .map_err(unexpected)?;
            if moved.rows_affected() == 0 {
                return Err(DomainError::conflict(
                    "lease_lost",
                    format!("the {} job's lease was lost", c.job),
                ));
            }
        }
        let mut made = 0;
        for chunk in drafts.chunks(INSERT_CHUNK) {
            let mut sql = String::from(
                "INSERT INTO notifications \
                 (user_id, type, message, payload_json, dedup_key, created_at, updated_at) VALUES ",
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
            for (i, d) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
                values.extend([
                    d.user.0.into(),
                    d.kind.as_str().into(),
                    d.message.as_str().into(),
                    payload_json(&d.payload).into(),
                    d.key.as_str().into(),
                    at.into(),
                    at.into(),
                ]);
            }
            sql.push_str(
                " ON CONFLICT (user_id, dedup_key) DO NOTHING RETURNING id, user_id, dedup_key",
            );
            let rows = txn
                .query_all_raw(crate::sql::statement_on(backend, &sql, values))
                .await
                .map_err(unexpected)?;
            made += u64::try_from(rows.len()).unwrap_or_default();
            let mut emails: Vec<(i64, &NotificationDraft)> = Vec::new();
            for row in rows {
                let id: i64 = row.try_get("", "id").map_err(unexpected)?;
                let user: i64 = row.try_get("", "user_id").map_err(unexpected)?;
                let key: String = row.try_get("", "dedup_key").map_err(unexpected)?;
                if let Some(d) = chunk.iter().find(|d| d.user.0 == user && d.key == key)
                    && d.email
                {
                    emails.push((id, d));
                }
            }
            if emails.is_empty() {
                continue;
            }
            let mut sql = String::from(
                "INSERT INTO notification_deliveries \
                 (notification_id, user_id, type, channel, status, attempts, next_attempt_at, \
                 created_at) VALUES ",
            );
            let mut values: Vec<Value> = Vec::with_capacity(emails.len() * 7);
            for (i, (id, d)) in emails.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str("(?, ?, ?, ?, ?, 0, ?, ?)");
                values.extend([
                    (*id).into(),
                    d.user.0.into(),
                    d.kind.as_str().into(),
                    EMAIL.into(),
                    DeliveryStatus::Pending.as_str().into(),
                    at.into(),
                    at.into(),
                ]);
            }
            txn.execute_raw(crate::sql::statement_on(backend, &sql, values))
                .await
                .map_err(unexpected)?;
        }
        // Requests decided, withdrawn or cancelled wait for nobody any more.
        for chunk in settled.chunks(500) {
            let marks = crate::sql::marks(chunk.len());
            let sql = format!(
                "UPDATE notifications SET read_at = ?, updated_at = ? \
                 WHERE read_at IS NULL AND type = 'APPROVAL_PENDING' AND dedup_key IN ({marks})"
            );
            let mut values: Vec<Value> = vec![at.into(), at.into()];
            values.extend(chunk.iter().map(|k| Value::from(k.as_str())));
            txn.execute_raw(crate::sql::statement_on(backend, &sql, values))
                .await
                .map_err(unexpected)?;
        }
        txn.commit().await.map_err(unexpected)?;
        Ok(made)
    }
}

#[async_trait]
impl EmailOutbox for SeaNotifications {
    async fn claim(
        &self,
        now: OffsetDateTime,
        until: OffsetDateTime,
        limit: u64,
    ) -> DomainResult<Vec<OutgoingEmail>> {
        let at = self.at(now);
        let due = "channel = 'EMAIL' AND ((status = 'PENDING' AND next_attempt_at <= ?) \
                   OR (status = 'SENDING' AND claimed_until <= ?))";
        let sql = format!(
            "SELECT id FROM notification_deliveries WHERE {due} ORDER BY next_attempt_at, id LIMIT ?"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .db
            .query_all(&sql, vec![at.into(), at.into(), limit.into()])
            .await
            .map_err(unexpected)?;
        let mut claimed = Vec::new();
        for row in rows {
            let id: i64 = row.try_get("", "id").map_err(unexpected)?;
            // Each row is taken by one conditional write: whoever changes it owns it.
            let sql = format!(
                "UPDATE notification_deliveries SET status = 'SENDING', claimed_until = ? \
                 WHERE id = ? AND {due}"
            );
            let taken = self
                .db
                .conn
                .execute_raw(statement(
                    &self.db,
                    &sql,
                    vec![self.at(until).into(), id.into(), at.into(), at.into()],
                ))
                .await
                .map_err(unexpected)?;
            if taken.rows_affected() == 1 {
                claimed.push(id);
            }
        }
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = crate::sql::marks(claimed.len());
        let sql = format!(
            "SELECT d.id, d.user_id, d.attempts, n.type AS kind, n.message, u.email, u.full_name \
             FROM notification_deliveries d \
             JOIN notifications n ON n.id = d.notification_id \
             JOIN users u ON u.id = d.user_id \
             WHERE d.id IN ({placeholders}) ORDER BY d.id"
        );
        let rows = self
            .db
            .query_all(&sql, claimed.iter().map(|id| (*id).into()).collect())
            .await
            .map_err(unexpected)?;
        rows.into_iter()
            .map(|row| {
                let kind: String = row.try_get("", "kind").map_err(unexpected)?;
                Ok(OutgoingEmail {
                    delivery_id: row.try_get("", "id").map_err(unexpected)?,
                    user_id: UserId(row.try_get("", "user_id").map_err(unexpected)?),
                    to: row.try_get("", "email").map_err(unexpected)?,
                    name: row
                        .try_get::<Option<String>>("", "full_name")
                        .map_err(unexpected)?
                        .unwrap_or_default(),
                    kind: kind_of(&kind)?,
                    message: row.try_get("", "message").map_err(unexpected)?,
                    attempts: row.try_get("", "attempts").map_err(unexpected)?,
                })
            })
            .collect()
    }

    async fn sent_since(
        &self,
        users: &[UserId],
        since: OffsetDateTime,
    ) -> DomainResult<HashMap<UserId, u64>> {
        let mut out = HashMap::new();
        let mut users: Vec<i64> = users.iter().map(|u| u.0).collect();
        users.sort_unstable();
        users.dedup();
        for chunk in users.chunks(500) {
            let placeholders = crate::sql::marks(chunk.len());
            let sql = format!(
                "SELECT user_id, COUNT(*) AS n FROM notification_deliveries \
                 WHERE channel = 'EMAIL' AND status IN ('SENT', 'LOGGED') AND sent_at >= ? \
                 AND user_id IN ({placeholders}) GROUP BY user_id"
            );
            let mut values: Vec<Value> = vec![self.at(since).into()];
            values.extend(chunk.iter().map(|u| Value::from(*u)));
            let rows = self.db.query_all(&sql, values).await.map_err(unexpected)?;
            for row in rows {
                let user: i64 = row.try_get("", "user_id").map_err(unexpected)?;
                let n: i64 = row.try_get("", "n").map_err(unexpected)?;
                out.insert(UserId(user), u64::try_from(n).unwrap_or_default());
            }
        }
        Ok(out)
    }

    async fn settle(
        &self,
        delivery_id: i64,
        claimed_until: OffsetDateTime,
        settlement: &Settlement,
        now: OffsetDateTime,
    ) -> DomainResult<bool> {
        let at = self.at(now);
        let (status, next, error, provider, sent_at, counts): (
            DeliveryStatus,
            Option<OffsetDateTime>,
            Option<String>,
            Option<String>,
            Option<OffsetDateTime>,
            bool,
        ) = match settlement {
            Settlement::Sent(Sent::Delivered(id)) => {
                (DeliveryStatus::Sent, None, None, id.clone(), Some(at), true)
            }
            Settlement::Sent(Sent::Logged) => {
                (DeliveryStatus::Logged, None, None, None, Some(at), true)
            }
            Settlement::Retry { at: next, error } => (
                DeliveryStatus::Pending,
                Some(self.at(*next)),
                Some(error.clone()),
                None,
                None,
                true,
            ),
            Settlement::Failed(error) => (
                DeliveryStatus::Failed,
                None,
                Some(error.clone()),
                None,
                None,
                true,
            ),
            Settlement::Skipped(reason) => (
                DeliveryStatus::Skipped,
                None,
                Some(reason.clone()),
                None,
                None,
                false,
            ),
        };
        let attempts = if counts { "attempts + 1" } else { "attempts" };
        let last_attempt = if counts { "?" } else { "last_attempt_at" };
        let sql = format!(
            "UPDATE notification_deliveries SET status = ?, attempts = {attempts}, \
             last_attempt_at = {last_attempt}, next_attempt_at = COALESCE(?, next_attempt_at), \
             claimed_until = NULL, error = ?, provider_message_id = ?, sent_at = ? \
             WHERE id = ? AND status = 'SENDING' AND claimed_until = ?"
        );
        let mut values: Vec<Value> = vec![status.as_str().into()];
        if counts {
            values.push(at.into());
        }
        values.extend([
            next.into(),
            error.into(),
            provider.into(),
            sent_at.into(),
            delivery_id.into(),
            self.at(claimed_until).into(),
        ]);
        let done = self
            .db
            .conn
            .execute_raw(statement(&self.db, &sql, values))
            .await
            .map_err(unexpected)?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl SweepSource for SeaNotifications {
    async fn work_due_before(&self, before: OffsetDateTime) -> DomainResult<Vec<DueWork>> {
        let open = "a.deleted_at IS NULL AND a.status NOT IN ('COMPLETED', 'CANCELLED') \
                    AND a.due_at < ?";
        let sql = format!(
            "SELECT a.id, a.assignment_code, a.due_at, a.assigned_to_user_id FROM assignments a \
             WHERE {open} ORDER BY a.due_at, a.id"
        );
        let before = self.at(before);
        let rows = self
            .db
            .query_all(&sql, vec![before.into()])
            .await
            .map_err(unexpected)?;
        let mut work = Vec::with_capacity(rows.len());
        let mut index = HashMap::new();
        for row in rows {
            let id: i64 = row.try_get("", "id").map_err(unexpected)?;
            let primary: Option<i64> =
                row.try_get("", "assigned_to_user_id").map_err(unexpected)?;
            index.insert(id, work.len());
            work.push(DueWork {
                assignment_id: id,
                code: row.try_get("", "assignment_code").map_err(unexpected)?,
                due_at: row.try_get("", "due_at").map_err(unexpected)?,
                people: primary.map(UserId).into_iter().collect(),
            });
        }
        let sql = format!(
            "SELECT aa.assignment_id, aa.user_id FROM assignment_assignees aa \
             JOIN assignments a ON a.id = aa.assignment_id WHERE {open} \
             ORDER BY aa.assignment_id, aa.user_id"
        );
        let rows = self
            .db
            .query_all(&sql, vec![before.into()])
            .await
            .map_err(unexpected)?;
        for row in rows {
            let id: i64 = row.try_get("", "assignment_id").map_err(unexpected)?;
            let user: i64 = row.try_get("", "user_id").map_err(unexpected)?;
            if let Some(w) = index.get(&id).and_then(|i| work.get_mut(*i))
                && !w.people.contains(&UserId(user))
            {
                w.people.push(UserId(user));
            }
        }
        Ok(work)
    }

    async fn tasks_due_before(&self, before: OffsetDateTime) -> DomainResult<Vec<DueTask>> {
        let sql = "SELECT t.id, t.assignment_id, a.assignment_code, t.title, t.due_at, \
                   t.assigned_to_user_id FROM assignment_tasks t \
                   JOIN assignments a ON a.id = t.assignment_id \
                   WHERE t.status <> 'DONE' AND t.assigned_to_user_id IS NOT NULL \
                   AND t.due_at IS NOT NULL AND t.due_at < ? AND a.deleted_at IS NULL \
                   AND a.status NOT IN ('COMPLETED', 'CANCELLED') ORDER BY t.due_at, t.id";
        let rows = self
            .db
            .query_all(sql, vec![self.at(before).into()])
            .await
            .map_err(unexpected)?;
        rows.into_iter()
            .map(|row| {
                Ok(DueTask {
                    task_id: row.try_get("", "id").map_err(unexpected)?,
                    assignment_id: row.try_get("", "assignment_id").map_err(unexpected)?,
                    code: row.try_get("", "assignment_code").map_err(unexpected)?,
                    title: row.try_get("", "title").map_err(unexpected)?,
                    due_at: row.try_get("", "due_at").map_err(unexpected)?,
                    assignee: UserId(row.try_get("", "assigned_to_user_id").map_err(unexpected)?),
                })
            })
            .collect()
    }
}

#[async_trait]
impl Audience for SeaNotifications {
    async fn people_on(&self, assignment_id: i64) -> DomainResult<Option<People>> {
        Ok(self
            .people_of(&[assignment_id])
            .await?
            .remove(&assignment_id))
    }

    async fn people_of(&self, assignment_ids: &[i64]) -> DomainResult<HashMap<i64, People>> {
        let mut out: HashMap<i64, People> = HashMap::new();
        for chunk in assignment_ids.chunks(500) {
            let marks = crate::sql::marks(chunk.len());
            let values: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
            let sql = format!(
                "SELECT id, assignment_code, assigned_to_user_id FROM assignments \
                 WHERE deleted_at IS NULL AND id IN ({marks})"
            );
            let rows = self
                .db
                .query_all(&sql, values.clone())
                .await
                .map_err(unexpected)?;
            for row in rows {
                let id: i64 = row.try_get("", "id").map_err(unexpected)?;
                let primary: Option<i64> =
                    row.try_get("", "assigned_to_user_id").map_err(unexpected)?;
                out.insert(
                    id,
                    People {
                        code: row.try_get("", "assignment_code").map_err(unexpected)?,
                        primary: primary.map(UserId),
                        everyone: primary.map(UserId).into_iter().collect(),
                    },
                );
            }
            // The others on them.
            let sql = format!(
                "SELECT assignment_id, user_id FROM assignment_assignees \
                 WHERE assignment_id IN ({marks}) ORDER BY assignment_id, user_id"
            );
            let rows = self.db.query_all(&sql, values).await.map_err(unexpected)?;
            for row in rows {
                let id: i64 = row.try_get("", "assignment_id").map_err(unexpected)?;
                let user = UserId(row.try_get("", "user_id").map_err(unexpected)?);
                if let Some(people) = out.get_mut(&id)
                    && !people.everyone.contains(&user)
                {
                    people.everyone.push(user);
                }
            }
        }
        Ok(out)
    }

    async fn active_with_roles(&self, roles: &[Role]) -> DomainResult<Vec<UserId>> {
        let rows: Vec<(i64, String)> = crate::entity::users::Entity::find()
            .select_only()
            .column(crate::entity::users::Column::Id)
            .column(crate::entity::users::Column::Roles)
            .filter(crate::entity::users::Column::IsActive.eq(true))
            .order_by_asc(crate::entity::users::Column::Id)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        let mut out = Vec::new();
        for (id, names) in rows {
            let held: Vec<String> = serde_json::from_str(&names).unwrap_or_default();
            if held
                .iter()
                .filter_map(|name| name.parse::<Role>().ok())
                .any(|role| roles.contains(&role))
            {
                out.push(UserId(id));
            }
        }
        Ok(out)
    }
}

/// The job leases, one row per job.
pub struct SeaJobLeases {
    db: Database,
}

impl SeaJobLeases {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl JobLeases for SeaJobLeases {
    async fn acquire(
        &self,
        job: &'static str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> DomainResult<Option<Lease>> {
        let now = self.db.stored_time(now);
        let until = self.db.stored_time(until);
        // The row exists once; then one conditional write decides (`jobs::may_take`).
        let create = "INSERT INTO job_leases (job, cursor, runs) VALUES (?, 0, 0) \
                      ON CONFLICT (job) DO NOTHING";
        self.db
            .conn
            .execute_raw(statement(&self.db, create, vec![job.into()]))
            .await
            .map_err(unexpected)?;
        let take = "UPDATE job_leases SET holder = ?, lease_until = ?, last_started_at = ? \
                    WHERE job = ? AND (holder IS NULL OR lease_until IS NULL OR holder = ? \
                    OR lease_until <= ?)";
        let taken = self
            .db
            .conn
            .execute_raw(statement(
                &self.db,
                take,
                vec![
                    holder.into(),
                    until.into(),
                    now.into(),
                    job.into(),
                    holder.into(),
                    now.into(),
                ],
            ))
            .await
            .map_err(unexpected)?;
        if taken.rows_affected() == 0 {
            return Ok(None);
        }
        let row = job_leases::Entity::find_by_id(job.to_owned())
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or_else(|| DomainError::unexpected("the job lease row vanished"))?;
        Ok(Some(Lease {
            job,
            holder: holder.to_owned(),
            until,
            cursor: row.cursor,
        }))
    }

    async fn release(
        &self,
        lease: &Lease,
        now: OffsetDateTime,
        outcome: Result<String, String>,
    ) -> DomainResult<()> {
        let now = self.db.stored_time(now);
        let (ok, text) = match outcome {
            Ok(summary) => (true, summary),
            Err(error) => (false, error),
        };
        let text: String = text.chars().take(500).collect();
        let sql = "UPDATE job_leases SET holder = NULL, lease_until = NULL, \
                   last_finished_at = ?, last_result = ?, last_ok = ?, runs = runs + 1 \
                   WHERE job = ? AND holder = ?";
        self.db
            .conn
            .execute_raw(statement(
                &self.db,
                sql,
                vec![
                    now.into(),
                    text.into(),
                    ok.into(),
                    lease.job.into(),
                    lease.holder.as_str().into(),
                ],
            ))
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn status(&self) -> DomainResult<Vec<JobStatus>> {
        let rows = job_leases::Entity::find()
            .order_by_asc(job_leases::Column::Job)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|r| JobStatus {
                job: r.job,
                holder: r.holder,
                lease_until: r.lease_until,
                last_started_at: r.last_started_at,
                last_finished_at: r.last_finished_at,
                last_result: r.last_result,
                last_ok: r.last_ok,
                runs: r.runs,
                cursor: r.cursor,
            })
            .collect())
    }
}
