//! Revoked sessions and the login throttle, in the database so that every API instance
//! behind a load balancer shares them.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait, QueryFilter,
    QuerySelect, Set,
};
use time::OffsetDateTime;
use zenops_domain::DomainResult;
use zenops_domain::activity::ActivityDraft;
use zenops_domain::auth::{
    Admission, AttemptId, FailureCounts, LoginThrottleStore, SessionRevocations, ThrottlePolicy,
};

use crate::activities::record_all;
use crate::entity::{login_failures, revoked_sessions};
use crate::error::unexpected;
use crate::sql::statement;
use crate::{Database, DatabaseKind, SharedClock};

pub struct SeaSessionRevocations {
    db: Database,
    clock: SharedClock,
}

impl SeaSessionRevocations {
    pub fn new(db: Database, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

#[async_trait]
impl SessionRevocations for SeaSessionRevocations {
    async fn revoke(
        &self,
        session_id: &str,
        expires_at: OffsetDateTime,
        entry: &ActivityDraft,
    ) -> DomainResult<()> {
        let now = self.db.stored_time(self.clock.now());
        let (txn, _turn) = self.db.begin_write().await.map_err(unexpected)?;
        // Expired sessions fail on their own; their rows are no longer needed.
        revoked_sessions::Entity::delete_many()
            .filter(revoked_sessions::Column::ExpiresAt.lt(now))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let row = revoked_sessions::ActiveModel {
            session_id: Set(session_id.to_owned()),
            expires_at: Set(self.db.stored_time(expires_at)),
            revoked_at: Set(now),
        };
        revoked_sessions::Entity::insert(row)
            .on_conflict_do_nothing_on([revoked_sessions::Column::SessionId])
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        record_all(&txn, std::slice::from_ref(entry), now)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)
    }
}

pub struct SeaLoginThrottle {
    db: Database,
}

/// Advisory-lock class of the login throttle on PostgreSQL (the second key is the address).
const THROTTLE_LOCK_CLASS: i32 = 0x7a6c;

impl SeaLoginThrottle {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Attempts matching `filter` other than `own`, and the oldest of them.
    async fn count(
        txn: &DatabaseTransaction,
        filter: sea_orm::Condition,
        own: i64,
    ) -> DomainResult<(u32, Option<OffsetDateTime>)> {
        let row: Option<(i64, Option<OffsetDateTime>)> = login_failures::Entity::find()
            .select_only()
            .column_as(Expr::col(login_failures::Column::Id).count(), "n")
            .column_as(Expr::col(login_failures::Column::FailedAt).min(), "oldest")
            .filter(filter)
            .filter(login_failures::Column::Id.ne(own))
            .into_tuple()
            .one(txn)
            .await
            .map_err(unexpected)?;
        let (n, oldest) = row.unwrap_or((0, None));
        Ok((u32::try_from(n).unwrap_or(u32::MAX), oldest))
    }
}

#[async_trait]
impl LoginThrottleStore for SeaLoginThrottle {
    async fn begin_attempt(
        &self,
        account: &str,
        address: &str,
        at: OffsetDateTime,
        policy: &ThrottlePolicy,
    ) -> DomainResult<Admission> {
        use login_failures::Column as C;
        let since = self.db.stored_time(at - policy.window);
        let (txn, _turn) = self.db.begin_write().await.map_err(unexpected)?;
        // Attempts from one address are recorded and counted one at a time, so each sees
        // every attempt admitted before it. PostgreSQL takes a lock on the address for the
        // transaction (rows being inserted are invisible to a concurrent count, so a
        // row lock could not do it); SQLite has one writer, and the insert below takes its
        // write lock before anything is read.
        if self.db.kind == DatabaseKind::Postgres {
            let lock = statement(
                &self.db,
                "SELECT pg_advisory_xact_lock(?, hashtext(?))",
                vec![THROTTLE_LOCK_CLASS.into(), address.into()],
            );
            txn.execute_raw(lock).await.map_err(unexpected)?;
        }
        let row = login_failures::ActiveModel {
            account: Set(account.to_owned()),
            address: Set(address.to_owned()),
            failed_at: Set(self.db.stored_time(at)),
            ..Default::default()
        };
        let own = login_failures::Entity::insert(row)
            .exec(&txn)
            .await
            .map_err(unexpected)?
            .last_insert_id;
        // This address's attempts that have left the window are no longer needed.
        login_failures::Entity::delete_many()
            .filter(C::Address.eq(address))
            .filter(C::FailedAt.lte(since))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let in_window = || {
            sea_orm::Condition::all()
                .add(C::Address.eq(address))
                .add(C::FailedAt.gt(since))
        };
        let (pair, pair_oldest) =
            Self::count(&txn, in_window().add(C::Account.eq(account)), own).await?;
        let (any, any_oldest) = Self::count(&txn, in_window(), own).await?;
        let counts = FailureCounts {
            account_and_address: pair,
            account_and_address_oldest: pair_oldest,
            address: any,
            address_oldest: any_oldest,
        };
        if let Some(retry_after_secs) = policy.retry_after(&counts, at) {
            // A refused attempt is not counted: waiting out the window is enough.
            txn.rollback().await.map_err(unexpected)?;
            return Ok(Admission::Refused { retry_after_secs });
        }
        txn.commit().await.map_err(unexpected)?;
        Ok(Admission::Admitted(AttemptId(own)))
    }

    async fn record_failure(
        &self,
        attempt: AttemptId,
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
        entry: &ActivityDraft,
    ) -> DomainResult<()> {
        let (txn, _turn) = self.db.begin_write().await.map_err(unexpected)?;
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::FailedAt.lt(self.db.stored_time(forget_before)))
            .filter(login_failures::Column::Id.ne(attempt.0))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        record_all(&txn, std::slice::from_ref(entry), at)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)
    }

    async fn withdraw(&self, attempt: AttemptId) -> DomainResult<()> {
        login_failures::Entity::delete_by_id(attempt.0)
            .exec(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn clear(&self, account: &str, address: &str, through: AttemptId) -> DomainResult<()> {
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::Account.eq(account))
            .filter(login_failures::Column::Address.eq(address))
            .filter(login_failures::Column::Id.lte(through.0))
            .exec(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}
