//! The audit trail: who changed what, when. Entries are written in the same transaction
//! as the change they describe.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::Actor;
use crate::error::DomainResult;
use crate::page::{Page, Paged};
use crate::user::UserId;

/// A value in an entry's payload; adapters store the payload as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum PayloadValue {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
    Ints(Vec<i64>),
}

impl From<i64> for PayloadValue {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<bool> for PayloadValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<&str> for PayloadValue {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for PayloadValue {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl<T: Into<PayloadValue>> From<Option<T>> for PayloadValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// An entry to record. `assignment_id` is `None` both for entries about no assignment and
/// for the entries of an assignment being created (the adapter fills in its new id).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityDraft {
    pub kind: &'static str,
    pub actor: Option<UserId>,
    pub assignment_id: Option<i64>,
    pub message: String,
    pub payload: Vec<(&'static str, PayloadValue)>,
}

impl ActivityDraft {
    pub fn new(kind: &'static str, actor: &Actor, message: impl Into<String>) -> Self {
        Self {
            kind,
            actor: (!actor.is_system()).then_some(actor.user_id),
            assignment_id: None,
            message: message.into(),
            payload: Vec::new(),
        }
    }

    pub fn on(mut self, assignment_id: i64) -> Self {
        self.assignment_id = Some(assignment_id);
        self
    }

    pub fn with(mut self, key: &'static str, value: impl Into<PayloadValue>) -> Self {
        self.payload.push((key, value.into()));
        self
    }
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: i64,
    pub kind: String,
    pub actor_user_id: Option<UserId>,
    pub assignment_id: Option<i64>,
    pub message: Option<String>,
    /// The payload as stored (a JSON object).
    pub payload_json: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub assignment_id: Option<i64>,
    pub actor_user_id: Option<UserId>,
    pub kind: Option<String>,
    pub from: Option<crate::instant::Instant>,
    pub to: Option<crate::instant::Instant>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
}

/// Whose entries a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityScope {
    Everything,
    /// Their own entries and those on assignments they can access.
    VisibleTo(UserId),
}

#[async_trait]
pub trait ActivityRepository: Send + Sync {
    async fn record(&self, entry: &ActivityDraft) -> DomainResult<()>;
    async fn list(
        &self,
        filter: &ActivityFilter,
        scope: ActivityScope,
        page: Page,
    ) -> DomainResult<Paged<Activity>>;

    /// The first `limit` entries of `filter`'s list, in its order, without counting them
    /// all (a repository that counts cheaply need not override this).
    async fn first(&self, filter: &ActivityFilter, limit: u64) -> DomainResult<Vec<Activity>> {
        Ok(self
            .list(filter, ActivityScope::Everything, Page::first(limit))
            .await?
            .items)
    }
}

/// Entry kinds whose payload holds amounts or payment state.
pub const MONEY_ENTRIES: [&str; 1] = ["ASSIGNMENT_FINANCE_UPDATED"];

pub const ACTIVITY_LIST_DEFAULT: u64 = 100;
pub const ACTIVITY_LIST_CAP: u64 = 500;

/// Entries whose payload carries money show it only to roles that handle money.
fn hide_money(actor: &Actor, entries: &mut [Activity]) {
    if !crate::assignment::sees_money(actor) {
        for entry in entries {
            if MONEY_ENTRIES.contains(&entry.kind.as_str()) {
                entry.payload_json = "{}".to_owned();
            }
        }
    }
}

/// Reading the trail: view-all roles see everything; others see their own entries and
/// those on assignments they can access.
#[derive(Clone)]
pub struct ActivityService {
    repo: std::sync::Arc<dyn ActivityRepository>,
}

impl ActivityService {
    pub fn new(repo: std::sync::Arc<dyn ActivityRepository>) -> Self {
        Self { repo }
    }

    pub fn scope(actor: &Actor) -> ActivityScope {
        if actor.can(crate::access::Capability::ViewAllAssignments) {
            ActivityScope::Everything
        } else {
            ActivityScope::VisibleTo(actor.user_id)
        }
    }

    pub async fn list(
        &self,
        actor: &Actor,
        filter: &ActivityFilter,
        page: Page,
    ) -> DomainResult<Paged<Activity>> {
        let mut entries = self.repo.list(filter, Self::scope(actor), page).await?;
        hide_money(actor, &mut entries.items);
        Ok(entries)
    }

    /// The trail of an assignment already shown to be visible (every entry on it is then
    /// visible too), at most `limit` entries, uncounted.
    pub async fn of_visible(
        &self,
        actor: &Actor,
        seen: crate::assignment::Visible<'_>,
        oldest_first: bool,
        limit: u64,
    ) -> DomainResult<Vec<Activity>> {
        let filter = ActivityFilter {
            assignment_id: Some(seen.id()),
            oldest_first,
            ..ActivityFilter::default()
        };
        let mut entries = self.repo.first(&filter, limit).await?;
        hide_money(actor, &mut entries);
        Ok(entries)
    }

    pub async fn record(&self, entry: &ActivityDraft) -> DomainResult<()> {
        self.repo.record(entry).await
    }
}
