//! Leave requests and holidays as stored. The rules (overlap, absence, working days) are
//! the domain's; this module reads candidates by date range and writes states.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use time::{Date, OffsetDateTime};
use zenops_domain::leave::{
    HalfDaySession, LeaveFilter, LeaveId, LeaveRecord, LeaveRepository, LeaveRequest, LeaveScope,
    LeaveSpan, LeaveStatus, LeaveType, NewLeave,
};
use zenops_domain::page::{Page, Paged};
use zenops_domain::user::UserId;
use zenops_domain::workdays::{Holiday, HolidayCalendar};
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::db::stored_time_on;
use crate::entity::{holidays, leave_requests, users};
use crate::error::unexpected;

use leave_requests::Column as C;

pub struct SeaLeaveRepository {
    db: Database,
}

impl SeaLeaveRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn to_request(row: leave_requests::Model) -> DomainResult<LeaveRequest> {
    let corrupt =
        || DomainError::unexpected(format!("leave request {}: stored data is invalid", row.id));
    let kind: LeaveType = row.leave_type.parse().map_err(|_| corrupt())?;
    let span = match kind {
        LeaveType::FullDay => LeaveSpan::Days {
            start: row.start_date,
            end: row.end_date,
        },
        LeaveType::HalfDay => LeaveSpan::Half {
            day: row.start_date,
            session: row
                .half_day_session
                .as_deref()
                .unwrap_or("FIRST_HALF")
                .parse::<HalfDaySession>()
                .map_err(|_| corrupt())?,
        },
        LeaveType::PermissionHours => LeaveSpan::Hours {
            day: row.start_date,
            hours: row.hours.ok_or_else(corrupt)?,
        },
    };
    Ok(LeaveRecord {
        id: LeaveId(row.id),
        requester: UserId(row.requester_user_id),
        span,
        working_half_days: u32::try_from(row.working_half_days).map_err(|_| corrupt())?,
        reason: row.reason,
        status: row.status.parse().map_err(|_| corrupt())?,
        approver: row.approver_user_id.map(UserId),
        decided_at: row.decided_at,
        decision_comment: row.decision_comment,
        cancelled_by: row.cancelled_by_user_id.map(UserId),
        cancelled_at: row.cancelled_at,
        calendar_event_id: row.calendar_event_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
    .into())
}

/// Requests that share a day with `from ..= to`.
fn sharing_days(from: Date, to: Date) -> Condition {
    Condition::all()
        .add(C::StartDate.lte(to))
        .add(C::EndDate.gte(from))
}

#[async_trait]
impl LeaveRepository for SeaLeaveRepository {
    async fn get(&self, id: LeaveId) -> DomainResult<LeaveRequest> {
        let row = leave_requests::Entity::find_by_id(id.0)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Leave request"))?;
        to_request(row)
    }

    async fn list(&self, filter: &LeaveFilter, page: Page) -> DomainResult<Paged<LeaveRequest>> {
        let mut select = leave_requests::Entity::find();
        select = match filter.scope {
            LeaveScope::Everyone => select,
            LeaveScope::Involving(user) => select.filter(
                Condition::any()
                    .add(C::RequesterUserId.eq(user.0))
                    .add(C::ApproverUserId.eq(user.0)),
            ),
            LeaveScope::RequestedBy(user) => select.filter(C::RequesterUserId.eq(user.0)),
        };
        if let Some(status) = filter.status {
            select = select.filter(C::Status.eq(status.as_str()));
        }
        if let Some(user) = filter.exclude_requester {
            select = select.filter(C::RequesterUserId.ne(user.0));
        }
        let total = select
            .clone()
            .count(&self.db.conn)
            .await
            .map_err(unexpected)?;
        select = if filter.oldest_first {
            select.order_by_asc(C::CreatedAt).order_by_asc(C::Id)
        } else {
            select.order_by_desc(C::CreatedAt).order_by_desc(C::Id)
        };
        let rows = select
            .offset(page.skip)
            .limit(page.limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        let items = rows
            .into_iter()
            .map(to_request)
            .collect::<DomainResult<Vec<_>>>()?;
        Ok(Paged { items, total })
    }

    async fn approved_between(
        &self,
        users: Option<&[UserId]>,
        from: Date,
        to: Date,
    ) -> DomainResult<Vec<LeaveRequest>> {
        let mut select = leave_requests::Entity::find()
            .filter(C::Status.eq(LeaveStatus::Approved.as_str()))
            .filter(sharing_days(from, to));
        if let Some(users) = users {
            select = select.filter(C::RequesterUserId.is_in(users.iter().map(|u| u.0)));
        }
        select
            .order_by_asc(C::StartDate)
            .order_by_asc(C::Id)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_request)
            .collect()
    }
}

/// Takes the requester's row lock (PostgreSQL) or the write lock (SQLite) before their
/// other requests are read, so overlapping requests sent together are checked one after
/// the other. The update changes nothing.
pub(crate) async fn lock_requester_in(txn: &DatabaseTransaction, user: UserId) -> DomainResult<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::UpdatedAt,
            Expr::col(users::Column::UpdatedAt),
        )
        .filter(users::Column::Id.eq(user.0))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn holding_in(
    txn: &DatabaseTransaction,
    user: UserId,
    from: Date,
    to: Date,
) -> DomainResult<Vec<LeaveRequest>> {
    let holding = [LeaveStatus::Pending, LeaveStatus::Approved].map(LeaveStatus::as_str);
    leave_requests::Entity::find()
        .filter(C::RequesterUserId.eq(user.0))
        .filter(C::Status.is_in(holding))
        .filter(sharing_days(from, to))
        .order_by_asc(C::Id)
        .all(txn)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_request)
        .collect()
}

pub(crate) async fn insert_in(
    txn: &DatabaseTransaction,
    new: &NewLeave,
    at: OffsetDateTime,
) -> DomainResult<LeaveRequest> {
    let backend = txn.get_database_backend();
    let row = leave_requests::ActiveModel {
        requester_user_id: Set(new.requester.0),
        leave_type: Set(new.span.leave_type().as_str().to_owned()),
        half_day_session: Set(new.span.session().map(|s| s.as_str().to_owned())),
        start_date: Set(new.span.start()),
        end_date: Set(new.span.end()),
        hours: Set(new.span.hours()),
        working_half_days: Set(i32::try_from(new.working_half_days).unwrap_or(i32::MAX)),
        reason: Set(new.reason.clone()),
        status: Set(LeaveStatus::Pending.as_str().to_owned()),
        created_at: Set(stored_time_on(backend, at)),
        updated_at: Set(stored_time_on(backend, at)),
        ..Default::default()
    };
    to_request(row.insert(txn).await.map_err(unexpected)?)
}

pub(crate) async fn transition_in(
    txn: &DatabaseTransaction,
    next: &LeaveRequest,
    from: LeaveStatus,
) -> DomainResult<()> {
    let backend = txn.get_database_backend();
    let at = |t: Option<OffsetDateTime>| t.map(|t| stored_time_on(backend, t));
    let row = leave_requests::ActiveModel {
        status: Set(next.status().as_str().to_owned()),
        approver_user_id: Set(next.approver().map(|u| u.0)),
        decided_at: Set(at(next.decided_at())),
        decision_comment: Set(next.decision_comment().map(str::to_owned)),
        cancelled_by_user_id: Set(next.cancelled_by().map(|u| u.0)),
        cancelled_at: Set(at(next.cancelled_at())),
        calendar_event_id: Set(next.calendar_event_id()),
        updated_at: Set(stored_time_on(backend, next.updated_at())),
        ..Default::default()
    };
    let updated = leave_requests::Entity::update_many()
        .set(row)
        .filter(C::Id.eq(next.id().0))
        .filter(C::Status.eq(from.as_str()))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if updated.rows_affected == 0 {
        return Err(DomainError::conflict(
            "already_decided",
            "Leave already decided",
        ));
    }
    Ok(())
}

/// The firm's holidays, read for the working-day rules.
pub struct SeaHolidays {
    db: Database,
}

impl SeaHolidays {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl HolidayCalendar for SeaHolidays {
    async fn between(&self, from: Date, to: Date) -> DomainResult<Vec<Holiday>> {
        Ok(holidays::Entity::find()
            .filter(holidays::Column::HolidayDate.gte(from))
            .filter(holidays::Column::HolidayDate.lte(to))
            .order_by_asc(holidays::Column::HolidayDate)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|h| Holiday {
                date: h.holiday_date,
                name: h.name,
            })
            .collect())
    }
}
