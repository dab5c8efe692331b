//! Calendar events: what the firm's people are doing when.
//!
//! Some events belong to something else and follow it: an assignment's SITE_VISIT and
//! REPORT_DUE events follow its dates, a task's TASK_DUE event its due date, and a LEAVE
//! event its approved leave. Those change only through their owner. Everyone may add
//! their own events (meetings, document pickups, follow-ups); the creator or someone who
//! sees every assignment changes or removes them.
//!
//! Who sees an event ([`EventScope`]): view-all roles see every event; others see events
//! assigned to everyone, to them (as the primary or one of the listed people), created by
//! them, or on an assignment they work on. The repository turns the scope into SQL.

use std::sync::Arc;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

pub use crate::master::CalendarEventType;

use crate::access::{Actor, Capability};
use crate::assignment::AssignmentService;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::instant::Instant;
use crate::leave::LeaveId;
use crate::master::{CalendarLabels, MasterRepository};
use crate::text::{self, limits};
use crate::user::UserId;
use crate::work::UnitOfWork;

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

/// An event to be stored (or the new state of one being changed).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: CalendarEventType,
    pub title: String,
    pub description: Option<String>,
    pub start_at: OffsetDateTime,
    pub end_at: OffsetDateTime,
    pub all_day: bool,
    pub assignment_id: Option<i64>,
    pub assigned_to: Option<UserId>,
    pub assigned_user_ids: Vec<UserId>,
    pub assigned_to_all: bool,
    pub event_label_id: Option<i64>,
    pub related_leave_request_id: Option<LeaveId>,
    pub task_id: Option<i64>,
    /// Extra data as JSON text, opaque to the rules.
    pub payload_json: Option<String>,
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
    pub assignment_code: Option<String>,
    pub created_by: UserId,
    pub assigned_to: Option<UserId>,
    pub assigned_user_ids: Vec<UserId>,
    pub assigned_to_all: bool,
    pub event_label_id: Option<i64>,
    pub event_label_name: Option<String>,
    pub related_leave_request_id: Option<LeaveId>,
    pub task_id: Option<i64>,
    pub payload_json: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What owns an event, if anything but its creator does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Made by someone, changed by them (or a view-all role).
    Manual,
    Leave(LeaveId),
    Task(i64),
    /// An assignment's SITE_VISIT or REPORT_DUE event.
    AssignmentDates(i64),
}

impl CalendarEvent {
    pub fn owner(&self) -> Owner {
        if let Some(leave) = self.related_leave_request_id {
            return Owner::Leave(leave);
        }
        if let Some(task) = self.task_id {
            return Owner::Task(task);
        }
        match (self.event_type, self.assignment_id) {
            (CalendarEventType::SiteVisit | CalendarEventType::ReportDue, Some(id)) => {
                Owner::AssignmentDates(id)
            }
            _ => Owner::Manual,
        }
    }

    /// Whether `actor` sees this event (the rule [`EventScope`] puts into SQL; used for
    /// single events).
    pub fn concerns(&self, user: UserId) -> bool {
        self.assigned_to_all
            || self.assigned_to == Some(user)
            || self.created_by == user
            || self.assigned_user_ids.contains(&user)
    }

    fn as_new(&self) -> NewEvent {
        NewEvent {
            event_type: self.event_type,
            title: self.title.clone(),
            description: self.description.clone(),
            start_at: self.start_at,
            end_at: self.end_at,
            all_day: self.all_day,
            assignment_id: self.assignment_id,
            assigned_to: self.assigned_to,
            assigned_user_ids: self.assigned_user_ids.clone(),
            assigned_to_all: self.assigned_to_all,
            event_label_id: self.event_label_id,
            related_leave_request_id: self.related_leave_request_id,
            task_id: self.task_id,
            payload_json: self.payload_json.clone(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub start_from: Option<Instant>,
    pub start_to: Option<Instant>,
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
/// Longest manual event.
pub const MAX_EVENT_DAYS: i64 = 366;
/// Largest payload a manual event may carry, in characters of JSON.
pub const PAYLOAD_MAX_CHARS: usize = 4_000;
/// Most people one event may list.
pub const MAX_ASSIGNEES: usize = 200;

#[async_trait]
pub trait CalendarRepository: Send + Sync {
    async fn list(
        &self,
        query: &EventQuery,
        scope: EventScope,
        limit: u64,
    ) -> DomainResult<Vec<CalendarEvent>>;
    async fn get(&self, id: i64) -> DomainResult<CalendarEvent>;
}

/// Writing events inside a transaction.
#[async_trait]
pub trait CalendarStore: Send {
    async fn insert(
        &mut self,
        event: &NewEvent,
        created_by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<i64>;
    /// `NotFound("Calendar event")` when it is gone.
    async fn update(&mut self, id: i64, event: &NewEvent, at: OffsetDateTime) -> DomainResult<()>;
    /// `NotFound("Calendar event")` when it is gone.
    async fn delete(&mut self, id: i64) -> DomainResult<()>;
    /// Removes the events that show a leave request.
    async fn delete_for_leave(&mut self, leave: LeaveId) -> DomainResult<()>;
}

/// Secret links to a person's calendar feed. Only a hash of the secret is kept.
#[async_trait]
pub trait FeedTokens: Send + Sync {
    /// Makes a new secret for `user`, replacing (revoking) the old one; returns it.
    async fn rotate(&self, user: UserId, at: OffsetDateTime) -> DomainResult<String>;
    /// Whose feed a secret opens, if it is current.
    async fn resolve(&self, secret: &str) -> DomainResult<Option<UserId>>;
}

/// A create or patch of a manual event, as received. `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct EventForm {
    pub event_type: Option<String>,
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub start_at: Option<Instant>,
    pub end_at: Option<Instant>,
    pub all_day: Option<bool>,
    pub event_label_id: Option<Option<i64>>,
    pub assignment_id: Option<Option<i64>>,
    pub assigned_to_user_id: Option<Option<i64>>,
    pub assigned_to_all: Option<bool>,
    pub assigned_user_ids: Option<Vec<i64>>,
    pub payload_json: Option<Option<String>>,
}

impl EventForm {
    /// Applies the form to the current event (none on create) and checks the result on
    /// its own: types a person may set, `end_at >= start_at`, the people normalised (all,
    /// or the listed set plus the primary, whose primary is the given one or the
    /// smallest listed id).
    pub fn merge(self, current: Option<&CalendarEvent>) -> Result<NewEvent, FieldErrors> {
        let mut e = FieldErrors::new();
        let base = current.map(CalendarEvent::as_new);
        let event_type = match self.event_type.as_deref() {
            Some(raw) => e.check("event_type", raw.parse::<CalendarEventType>()),
            None => base.as_ref().map(|b| b.event_type),
        };
        if current.is_none() && event_type.is_none() && self.event_type.is_none() {
            e.add("event_type", "is required");
        }
        match event_type {
            Some(CalendarEventType::Leave) => e.add(
                "event_type",
                "LEAVE events come from approved leave: request leave instead",
            ),
            Some(CalendarEventType::TaskDue) => e.add(
                "event_type",
                "TASK_DUE events follow tasks' due dates: set the task's due date instead",
            ),
            _ => {}
        }
        let title = match self.title {
            Some(raw) => e.check("title", text::parse(&raw, limits::NAME)),
            None => base.as_ref().map(|b| b.title.clone()),
        };
        if title.is_none() && current.is_none() && !e.has("title") {
            e.add("title", "is required");
        }
        let description = match self.description {
            Some(raw) => text::optional_field(raw, "description", limits::NOTE, &mut e),
            None => base.as_ref().and_then(|b| b.description.clone()),
        };
        let start_at = self
            .start_at
            .map(OffsetDateTime::from)
            .or(base.as_ref().map(|b| b.start_at));
        let end_at = self
            .end_at
            .map(OffsetDateTime::from)
            .or(base.as_ref().map(|b| b.end_at))
            .or(start_at);
        if start_at.is_none() {
            e.add("start_at", "is required");
        }
        if let (Some(start), Some(end)) = (start_at, end_at) {
            if end < start {
                e.add("end_at", "must not be before start_at");
            } else if end - start > Duration::days(MAX_EVENT_DAYS) {
                e.add(
                    "end_at",
                    format!("an event lasts at most {MAX_EVENT_DAYS} days"),
                );
            }
        }
        let positive = |id: Option<i64>, field: &str, e: &mut FieldErrors| match id {
            Some(n) if n <= 0 => {
                e.add(field, "must be a positive id");
                None
            }
            other => other,
        };
        let event_label_id = match self.event_label_id {
            Some(id) => positive(id, "event_label_id", &mut e),
            None => base.as_ref().and_then(|b| b.event_label_id),
        };
        let assignment_id = match self.assignment_id {
            Some(id) => positive(id, "assignment_id", &mut e),
            None => base.as_ref().and_then(|b| b.assignment_id),
        };
        if assignment_id.is_some()
            && matches!(
                event_type,
                Some(CalendarEventType::SiteVisit | CalendarEventType::ReportDue)
            )
        {
            e.add(
                "event_type",
                "an assignment's site visit and report due events follow its dates: set them on the assignment",
            );
        }
        let payload_json = match self.payload_json {
            Some(Some(raw)) if raw.chars().count() > PAYLOAD_MAX_CHARS => {
                e.add(
                    "payload_json",
                    format!("must be at most {PAYLOAD_MAX_CHARS} characters of JSON"),
                );
                None
            }
            Some(raw) => raw,
            None => base.as_ref().and_then(|b| b.payload_json.clone()),
        };
        let assigned_to_all = self
            .assigned_to_all
            .or(base.as_ref().map(|b| b.assigned_to_all))
            .unwrap_or(false);
        let primary = match self.assigned_to_user_id {
            Some(id) => positive(id, "assigned_to_user_id", &mut e).map(UserId),
            None => base.as_ref().and_then(|b| b.assigned_to),
        };
        let primary_changed = self.assigned_to_user_id.is_some()
            && primary != base.as_ref().and_then(|b| b.assigned_to);
        let listed: Vec<UserId> = match self.assigned_user_ids {
            Some(ids) => {
                if ids.len() > MAX_ASSIGNEES {
                    e.add(
                        "assigned_user_ids",
                        format!("at most {MAX_ASSIGNEES} people"),
                    );
                }
                if ids.iter().any(|id| *id <= 0) {
                    e.add("assigned_user_ids", "must be positive ids");
                }
                ids.into_iter().filter(|id| *id > 0).map(UserId).collect()
            }
            // The stored list holds the old primary too: a new primary replaces them.
            None => base
                .as_ref()
                .map(|b| {
                    b.assigned_user_ids
                        .iter()
                        .filter(|u| !(primary_changed && b.assigned_to == Some(**u)))
                        .copied()
                        .collect()
                })
                .unwrap_or_default(),
        };
        let (assigned_to, assigned_user_ids) = normalise_people(assigned_to_all, primary, listed);
        if !e.is_empty() {
            return Err(e);
        }
        match (event_type, title, start_at, end_at) {
            (Some(event_type), Some(title), Some(start_at), Some(end_at)) => Ok(NewEvent {
                event_type,
                title,
                description,
                start_at,
                end_at,
                all_day: self
                    .all_day
                    .or(base.as_ref().map(|b| b.all_day))
                    .unwrap_or(false),
                assignment_id,
                assigned_to,
                assigned_user_ids,
                assigned_to_all,
                event_label_id,
                related_leave_request_id: None,
                task_id: None,
                payload_json,
            }),
            _ => Err(FieldErrors::single("event_type", "is required")),
        }
    }
}

/// Everyone: nobody in particular. Otherwise the listed people plus the primary; the
/// primary is the one given, else the smallest listed id.
pub fn normalise_people(
    all: bool,
    primary: Option<UserId>,
    listed: Vec<UserId>,
) -> (Option<UserId>, Vec<UserId>) {
    if all {
        return (None, Vec::new());
    }
    let mut people = listed;
    people.extend(primary);
    people.sort();
    people.dedup();
    let primary = primary.or_else(|| people.first().copied());
    (primary, people)
}

/// The calendar: reading what a person may see, editing their own events, feeds.
#[derive(Clone)]
pub struct CalendarService {
    repo: Arc<dyn CalendarRepository>,
    work: Arc<dyn UnitOfWork>,
    labels: Arc<dyn MasterRepository<CalendarLabels>>,
    assignments: AssignmentService,
    feeds: Arc<dyn FeedTokens>,
}

/// The window a calendar feed covers, around now.
pub const FEED_PAST_DAYS: i64 = 90;
pub const FEED_FUTURE_DAYS: i64 = 366;

impl CalendarService {
    pub fn new(
        repo: Arc<dyn CalendarRepository>,
        work: Arc<dyn UnitOfWork>,
        labels: Arc<dyn MasterRepository<CalendarLabels>>,
        assignments: AssignmentService,
        feeds: Arc<dyn FeedTokens>,
    ) -> Self {
        Self {
            repo,
            work,
            labels,
            assignments,
            feeds,
        }
    }

    fn scope(actor: &Actor) -> EventScope {
        if actor.can(Capability::ViewAllAssignments) {
            EventScope::Everything
        } else {
            EventScope::ConcerningUser(actor.user_id)
        }
    }

    pub async fn events(
        &self,
        actor: &Actor,
        query: &EventQuery,
    ) -> DomainResult<Vec<CalendarEvent>> {
        self.repo
            .list(query, Self::scope(actor), EVENT_LIST_CAP)
            .await
    }

    /// One event the actor may see.
    pub async fn get(&self, actor: &Actor, id: i64) -> DomainResult<CalendarEvent> {
        let event = self.repo.get(id).await?;
        if actor.can(Capability::ViewAllAssignments) || event.concerns(actor.user_id) {
            return Ok(event);
        }
        if let Some(assignment) = event.assignment_id
            && self.assignments.load(actor, assignment).await.is_ok()
        {
            return Ok(event);
        }
        Err(DomainError::NotFound("Calendar event"))
    }

    /// Checks what the event points at: the label exists, the assignment exists and the
    /// actor works on it, and people it adds (beyond those already on `current`) exist and
    /// are active.
    async fn check_links(
        &self,
        actor: &Actor,
        event: &NewEvent,
        current: Option<&CalendarEvent>,
    ) -> DomainResult<()> {
        let added: Vec<UserId> = event
            .assigned_user_ids
            .iter()
            .filter(|u| current.is_none_or(|c| !c.assigned_user_ids.contains(u)))
            .copied()
            .collect();
        let active = self.assignments.active_people(&added).await?;
        let unknown: Vec<String> = added
            .iter()
            .filter(|u| !active.contains(u))
            .map(|u| u.to_string())
            .collect();
        if !unknown.is_empty() {
            return Err(DomainError::invalid(
                "assigned_user_ids",
                format!("no active user has id {}", unknown.join(", ")),
            ));
        }
        if let Some(label) = event.event_label_id {
            match self.labels.get(label).await {
                Ok(_) => {}
                Err(DomainError::NotFound(_)) => {
                    return Err(DomainError::invalid(
                        "event_label_id",
                        "no calendar label has this id",
                    ));
                }
                Err(other) => return Err(other),
            }
        }
        if let Some(assignment) = event.assignment_id {
            self.assignments.load(actor, assignment).await?;
        }
        Ok(())
    }

    pub async fn create(&self, actor: &Actor, form: EventForm) -> DomainResult<CalendarEvent> {
        let event = form.merge(None).map_err(DomainError::Validation)?;
        self.check_links(actor, &event, None).await?;
        let now = self.assignments.now();
        let mut tx = self.work.begin().await?;
        let id = tx.calendar().insert(&event, actor.user_id, now).await?;
        tx.commit().await?;
        self.repo.get(id).await
    }

    /// Who may change or remove an event, and whether it is theirs to change at all.
    fn may_edit(actor: &Actor, event: &CalendarEvent) -> DomainResult<()> {
        match event.owner() {
            Owner::Leave(_) => Err(DomainError::conflict(
                "owned_by_leave",
                "This event shows approved leave: cancel the leave instead",
            )),
            Owner::Task(_) => Err(DomainError::conflict(
                "owned_by_task",
                "This event follows a task's due date: change the task instead",
            )),
            Owner::AssignmentDates(_) => Err(DomainError::conflict(
                "owned_by_assignment",
                "This event follows the assignment's dates: change the assignment instead",
            )),
            Owner::Manual
                if event.created_by == actor.user_id
                    || actor.can(Capability::ViewAllAssignments) =>
            {
                Ok(())
            }
            Owner::Manual => Err(DomainError::Forbidden(
                "Only the creator or a view-all role may change this event".into(),
            )),
        }
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        form: EventForm,
    ) -> DomainResult<CalendarEvent> {
        let current = self.get(actor, id).await?;
        Self::may_edit(actor, &current)?;
        let event = form
            .merge(Some(&current))
            .map_err(DomainError::Validation)?;
        self.check_links(actor, &event, Some(&current)).await?;
        let now = self.assignments.now();
        let mut tx = self.work.begin().await?;
        tx.calendar().update(id, &event, now).await?;
        tx.commit().await?;
        self.repo.get(id).await
    }

    pub async fn delete(&self, actor: &Actor, id: i64) -> DomainResult<()> {
        let current = self.get(actor, id).await?;
        Self::may_edit(actor, &current)?;
        let mut tx = self.work.begin().await?;
        tx.calendar().delete(id).await?;
        tx.commit().await
    }

    /// A new secret feed link for the actor; the previous one stops working.
    pub async fn rotate_feed(&self, actor: &Actor) -> DomainResult<String> {
        self.feeds
            .rotate(actor.user_id, self.assignments.now())
            .await
    }

    /// The events a feed secret opens: what concerns its owner (their leave, their work's
    /// dates and tasks, meetings for them or for everyone), from [`FEED_PAST_DAYS`] ago
    /// to [`FEED_FUTURE_DAYS`] ahead. An unknown or revoked secret opens nothing.
    pub async fn feed(&self, secret: &str) -> DomainResult<Vec<CalendarEvent>> {
        let Some(user) = self.feeds.resolve(secret).await? else {
            return Err(DomainError::NotFound("Calendar feed"));
        };
        let now = self.assignments.now();
        let window = |days: i64| Instant::new(now + Duration::days(days)).ok();
        let query = EventQuery {
            start_from: window(-FEED_PAST_DAYS),
            start_to: window(FEED_FUTURE_DAYS),
            ..EventQuery::default()
        };
        self.repo
            .list(&query, EventScope::ConcerningUser(user), EVENT_LIST_CAP)
            .await
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::access::{CapabilityOverrides, Role, Roles};

    fn at(text: OffsetDateTime) -> Option<Instant> {
        Instant::new(text).ok()
    }

    fn meeting() -> EventForm {
        EventForm {
            event_type: Some("INTERNAL_MEETING".into()),
            title: Some("Review".into()),
            start_at: at(datetime!(2027-04-05 04:30 UTC)),
            ..EventForm::default()
        }
    }

    fn stored(new: NewEvent, created_by: UserId) -> CalendarEvent {
        CalendarEvent {
            id: 1,
            event_type: new.event_type,
            title: new.title,
            description: new.description,
            start_at: new.start_at,
            end_at: new.end_at,
            all_day: new.all_day,
            assignment_id: new.assignment_id,
            assignment_code: None,
            created_by,
            assigned_to: new.assigned_to,
            assigned_user_ids: new.assigned_user_ids,
            assigned_to_all: new.assigned_to_all,
            event_label_id: new.event_label_id,
            event_label_name: None,
            related_leave_request_id: new.related_leave_request_id,
            task_id: new.task_id,
            payload_json: new.payload_json,
            created_at: new.start_at,
            updated_at: new.start_at,
        }
    }

    fn fields(result: Result<NewEvent, FieldErrors>) -> Vec<String> {
        result
            .err()
            .map(|e| e.iter().map(|f| f.field.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn people_are_everyone_or_the_listed_plus_the_primary() {
        assert_eq!(
            normalise_people(true, Some(UserId(3)), vec![UserId(4)]),
            (None, vec![])
        );
        assert_eq!(
            normalise_people(
                false,
                Some(UserId(5)),
                vec![UserId(4), UserId(2), UserId(4)]
            ),
            (Some(UserId(5)), vec![UserId(2), UserId(4), UserId(5)])
        );
        assert_eq!(
            normalise_people(false, None, vec![UserId(9), UserId(7)]),
            (Some(UserId(7)), vec![UserId(7), UserId(9)])
        );
        assert_eq!(normalise_people(false, None, vec![]), (None, vec![]));
    }

    #[test]
    fn a_new_event_needs_its_type_title_and_start_and_ends_no_earlier() {
        let event = meeting().merge(None).unwrap();
        assert_eq!(event.end_at, event.start_at);
        assert!(!event.all_day);
        assert_eq!(
            fields(EventForm::default().merge(None)),
            ["event_type", "title", "start_at"]
        );
        let backwards = EventForm {
            end_at: at(datetime!(2027-04-05 04:00 UTC)),
            ..meeting()
        };
        assert_eq!(fields(backwards.merge(None)), ["end_at"]);
        let too_long = EventForm {
            end_at: at(datetime!(2028-04-06 04:30 UTC)),
            ..meeting()
        };
        assert_eq!(fields(too_long.merge(None)), ["end_at"]);
    }

    #[test]
    fn events_that_follow_something_else_cannot_be_made_by_hand() {
        for kind in ["LEAVE", "TASK_DUE"] {
            let form = EventForm {
                event_type: Some(kind.into()),
                ..meeting()
            };
            assert_eq!(fields(form.merge(None)), ["event_type"], "{kind}");
        }
        let visit = EventForm {
            event_type: Some("SITE_VISIT".into()),
            assignment_id: Some(Some(4)),
            ..meeting()
        };
        assert_eq!(fields(visit.merge(None)), ["event_type"]);
        // A site visit of one's own, not tied to an assignment's dates, is fine.
        let own_visit = EventForm {
            event_type: Some("SITE_VISIT".into()),
            ..meeting()
        };
        assert!(own_visit.merge(None).is_ok());
    }

    #[test]
    fn a_new_primary_replaces_the_old_one_unless_the_list_is_given() {
        let created = EventForm {
            assigned_to_user_id: Some(Some(3)),
            assigned_user_ids: Some(vec![8]),
            ..meeting()
        }
        .merge(None)
        .unwrap();
        assert_eq!(created.assigned_user_ids, vec![UserId(3), UserId(8)]);
        let current = stored(created, UserId(1));
        let moved = EventForm {
            assigned_to_user_id: Some(Some(5)),
            ..EventForm::default()
        }
        .merge(Some(&current))
        .unwrap();
        assert_eq!(moved.assigned_to, Some(UserId(5)));
        assert_eq!(moved.assigned_user_ids, vec![UserId(5), UserId(8)]);
        let cleared = EventForm {
            assigned_to_user_id: Some(None),
            ..EventForm::default()
        }
        .merge(Some(&current))
        .unwrap();
        assert_eq!(cleared.assigned_to, Some(UserId(8)));
        assert_eq!(cleared.assigned_user_ids, vec![UserId(8)]);
        // A patch of the title keeps the people as they are.
        let renamed = EventForm {
            title: Some("Renamed".into()),
            ..EventForm::default()
        }
        .merge(Some(&current))
        .unwrap();
        assert_eq!(renamed.assigned_user_ids, vec![UserId(3), UserId(8)]);
        assert_eq!(renamed.assigned_to, Some(UserId(3)));
    }

    #[test]
    fn only_manual_events_are_edited_by_their_creator_or_a_view_all_role() {
        let actor = |id: i64, role: Role| {
            Actor::new(
                UserId(id),
                Roles::single(role),
                &CapabilityOverrides::none(),
            )
        };
        let manual = stored(meeting().merge(None).unwrap(), UserId(7));
        assert!(CalendarService::may_edit(&actor(7, Role::Employee), &manual).is_ok());
        assert!(CalendarService::may_edit(&actor(2, Role::OpsManager), &manual).is_ok());
        assert!(matches!(
            CalendarService::may_edit(&actor(6, Role::FieldValuer), &manual),
            Err(DomainError::Forbidden(_))
        ));
        let owned = |mut e: CalendarEvent, f: fn(&mut CalendarEvent)| {
            f(&mut e);
            e
        };
        let cases = [
            (
                owned(manual.clone(), |e| {
                    e.related_leave_request_id = Some(LeaveId(1))
                }),
                "owned_by_leave",
            ),
            (
                owned(manual.clone(), |e| e.task_id = Some(4)),
                "owned_by_task",
            ),
            (
                owned(manual.clone(), |e| {
                    e.event_type = CalendarEventType::ReportDue;
                    e.assignment_id = Some(9);
                }),
                "owned_by_assignment",
            ),
        ];
        for (event, want) in cases {
            match CalendarService::may_edit(&actor(7, Role::Admin), &event) {
                Err(DomainError::Conflict { code, .. }) => assert_eq!(code, want),
                other => panic!("{want}: {other:?}"),
            }
        }
    }
}
