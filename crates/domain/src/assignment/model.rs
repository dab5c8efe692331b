//! The assignment aggregate: one valuation job and everything that describes it.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::lifecycle::{AssignmentStatus, Milestones};
use crate::calendar::EventDraft;
use crate::error::DomainResult;
use crate::master::CaseType;
use crate::money::Money;
use crate::page::{Page, Paged};
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceLine {
    Valuation,
    Industrial,
    Dpr,
    Cma,
}

impl ServiceLine {
    pub const ALL: [ServiceLine; 4] = [Self::Valuation, Self::Industrial, Self::Dpr, Self::Cma];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valuation => "VALUATION",
            Self::Industrial => "INDUSTRIAL",
            Self::Dpr => "DPR",
            Self::Cma => "CMA",
        }
    }
}

impl FromStr for ServiceLine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown service line '{s}' (VALUATION, INDUSTRIAL, DPR or CMA)")
            })
    }
}

/// An area in square feet with two decimals, exact (stored in hundredths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Area(Money);

impl Area {
    pub fn from_hundredths(h: i64) -> Self {
        Self(Money::from_paise(h))
    }

    pub fn hundredths(self) -> i64 {
        self.0.paise()
    }

    pub fn parse_positive(raw: &str) -> Result<Self, String> {
        let value: Money = raw.parse()?;
        if value.paise() <= 0 {
            return Err("must be greater than zero".into());
        }
        Ok(Self(value))
    }

    pub fn parse_non_negative(raw: &str) -> Result<Self, String> {
        let value: Money = raw.parse()?;
        if value.paise() < 0 {
            return Err("must not be negative".into());
        }
        Ok(Self(value))
    }

    pub fn sum(areas: impl IntoIterator<Item = Area>) -> Option<Area> {
        areas
            .into_iter()
            .try_fold(Money::ZERO, |total, a| total.checked_add(a.0))
            .map(Area)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Floor {
    pub floor_name: String,
    pub area: Area,
    pub order_index: i32,
}

/// Everything stored about an assignment apart from its identity and stamps.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentFields {
    pub case_type: CaseType,
    pub service_line: ServiceLine,
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub property_type_id: Option<i64>,
    pub property_subtype_id: Option<i64>,
    pub bank_name: Option<String>,
    pub branch_name: Option<String>,
    pub valuer_client_name: Option<String>,
    pub property_type_name: Option<String>,
    pub property_subtype_name: Option<String>,
    pub borrower_name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub land_area: Option<Area>,
    pub builtup_area: Option<Area>,
    pub status: AssignmentStatus,
    pub milestones: Milestones,
    pub cancel_reason: Option<String>,
    pub assigned_to: Option<UserId>,
    /// Assignees besides the primary one, sorted, never containing the primary.
    pub additional_assignees: Vec<UserId>,
    pub assigned_at: Option<OffsetDateTime>,
    pub site_visit_at: Option<OffsetDateTime>,
    pub report_due_at: Option<OffsetDateTime>,
    pub fees: Option<Money>,
    pub is_paid: bool,
    pub notes: Option<String>,
    pub floors: Vec<Floor>,
    /// The SLA due time, derived from the dates on every write.
    pub due_at: OffsetDateTime,
}

/// A stored assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub id: i64,
    pub code: String,
    pub created_by: UserId,
    pub fields: AssignmentFields,
    /// Bumped on every write; updates name the version they read.
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Assignment {
    /// Everyone the work is assigned to, primary first.
    pub fn assignees(&self) -> Vec<UserId> {
        self.fields
            .assigned_to
            .iter()
            .chain(self.fields.additional_assignees.iter())
            .copied()
            .collect()
    }

    /// The row-access rule: who may see and act on this assignment besides view-all roles.
    pub fn involves(&self, user: UserId) -> bool {
        self.created_by == user
            || self.fields.assigned_to == Some(user)
            || self.fields.additional_assignees.contains(&user)
    }
}

/// Which assignments a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentScope {
    Everything,
    /// Created by, or assigned (primary or additional) to, this user.
    Involving(UserId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Completion {
    #[default]
    All,
    /// Open work.
    Pending,
    /// Completed or cancelled.
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    CreatedAt,
    UpdatedAt,
    AssignmentCode,
    SiteVisitAt,
    ReportDueAt,
    Status,
    DueAt,
    BorrowerName,
}

impl FromStr for SortKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "created_at" => Self::CreatedAt,
            "updated_at" => Self::UpdatedAt,
            "assignment_code" => Self::AssignmentCode,
            "site_visit_date" | "site_visit_at" => Self::SiteVisitAt,
            "report_due_date" | "report_due_at" => Self::ReportDueAt,
            "status" => Self::Status,
            "due_time" | "due_at" => Self::DueAt,
            "borrower_name" => Self::BorrowerName,
            other => return Err(format!("cannot sort by '{other}'")),
        })
    }
}

/// The filters of the assignment lists; every one is applied in the database.
#[derive(Debug, Clone, Default)]
pub struct AssignmentQuery {
    pub completion: Completion,
    pub status: Option<AssignmentStatus>,
    pub case_type: Option<CaseType>,
    pub service_line: Option<ServiceLine>,
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub property_type_id: Option<i64>,
    /// Primary or additional assignee.
    pub assigned_to: Option<UserId>,
    pub unassigned: bool,
    pub created_by: Option<UserId>,
    /// Created by or assigned to this user.
    pub mine: Option<UserId>,
    pub is_paid: Option<bool>,
    pub created_from: Option<crate::instant::Instant>,
    pub created_to: Option<crate::instant::Instant>,
    /// Case-insensitive text in the code, borrower name or address.
    pub search: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
}

/// A list that narrows by nothing but status and bank, over all work: its total is the
/// sum of per-status, per-bank tallies, which storage may keep instead of counting rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyFilter {
    /// The statuses admitted (completion and status together); never empty.
    pub statuses: Vec<AssignmentStatus>,
    pub bank_id: Option<i64>,
}

impl Completion {
    pub fn admits(self, status: AssignmentStatus) -> bool {
        match self {
            Self::All => true,
            Self::Pending => status.is_open(),
            Self::Completed => !status.is_open(),
        }
    }
}

impl AssignmentQuery {
    /// The tallies that answer this query's total in `scope`, if tallies can: only for
    /// someone who sees all work, and only with no filter but completion, status and a
    /// bank. (The ordering does not change a total.)
    pub fn tally_filter(&self, scope: AssignmentScope) -> Option<TallyFilter> {
        // Every field is named, so a new filter cannot be forgotten here.
        let AssignmentQuery {
            completion,
            status,
            case_type: None,
            service_line: None,
            bank_id,
            branch_id: None,
            client_id: None,
            property_type_id: None,
            assigned_to: None,
            unassigned: false,
            created_by: None,
            mine: None,
            is_paid: None,
            created_from: None,
            created_to: None,
            search,
            sort: _,
            descending: _,
        } = self
        else {
            return None;
        };
        let searching = search.as_deref().is_some_and(|t| !t.trim().is_empty());
        if scope != AssignmentScope::Everything || searching || bank_id.is_some_and(|b| b <= 0) {
            return None;
        }
        let statuses: Vec<AssignmentStatus> = AssignmentStatus::ALL
            .into_iter()
            .filter(|s| completion.admits(*s) && status.is_none_or(|only| only == *s))
            .collect();
        if statuses.is_empty() {
            return None;
        }
        Some(TallyFilter {
            statuses,
            bank_id: *bank_id,
        })
    }
}

/// Counts over the work a caller can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub total: u64,
    pub pending: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub unpaid: u64,
    pub overdue: u64,
    pub due_soon: u64,
}

/// One person's open work by SLA state; `user_id` `None` is the unassigned bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadRow {
    pub user_id: Option<UserId>,
    pub user_email: Option<String>,
    pub user_name: Option<String>,
    pub total_open: u64,
    pub overdue: u64,
    pub due_soon: u64,
    pub ok: u64,
    pub on_leave_today: bool,
    /// Days this person is away from today through the next week.
    pub upcoming_leave: Vec<crate::leave::Absence>,
}

/// What an assignment's due time is worked out from, and the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueBasis {
    pub id: i64,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub site_visit_at: Option<OffsetDateTime>,
    pub report_due_at: Option<OffsetDateTime>,
    pub due_at: OffsetDateTime,
}

/// One person's open work, and how much of it is due in a window (a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonLoad {
    pub user_id: UserId,
    pub open: u64,
    pub due_in_window: u64,
}

/// Someone who could take work on a day, and why they rank where they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub open: u64,
    pub due_that_day: u64,
    pub reason: String,
}

/// Master names and active users a draft refers to, as found in the database.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub bank: Option<String>,
    /// The branch's name and the bank it belongs to.
    pub branch: Option<(String, i64)>,
    pub client: Option<String>,
    pub property_type: Option<String>,
    /// The subtype's name and its property type.
    pub property_subtype: Option<(String, i64)>,
    /// Those of the asked users that exist and are active.
    pub active_users: Vec<UserId>,
}

#[derive(Debug, Clone, Default)]
pub struct ReferenceIds {
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub property_type_id: Option<i64>,
    pub property_subtype_id: Option<i64>,
    pub users: Vec<UserId>,
}

/// What a create or update writes besides the trail: the row, its assignees and floors,
/// and its calendar events (made to match `events` exactly).
#[derive(Debug, Clone)]
pub struct AssignmentWrite {
    pub fields: AssignmentFields,
    pub events: Vec<EventDraft>,
}

/// How to number a new assignment.
#[derive(Debug, Clone)]
pub struct CodeSeries {
    pub prefix: String,
    pub year: i32,
}

/// Assignment writes inside a [`crate::work::Transaction`].
#[async_trait]
pub trait AssignmentStore: Send {
    /// Draws the next number of the year's series and stores the assignment: the number
    /// is used if and only if the transaction commits. Event titles may name `{code}`,
    /// replaced with the new code.
    async fn create(
        &mut self,
        series: &CodeSeries,
        created_by: UserId,
        write: &AssignmentWrite,
        at: OffsetDateTime,
    ) -> DomainResult<Assignment>;
    /// Writes the new state if the assignment is still at `version`; otherwise
    /// `Conflict("stale")`, so two concurrent edits cannot both win.
    async fn update(
        &mut self,
        id: i64,
        version: i64,
        write: &AssignmentWrite,
        at: OffsetDateTime,
    ) -> DomainResult<Assignment>;
    /// Sets whether it is paid, following its invoice (bumps its version, so an edit
    /// read before is refused as stale rather than writing the old flag back).
    async fn set_paid(&mut self, id: i64, paid: bool, at: OffsetDateTime) -> DomainResult<()>;
    /// Moves its due time (after the firm's working days changed) if it is still at
    /// `version`, and bumps the version like any write, so an edit planned with the old
    /// calendar is refused as stale. Returns whether it was written (an edit in between
    /// has already worked the due time out from the new dates).
    async fn set_due_at(
        &mut self,
        id: i64,
        version: i64,
        due_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> DomainResult<bool>;
    /// Soft-deletes it (if still at `version`) and removes its calendar events.
    async fn delete(
        &mut self,
        id: i64,
        version: i64,
        by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<()>;
}

#[async_trait]
pub trait AssignmentRepository: Send + Sync {
    /// A live (not deleted) assignment.
    async fn get(&self, id: i64) -> DomainResult<Assignment>;
    async fn list(
        &self,
        query: &AssignmentQuery,
        scope: AssignmentScope,
        page: Page,
    ) -> DomainResult<Paged<Assignment>>;
    async fn summary(&self, scope: AssignmentScope, now: OffsetDateTime) -> DomainResult<Summary>;
    /// Open work per assignee (each assignment counts for each of its assignees).
    async fn workload(
        &self,
        scope: AssignmentScope,
        now: OffsetDateTime,
    ) -> DomainResult<Vec<WorkloadRow>>;
    async fn references(&self, ids: &ReferenceIds) -> DomainResult<References>;
    /// Open work due in `from ..< to`, with the dates its due time is worked out from.
    async fn open_due_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> DomainResult<Vec<DueBasis>>;
    /// Open work per person (primary and additional assignees), and how much of it is due
    /// in `due_from ..< due_to`. People without open work are not listed.
    async fn load_by_person(
        &self,
        due_from: OffsetDateTime,
        due_to: OffsetDateTime,
    ) -> DomainResult<Vec<PersonLoad>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_status_and_bank_lists_over_all_work_are_answered_from_tallies() {
        let everything = AssignmentScope::Everything;
        let open = AssignmentQuery {
            completion: Completion::Pending,
            bank_id: Some(2),
            sort: SortKey::DueAt,
            descending: true,
            search: Some("  ".into()),
            ..AssignmentQuery::default()
        };
        assert_eq!(
            open.tally_filter(everything),
            Some(TallyFilter {
                statuses: AssignmentStatus::OPEN.to_vec(),
                bank_id: Some(2)
            })
        );
        let done = AssignmentQuery {
            completion: Completion::Completed,
            ..AssignmentQuery::default()
        };
        assert_eq!(
            done.tally_filter(everything).map(|f| f.statuses),
            Some(vec![
                AssignmentStatus::Completed,
                AssignmentStatus::Cancelled
            ])
        );
        let one = AssignmentQuery {
            status: Some(AssignmentStatus::Submitted),
            ..AssignmentQuery::default()
        };
        assert_eq!(
            one.tally_filter(everything).map(|f| f.statuses),
            Some(vec![AssignmentStatus::Submitted])
        );
        // Counted instead: someone's own work, any other filter, a search, no status left,
        // a bank id no bank has.
        assert_eq!(
            AssignmentQuery::default().tally_filter(AssignmentScope::Involving(UserId(3))),
            None
        );
        for query in [
            AssignmentQuery {
                branch_id: Some(1),
                ..AssignmentQuery::default()
            },
            AssignmentQuery {
                is_paid: Some(false),
                ..AssignmentQuery::default()
            },
            AssignmentQuery {
                unassigned: true,
                ..AssignmentQuery::default()
            },
            AssignmentQuery {
                search: Some("rao".into()),
                ..AssignmentQuery::default()
            },
            AssignmentQuery {
                completion: Completion::Pending,
                status: Some(AssignmentStatus::Completed),
                ..AssignmentQuery::default()
            },
            AssignmentQuery {
                bank_id: Some(0),
                ..AssignmentQuery::default()
            },
        ] {
            assert_eq!(query.tally_filter(everything), None, "{query:?}");
        }
    }
}
