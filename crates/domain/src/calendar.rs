//! Calendar events. Assignments keep their SITE_VISIT and REPORT_DUE events in step with
//! their dates; other kinds arrive with leave and manual editing.

use async_trait::async_trait;
use time::OffsetDateTime;

pub use crate::master::CalendarEventType;

use crate::error::DomainResult;
use crate::user::UserId;

/// An event an assignment should have, given its current dates and people.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub event_type: CalendarEventType,
    pub title: String,
    pub start_at: OffsetDateTime,
    pub end_at: OffsetDateTime,
    pub assigned_to: Option<UserId>,
    pub assigned_user_ids: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEvent {
    pub id: i64,
    pub event_type: CalendarEventType,
    pub title: String,
    pub description: Option<String>,
    pub start_at: OffsetDateTime,
    pub end_at: OffsetDateTime,
    pub all_day: bool,
    pub assignment_id: Option<i64>,
    pub created_by: UserId,
    pub assigned_to: Option<UserId>,
    pub assigned_user_ids: Vec<UserId>,
    pub assigned_to_all: bool,
    pub event_label_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub start_from: Option<crate::instant::Instant>,
    pub start_to: Option<crate::instant::Instant>,
    pub event_types: Vec<CalendarEventType>,
    pub assignment_id: Option<i64>,
    pub user_id: Option<UserId>,
}

/// Whose events a reader sees: everything, or what concerns them (assigned to them or to
/// everyone, created by them, or on an assignment they can access).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventScope {
    Everything,
    ConcerningUser(UserId),
}

pub const EVENT_LIST_CAP: u64 = 2000;

#[async_trait]
pub trait CalendarRepository: Send + Sync {
    async fn list(
        &self,
        query: &EventQuery,
        scope: EventScope,
        limit: u64,
    ) -> DomainResult<Vec<CalendarEvent>>;
}

/// Reading the calendar: view-all roles see every event, others what concerns them.
#[derive(Clone)]
pub struct CalendarService {
    repo: std::sync::Arc<dyn CalendarRepository>,
}

impl CalendarService {
    pub fn new(repo: std::sync::Arc<dyn CalendarRepository>) -> Self {
        Self { repo }
    }

    pub async fn events(
        &self,
        actor: &crate::access::Actor,
        query: &EventQuery,
    ) -> DomainResult<Vec<CalendarEvent>> {
        let scope = if actor.can(crate::access::Capability::ViewAllAssignments) {
            EventScope::Everything
        } else {
            EventScope::ConcerningUser(actor.user_id)
        };
        self.repo.list(query, scope, EVENT_LIST_CAP).await
    }
}
