//! Absence, as far as other modules need it. Leave requests arrive with their own module;
//! until then the port answers that nobody is away.

use async_trait::async_trait;
use time::Date;

use crate::error::DomainResult;
use crate::user::UserId;

/// Approved leave that covers a day on which someone is being given work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveConflict {
    pub user_id: UserId,
    pub leave_start: Date,
    pub leave_end: Date,
}

#[async_trait]
pub trait LeaveCalendar: Send + Sync {
    /// The first of `users` on approved leave on `day`, if any.
    async fn first_on_leave(
        &self,
        users: &[UserId],
        day: Date,
    ) -> DomainResult<Option<LeaveConflict>>;
    /// Which of `users` are on approved leave on `day`.
    async fn on_leave(&self, users: &[UserId], day: Date) -> DomainResult<Vec<UserId>>;
}

/// Nobody is ever away: the stand-in until leave is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLeave;

#[async_trait]
impl LeaveCalendar for NoLeave {
    async fn first_on_leave(
        &self,
        _users: &[UserId],
        _day: Date,
    ) -> DomainResult<Option<LeaveConflict>> {
        Ok(None)
    }

    async fn on_leave(&self, _users: &[UserId], _day: Date) -> DomainResult<Vec<UserId>> {
        Ok(Vec::new())
    }
}
