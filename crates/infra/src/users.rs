//! The user repository.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Unchanged,
};
use time::OffsetDateTime;
use zenops_domain::access::{CapabilityOverrides, Role, Roles};
use zenops_domain::activity::ActivityDraft;
use zenops_domain::page::{Page, Paged};
use zenops_domain::user::{
    Email, LoginActivity, PasswordHash, SessionUser, SessionsAfter, User, UserFilter, UserId,
    UserProfile, UserRepository,
};
use zenops_domain::{DomainError, DomainResult};

use crate::activities::record_all;
use crate::db::stored_time_on;
use crate::entity::users;
use crate::error::{Violation, unexpected, violation};
use crate::sql::statement;
use crate::{Database, DatabaseKind, SharedClock};

pub struct SeaUserRepository {
    db: Database,
    clock: SharedClock,
}

impl SeaUserRepository {
    pub fn new(db: Database, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

/// Matches rows whose JSON role list holds `role`.
fn has_role(role: Role) -> sea_orm::Condition {
    sea_orm::Condition::all().add(users::Column::Roles.like(format!("%\"{}\"%", role.as_str())))
}

fn to_user(row: users::Model) -> DomainResult<User> {
    let corrupt =
        |what: &str| DomainError::unexpected(format!("user {}: stored {what} is invalid", row.id));
    let names: Vec<String> = serde_json::from_str(&row.roles).map_err(|_| corrupt("roles"))?;
    let roles = Roles::parse(&names).map_err(|_| corrupt("roles"))?;
    let overrides: BTreeMap<String, bool> = serde_json::from_str(&row.capability_overrides)
        .map_err(|_| corrupt("capability overrides"))?;
    let capability_overrides =
        CapabilityOverrides::parse(overrides.iter().map(|(k, v)| (k.as_str(), *v)))
            .map_err(|_| corrupt("capability overrides"))?;
    let email = Email::parse(&row.email).map_err(|_| corrupt("email"))?;
    Ok(User {
        id: UserId(row.id),
        email,
        full_name: row.full_name,
        phone: row.phone,
        roles,
        is_active: row.is_active,
        capability_overrides,
        last_login_at: row.last_login_at,
        session_generation: row.session_generation,
        password_change_required: row.password_change_required,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn roles_json(roles: &Roles) -> String {
    serde_json::Value::from(roles.names()).to_string()
}

fn overrides_json(overrides: &CapabilityOverrides) -> String {
    let map: serde_json::Map<String, serde_json::Value> = overrides
        .iter()
        .map(|(cap, value)| (cap.key().to_owned(), value.into()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

fn write_error(err: sea_orm::DbErr) -> DomainError {
    match violation(&err) {
        Some(Violation::Unique(_)) => {
            DomainError::conflict("duplicate_email", "A user with this email already exists")
        }
        _ => unexpected(err),
    }
}

pub(crate) fn apply_profile(row: &mut users::ActiveModel, profile: &UserProfile) {
    row.email = Set(profile.email.as_str().to_owned());
    row.full_name = Set(profile.full_name.clone());
    row.phone = Set(profile.phone.clone());
    row.roles = Set(roles_json(&profile.roles));
    row.capability_overrides = Set(overrides_json(&profile.capability_overrides));
    row.is_active = Set(profile.is_active);
}

async fn active_admins(txn: &DatabaseTransaction, lock: bool) -> DomainResult<u64> {
    let mut query = users::Entity::find()
        .filter(users::Column::IsActive.eq(true))
        .filter(has_role(Role::Admin));
    if lock {
        // Serialises concurrent demotions: the second waits and then sees the first. In
        // id order, so two lockers never hold each other's rows; and FOR NO KEY UPDATE,
        // which (unlike FOR UPDATE) does not wait for the key-share locks that any
        // transaction inserting a row that names an ADMIN (an approval's decider, an
        // assignment's creator) holds on that ADMIN's row.
        query = query
            .order_by_asc(users::Column::Id)
            .lock(sea_orm::sea_query::LockType::NoKeyUpdate);
        let locked = query.all(txn).await.map_err(unexpected)?;
        return Ok(locked.len() as u64);
    }
    query.count(txn).await.map_err(unexpected)
}

/// What [`update_in`] writes.
pub(crate) struct UserWrite<'a> {
    pub profile: &'a UserProfile,
    pub hash: Option<&'a PasswordHash>,
    pub keep_an_active_admin: bool,
    pub sessions: &'a SessionsAfter,
}

fn stale() -> DomainError {
    DomainError::conflict(
        "stale",
        "This user was changed meanwhile; reload and try again",
    )
}

/// [`UserRepository::update`] inside `txn`; the caller commits. Refused writes leave the
/// transaction to be rolled back.
pub(crate) async fn update_in(
    txn: &DatabaseTransaction,
    id: UserId,
    read_at: OffsetDateTime,
    write: &UserWrite<'_>,
    at: OffsetDateTime,
) -> DomainResult<User> {
    let backend = txn.get_database_backend();
    // On PostgreSQL the admins are locked first so concurrent demotions queue. SQLite
    // needs no lock (writers are serialised) and must write before it reads: a read
    // first would make this transaction's later write fail against a concurrent one.
    if write.keep_an_active_admin && backend == sea_orm::DbBackend::Postgres {
        active_admins(txn, true).await?;
    }
    let mut row = users::ActiveModel {
        id: Unchanged(id.0),
        updated_at: Set(stored_time_on(backend, at)),
        ..Default::default()
    };
    apply_profile(&mut row, write.profile);
    if let Some(hash) = write.hash {
        row.password_hash = Set(hash.0.clone());
        row.password_change_required = Set(false);
    }
    // Only over the row the change was made from: a concurrent write in between (a
    // deactivation, a demotion, a reset) wins, and this one is refused as stale.
    let written = users::Entity::update_many()
        .set(row)
        .filter(users::Column::Id.eq(id.0))
        .filter(users::Column::UpdatedAt.eq(stored_time_on(backend, read_at)))
        .exec(txn)
        .await
        .map_err(write_error)?;
    let found = users::Entity::find_by_id(id.0)
        .one(txn)
        .await
        .map_err(unexpected)?;
    let mut saved = match (written.rows_affected, found) {
        (_, None) => return Err(DomainError::NotFound("User")),
        (0, Some(_)) => return Err(stale()),
        (_, Some(saved)) => saved,
    };
    let kept = match write.sessions {
        SessionsAfter::Keep => None,
        SessionsAfter::EndAll => Some(None),
        SessionsAfter::EndAllBut(session_id) => Some(Some(session_id.clone())),
    };
    if let Some(kept) = kept {
        // Incremented in SQL, so concurrent changes each move the generation on.
        let generation = Expr::col(users::Column::SessionGeneration).add(1);
        users::Entity::update_many()
            .col_expr(users::Column::SessionGeneration, generation)
            .col_expr(users::Column::SessionKeptId, Expr::value(kept))
            .filter(users::Column::Id.eq(id.0))
            .exec(txn)
            .await
            .map_err(unexpected)?;
        saved = users::Entity::find_by_id(id.0)
            .one(txn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("User"))?;
    }
    if write.keep_an_active_admin && active_admins(txn, false).await? == 0 {
        return Err(DomainError::conflict(
            "last_admin",
            "This is the last active ADMIN: make someone else an ADMIN first",
        ));
    }
    to_user(saved)
}

/// [`zenops_domain::user::UserStore::require_new_password`] inside `txn`.
pub(crate) async fn require_new_password_in(
    txn: &DatabaseTransaction,
    id: UserId,
    read_at: OffsetDateTime,
    at: OffsetDateTime,
) -> DomainResult<User> {
    let backend = txn.get_database_backend();
    let generation = Expr::col(users::Column::SessionGeneration).add(1);
    let written = users::Entity::update_many()
        .col_expr(users::Column::PasswordChangeRequired, Expr::value(true))
        .col_expr(users::Column::SessionGeneration, generation)
        .col_expr(
            users::Column::SessionKeptId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            users::Column::UpdatedAt,
            Expr::value(stored_time_on(backend, at)),
        )
        .filter(users::Column::Id.eq(id.0))
        .filter(users::Column::UpdatedAt.eq(stored_time_on(backend, read_at)))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    let found = users::Entity::find_by_id(id.0)
        .one(txn)
        .await
        .map_err(unexpected)?
        .ok_or(DomainError::NotFound("User"))?;
    if written.rows_affected == 0 {
        return Err(stale());
    }
    to_user(found)
}

#[async_trait]
impl UserRepository for SeaUserRepository {
    async fn get(&self, id: UserId) -> DomainResult<User> {
        users::Entity::find_by_id(id.0)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("User"))
            .and_then(to_user)
    }

    async fn get_for_session(
        &self,
        id: UserId,
        session_id: &str,
    ) -> DomainResult<Option<SessionUser>> {
        let sql = "SELECT u.*, EXISTS (SELECT 1 FROM revoked_sessions r WHERE r.session_id = ?) AS revoked, \
                   COALESCE(u.session_kept_id = ?, FALSE) AS kept \
                   FROM users u WHERE u.id = ?";
        let values = vec![session_id.into(), session_id.into(), id.0.into()];
        let stmt = statement(&self.db, sql, values);
        let Some(row) = self.db.conn.query_one_raw(stmt).await.map_err(unexpected)? else {
            return Ok(None);
        };
        let model = users::Model::from_query_result(&row, "").map_err(unexpected)?;
        let revoked: bool = row.try_get("", "revoked").map_err(unexpected)?;
        let kept: bool = row.try_get("", "kept").map_err(unexpected)?;
        Ok(Some(SessionUser {
            user: to_user(model)?,
            revoked,
            kept,
        }))
    }

    async fn find_by_email(&self, email: &Email) -> DomainResult<Option<(User, PasswordHash)>> {
        let row = users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?;
        row.map(|row| {
            let hash = PasswordHash(row.password_hash.clone());
            to_user(row).map(|user| (user, hash))
        })
        .transpose()
    }

    async fn password_hash(&self, id: UserId) -> DomainResult<PasswordHash> {
        let hash: Option<String> = users::Entity::find_by_id(id.0)
            .select_only()
            .column(users::Column::PasswordHash)
            .into_tuple()
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?;
        hash.map(PasswordHash).ok_or(DomainError::NotFound("User"))
    }

    async fn list(&self, filter: &UserFilter, page: Page) -> DomainResult<Paged<User>> {
        let mut query = users::Entity::find();
        if !filter.include_inactive {
            query = query.filter(users::Column::IsActive.eq(true));
        }
        if let Some(role) = filter.role {
            query = query.filter(has_role(role));
        }
        query = if filter.by_name {
            // People without a name sort last on both databases.
            query
                .order_by_asc(Expr::col(users::Column::FullName).is_null())
                .order_by_asc(Expr::expr(Func::lower(Expr::col(users::Column::FullName))))
                .order_by_asc(users::Column::Email)
        } else {
            query
                .order_by_asc(users::Column::CreatedAt)
                .order_by_asc(users::Column::Id)
        };
        let total = query
            .clone()
            .count(&self.db.conn)
            .await
            .map_err(unexpected)?;
        let rows = query
            .offset(page.skip)
            .limit(page.limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        let items = rows.into_iter().map(to_user).collect::<DomainResult<_>>()?;
        Ok(Paged { items, total })
    }

    async fn insert(&self, profile: &UserProfile, hash: &PasswordHash) -> DomainResult<User> {
        let now = self.db.stored_time(self.clock.now());
        let mut row = users::ActiveModel {
            password_hash: Set(hash.0.clone()),
            last_login_at: Set(None),
            session_generation: Set(0),
            password_change_required: Set(false),
            session_kept_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        apply_profile(&mut row, profile);
        let saved = row.insert(&self.db.conn).await.map_err(write_error)?;
        to_user(saved)
    }

    async fn update(
        &self,
        id: UserId,
        read_at: OffsetDateTime,
        profile: &UserProfile,
        hash: Option<&PasswordHash>,
        keep_an_active_admin: bool,
        sessions: &SessionsAfter,
    ) -> DomainResult<User> {
        let (txn, _turn) = self.db.begin_write().await.map_err(unexpected)?;
        let write = UserWrite {
            profile,
            hash,
            keep_an_active_admin,
            sessions,
        };
        let saved = update_in(&txn, id, read_at, &write, self.clock.now()).await?;
        txn.commit().await.map_err(unexpected)?;
        Ok(saved)
    }

    async fn login_activity(
        &self,
        users: &[UserId],
        since: OffsetDateTime,
        day_offset: time::UtcOffset,
    ) -> DomainResult<Vec<(UserId, LoginActivity)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        // Local dates at a fixed offset: whole seconds we computed, written into the SQL.
        let offset = day_offset.whole_seconds();
        let local_day = match self.db.kind {
            DatabaseKind::Sqlite => format!("date(created_at, '{offset:+} seconds')"),
            DatabaseKind::Postgres => {
                format!(
                    "CAST((created_at AT TIME ZONE 'UTC') + INTERVAL '{offset} seconds' AS DATE)"
                )
            }
        };
        let marks = crate::sql::marks(users.len());
        let sql = format!(
            "SELECT actor_user_id, COUNT(*) AS logins, COUNT(DISTINCT {local_day}) AS active_days \
             FROM activity_logs \
             WHERE \"type\" = 'USER_LOGIN' AND created_at >= ? AND actor_user_id IN ({marks}) \
             GROUP BY actor_user_id"
        );
        let mut values: Vec<sea_orm::Value> = vec![self.db.stored_time(since).into()];
        values.extend(users.iter().map(|id| sea_orm::Value::from(id.0)));
        let rows = self.db.query_all(&sql, values).await.map_err(unexpected)?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("", "actor_user_id").map_err(unexpected)?;
                let logins: i64 = row.try_get("", "logins").map_err(unexpected)?;
                let days: i64 = row.try_get("", "active_days").map_err(unexpected)?;
                let count = |n: i64| u64::try_from(n).unwrap_or(0);
                let activity = LoginActivity {
                    logins: count(logins),
                    active_days: count(days),
                };
                Ok((UserId(id), activity))
            })
            .collect()
    }

    async fn record_login(
        &self,
        id: UserId,
        at: OffsetDateTime,
        entry: &ActivityDraft,
    ) -> DomainResult<()> {
        let (txn, _turn) = self.db.begin_write().await.map_err(unexpected)?;
        users::Entity::update_many()
            .col_expr(
                users::Column::LastLoginAt,
                Expr::value(self.db.stored_time(at)),
            )
            .filter(users::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        record_all(&txn, std::slice::from_ref(entry), at)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)
    }
}
