//! Revoked sessions and the login throttle, in the database so that every API instance
//! behind a load balancer shares them.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use time::OffsetDateTime;
use zenops_domain::DomainResult;
use zenops_domain::activity::ActivityDraft;
use zenops_domain::auth::{FailureCounts, LoginThrottleStore, SessionRevocations};

use crate::activities::record_all;
use crate::entity::{login_failures, revoked_sessions};
use crate::error::unexpected;
use crate::{Database, SharedClock};

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
        let txn = self.db.conn.begin().await.map_err(unexpected)?;
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
        record_all(&txn, std::slice::from_ref(entry), None, None, now)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)
    }
}

pub struct SeaLoginThrottle {
    db: Database,
}

impl SeaLoginThrottle {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn count(
        &self,
        filter: sea_orm::Condition,
    ) -> DomainResult<(u32, Option<OffsetDateTime>)> {
        let row: Option<(i64, Option<OffsetDateTime>)> = login_failures::Entity::find()
            .select_only()
            .column_as(Expr::col(login_failures::Column::Id).count(), "n")
            .column_as(Expr::col(login_failures::Column::FailedAt).min(), "oldest")
            .filter(filter)
            .into_tuple()
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?;
        let (n, oldest) = row.unwrap_or((0, None));
        Ok((u32::try_from(n).unwrap_or(u32::MAX), oldest))
    }
}

#[async_trait]
impl LoginThrottleStore for SeaLoginThrottle {
    async fn failures_since(
        &self,
        account: &str,
        address: &str,
        since: OffsetDateTime,
    ) -> DomainResult<FailureCounts> {
        use login_failures::Column as C;
        let since = self.db.stored_time(since);
        let (pair, pair_oldest) = self
            .count(
                sea_orm::Condition::all()
                    .add(C::Account.eq(account))
                    .add(C::Address.eq(address))
                    .add(C::FailedAt.gt(since)),
            )
            .await?;
        let (any, any_oldest) = self
            .count(
                sea_orm::Condition::all()
                    .add(C::Address.eq(address))
                    .add(C::FailedAt.gt(since)),
            )
            .await?;
        Ok(FailureCounts {
            account_and_address: pair,
            account_and_address_oldest: pair_oldest,
            address: any,
            address_oldest: any_oldest,
        })
    }

    async fn record_failure(
        &self,
        account: &str,
        address: &str,
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
        entry: &ActivityDraft,
    ) -> DomainResult<()> {
        let txn = self.db.conn.begin().await.map_err(unexpected)?;
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::FailedAt.lt(self.db.stored_time(forget_before)))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let row = login_failures::ActiveModel {
            account: Set(account.to_owned()),
            address: Set(address.to_owned()),
            failed_at: Set(self.db.stored_time(at)),
            ..Default::default()
        };
        login_failures::Entity::insert(row)
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        record_all(&txn, std::slice::from_ref(entry), None, None, at)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)
    }

    async fn clear(&self, account: &str, address: &str) -> DomainResult<()> {
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::Account.eq(account))
            .filter(login_failures::Column::Address.eq(address))
            .exec(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}
