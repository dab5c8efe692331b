//! Tasks on an assignment: small pieces of work with a status, an optional assignee and an
//! optional due time. Every change is recorded in the activity trail in the same
//! transaction as the change itself.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::{Actor, Capability};
use crate::activity::{ActivityDraft, PayloadValue};
use crate::assignment::{AssignmentService, Visible};
use crate::calendar::{CalendarEventType, NewEvent};
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::instant::Instant;
use crate::leave::LeaveCalendar;
use crate::text::optional_field;
use crate::user::{UserId, UserRepository};
use crate::work::{self, Change, Transaction, UnitOfWork};

/// How many of "my tasks" a list returns when the caller names no limit.
pub const MY_TASKS_DEFAULT: u64 = 100;
/// The most "my tasks" one list returns.
pub const MY_TASKS_CAP: u64 = 500;

pub const TITLE_MIN_CHARS: usize = 2;
pub const TITLE_MAX_CHARS: usize = 255;
pub const DESCRIPTION_MAX_CHARS: usize = 10_000;
pub const TEMPLATE_TYPE_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TaskStatus {
    #[default]
    Todo,
    Doing,
    Done,
    Blocked,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] = [Self::Todo, Self::Doing, Self::Done, Self::Blocked];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Todo => "TODO",
            Self::Doing => "DOING",
            Self::Done => "DONE",
            Self::Blocked => "BLOCKED",
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown task status '{s}' (TODO, DOING, DONE or BLOCKED)"))
    }
}

/// A stored task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: i64,
    pub assignment_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub assigned_to: Option<UserId>,
    pub due_at: Option<OffsetDateTime>,
    pub template_type: Option<String>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Task {
    /// The TASK_DUE event that shows this task's due date on the calendar, for its
    /// assignee; none without a due date. Writing a task replaces its event with this.
    pub fn due_event(&self) -> Option<NewEvent> {
        let due = self.due_at?;
        Some(NewEvent {
            event_type: CalendarEventType::TaskDue,
            title: format!("Task due: {}", self.title),
            description: self.description.clone(),
            start_at: due,
            end_at: due,
            all_day: false,
            assignment_id: Some(self.assignment_id),
            assigned_to: self.assigned_to,
            assigned_user_ids: self.assigned_to.into_iter().collect(),
            assigned_to_all: false,
            event_label_id: None,
            related_leave_request_id: None,
            task_id: Some(self.id),
            payload_json: Some(format!(
                "{{\"task_id\":{},\"assignment_id\":{}}}",
                self.id, self.assignment_id
            )),
        })
    }

    /// The editable part of the task.
    pub fn fields(&self) -> TaskFields {
        TaskFields {
            title: self.title.clone(),
            description: self.description.clone(),
            status: self.status,
            assigned_to: self.assigned_to,
            due_at: self.due_at,
            template_type: self.template_type.clone(),
        }
    }
}

/// What a create or an update writes: everything but identity, author and stamps.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFields {
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub assigned_to: Option<UserId>,
    pub due_at: Option<OffsetDateTime>,
    pub template_type: Option<String>,
}

impl TaskFields {
    /// The names of the fields that differ, in a fixed order.
    pub fn changed_from(&self, before: &TaskFields) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut note = |name: &'static str, differs: bool| {
            if differs {
                changed.push(name);
            }
        };
        note("title", self.title != before.title);
        note("description", self.description != before.description);
        note("status", self.status != before.status);
        note(
            "assigned_to_user_id",
            self.assigned_to != before.assigned_to,
        );
        note("due_at", self.due_at != before.due_at);
        note("template_type", self.template_type != before.template_type);
        changed
    }
}

/// A create or patch request as received: `None` keeps a field (or takes its default on
/// create); for nullable fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct TaskDraft {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<String>,
    pub assigned_to_user_id: Option<Option<i64>>,
    pub due_at: Option<Option<Instant>>,
    pub template_type: Option<Option<String>>,
    /// Assign even though the assignee is on approved leave today.
    pub override_on_leave: bool,
}

/// One of the caller's tasks, with the assignment it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct MyTask {
    pub task: Task,
    pub assignment_code: String,
    pub assignment_status: String,
    pub borrower_name: Option<String>,
}

/// Filters of the "my tasks" list.
#[derive(Debug, Clone, Default)]
pub struct MyTaskFilter {
    /// Include DONE tasks (they are left out by default).
    pub include_done: bool,
    /// Only tasks with this status; naming one also lifts the default exclusion of DONE.
    pub status: Option<TaskStatus>,
    /// Only tasks due at or after this instant (tasks without a due time are left out).
    pub due_from: Option<Instant>,
    /// Only tasks due at or before this instant (tasks without a due time are left out).
    pub due_to: Option<Instant>,
}

impl MyTaskFilter {
    /// Whether DONE tasks are to be left out: unless asked for, or a status is named.
    pub fn excludes_done(&self) -> bool {
        !self.include_done && self.status.is_none()
    }
}

#[async_trait]
pub trait TaskRepository: Send + Sync {
    /// The assignment's tasks, oldest first.
    async fn list_for_assignment(&self, assignment_id: i64) -> DomainResult<Vec<Task>>;
    /// The task, if it belongs to this assignment; otherwise `NotFound("Task")`.
    async fn get(&self, assignment_id: i64, task_id: i64) -> DomainResult<Task>;
    /// Tasks assigned to `user` on live (not deleted) assignments, filtered as
    /// [`MyTaskFilter`] says (DONE left out when [`MyTaskFilter::excludes_done`]), ordered by
    /// due time ascending with tasks without one last, then newest first; at most `limit`.
    async fn mine(
        &self,
        user: UserId,
        scope: crate::assignment::AssignmentScope,
        filter: &MyTaskFilter,
        limit: u64,
    ) -> DomainResult<Vec<MyTask>>;
}

/// Task writes inside a [`crate::work::Transaction`].
#[async_trait]
pub trait TaskStore: Send {
    async fn create(
        &mut self,
        assignment_id: i64,
        created_by: UserId,
        fields: &TaskFields,
        at: OffsetDateTime,
    ) -> DomainResult<Task>;
    /// `NotFound("Task")` when the task is gone.
    async fn update(
        &mut self,
        task_id: i64,
        fields: &TaskFields,
        at: OffsetDateTime,
    ) -> DomainResult<Task>;
    /// `NotFound("Task")` when the task is already gone.
    async fn delete(&mut self, task_id: i64) -> DomainResult<()>;
    /// Records that a task template ran for the assignment under `key`; false (and nothing
    /// written) when it already had.
    async fn claim_template_run(
        &mut self,
        assignment_id: i64,
        template_id: i64,
        key: &str,
        at: OffsetDateTime,
    ) -> DomainResult<bool>;
    /// The assignment's open (not DONE) task of this template type, if any. Takes the
    /// assignment's write lock first, so two transactions that look and then create one
    /// run one after the other and the second finds the first's task.
    async fn open_of_type(
        &mut self,
        assignment_id: i64,
        template_type: &str,
    ) -> DomainResult<Option<Task>>;
}

enum TaskOp {
    Create {
        assignment_id: i64,
        created_by: UserId,
        fields: TaskFields,
    },
    Update {
        task_id: i64,
        fields: TaskFields,
    },
    Delete {
        task_id: i64,
    },
}

/// A checked change to one task, with its trail entry.
pub struct TaskChange {
    op: TaskOp,
    entry: ActivityDraft,
    at: OffsetDateTime,
}

#[async_trait]
impl Change for TaskChange {
    /// The task as written; `None` once deleted.
    type Output = Option<Task>;

    async fn apply(
        &self,
        tx: &mut dyn Transaction,
    ) -> DomainResult<(Option<Task>, Vec<ActivityDraft>)> {
        let store = tx.tasks();
        let (task, entry) = match &self.op {
            TaskOp::Create {
                assignment_id,
                created_by,
                fields,
            } => {
                let task = store
                    .create(*assignment_id, *created_by, fields, self.at)
                    .await?;
                // The id exists only now.
                let entry = self.entry.clone().with("task_id", task.id);
                (Some(task), entry)
            }
            TaskOp::Update { task_id, fields } => (
                Some(store.update(*task_id, fields, self.at).await?),
                self.entry.clone(),
            ),
            TaskOp::Delete { task_id } => {
                store.delete(*task_id).await?;
                (None, self.entry.clone())
            }
        };
        Ok((task, vec![entry]))
    }

    fn at(&self) -> OffsetDateTime {
        self.at
    }
}

/// The template of the follow-up task an overdue invoice gets.
pub const FOLLOW_UP_TEMPLATE: &str = "invoice_overdue";

/// A follow-up to add to an assignment (see [`TaskService::ensure_follow_ups`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub assignment_id: i64,
    pub title: String,
    pub description: String,
    /// The overdue invoice, its number and how many days late it is.
    pub invoice_id: i64,
    pub invoice_number: String,
    pub days_late: i64,
    pub due_date: time::Date,
}

/// A title as stored: trimmed, 2 to 255 characters.
pub fn validate_title(raw: &str) -> Result<String, String> {
    let title = crate::text::parse(raw, TITLE_MAX_CHARS)?;
    let chars = title.chars().count();
    if chars < TITLE_MIN_CHARS {
        return Err(format!("must be at least {TITLE_MIN_CHARS} characters"));
    }
    Ok(title)
}

/// Who may change a task: its creator, its current assignee, or anyone who sees all
/// assignments.
pub fn may_update(actor: &Actor, task: &Task) -> bool {
    actor.can(Capability::ViewAllAssignments)
        || task.created_by == actor.user_id
        || task.assigned_to == Some(actor.user_id)
}

/// Who may delete a task: its creator, or anyone who sees all assignments.
pub fn may_delete(actor: &Actor, task: &Task) -> bool {
    actor.can(Capability::ViewAllAssignments) || task.created_by == actor.user_id
}

/// Whether the actor may hand a task to `newcomer` (a user other than the current assignee):
/// taking it themself is always allowed, giving it to someone else needs `reassign`.
pub fn may_assign(actor: &Actor, newcomer: UserId) -> bool {
    newcomer == actor.user_id || actor.can(Capability::Reassign)
}

/// The user a draft newly names as assignee: set, not null, and not the current one.
fn newly_named(current: Option<UserId>, draft: &TaskDraft) -> Option<UserId> {
    match draft.assigned_to_user_id {
        Some(Some(id)) if current != Some(UserId(id)) => Some(UserId(id)),
        _ => None,
    }
}

/// The user a draft newly names as assignee (the current one being `current`, none on
/// create), refused unless the actor may give them the task: the same rule on create as on
/// update.
fn authorised_newcomer(
    actor: &Actor,
    current: Option<UserId>,
    draft: &TaskDraft,
) -> DomainResult<Option<UserId>> {
    match newly_named(current, draft) {
        Some(user) if !may_assign(actor, user) => Err(DomainError::Forbidden(
            "Not permitted to give a task to someone else: requires the reassign capability".into(),
        )),
        newcomer => Ok(newcomer),
    }
}

/// Applies a draft to the current fields (none on create), validating each one. Reference
/// checks (does the assignee exist) are the service's.
fn merge(current: Option<&TaskFields>, d: &TaskDraft, e: &mut FieldErrors) -> Option<TaskFields> {
    let title = match (&d.title, current) {
        (Some(raw), _) => e.check("title", validate_title(raw)),
        (None, Some(c)) => Some(c.title.clone()),
        (None, None) => {
            e.add("title", "is required");
            None
        }
    };
    let description = match &d.description {
        None => current.and_then(|c| c.description.clone()),
        Some(raw) => optional_field(raw.clone(), "description", DESCRIPTION_MAX_CHARS, e),
    };
    let status = match (&d.status, current) {
        (Some(raw), _) => e.check("status", raw.parse::<TaskStatus>()),
        (None, Some(c)) => Some(c.status),
        (None, None) => Some(TaskStatus::Todo),
    };
    let template_type = match &d.template_type {
        None => current.and_then(|c| c.template_type.clone()),
        Some(raw) => optional_field(raw.clone(), "template_type", TEMPLATE_TYPE_MAX_CHARS, e),
    };
    let assigned_to = match d.assigned_to_user_id {
        None => current.and_then(|c| c.assigned_to),
        Some(None) => None,
        Some(Some(id)) => Some(UserId(id)),
    };
    let due_at = match d.due_at {
        None => current.and_then(|c| c.due_at),
        Some(value) => value.map(Instant::get),
    };
    Some(TaskFields {
        title: title?,
        description,
        status: status?,
        assigned_to,
        due_at,
        template_type,
    })
}

#[derive(Clone)]
pub struct TaskService {
    tasks: Arc<dyn TaskRepository>,
    work: Arc<dyn UnitOfWork>,
    assignments: AssignmentService,
    users: Arc<dyn UserRepository>,
    leave: Arc<dyn LeaveCalendar>,
    clock: Arc<dyn Clock>,
}

impl TaskService {
    pub fn new(
        tasks: Arc<dyn TaskRepository>,
        work: Arc<dyn UnitOfWork>,
        assignments: AssignmentService,
        users: Arc<dyn UserRepository>,
        leave: Arc<dyn LeaveCalendar>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            tasks,
            work,
            assignments,
            users,
            leave,
            clock,
        }
    }

    /// The assignment's tasks, oldest first, if the actor may see the assignment.
    pub async fn list(&self, actor: &Actor, assignment_id: i64) -> DomainResult<Vec<Task>> {
        let view = self.assignments.get(actor, assignment_id).await?;
        self.list_visible(view.visible()).await
    }

    /// The tasks of an assignment already shown to be visible.
    pub async fn list_visible(&self, seen: Visible<'_>) -> DomainResult<Vec<Task>> {
        self.tasks.list_for_assignment(seen.id()).await
    }

    /// One task of an assignment the actor may see.
    pub async fn get(&self, actor: &Actor, assignment_id: i64, task_id: i64) -> DomainResult<Task> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        self.tasks.get(assignment.id, task_id).await
    }

    pub async fn create(
        &self,
        actor: &Actor,
        assignment_id: i64,
        draft: TaskDraft,
    ) -> DomainResult<Task> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        let newcomer = authorised_newcomer(actor, None, &draft)?;
        let now = self.clock.now();
        let mut e = FieldErrors::new();
        let fields = merge(None, &draft, &mut e);
        if let Some(user) = newcomer {
            self.check_assignee(user, &mut e).await?;
        }
        e.into_result()?;
        let fields =
            fields.ok_or_else(|| DomainError::unexpected("validated task fields missing"))?;
        if let (Some(user), false) = (newcomer, draft.override_on_leave) {
            self.check_leave(user, fields.due_at, now).await?;
        }
        let activity = ActivityDraft::new(
            "TASK_CREATED",
            actor,
            format!("Task created: {}", fields.title),
        )
        .on(assignment.id)
        .with("title", fields.title.as_str())
        .with("assigned_to_user_id", fields.assigned_to.map(|u| u.0));
        let change = TaskChange {
            op: TaskOp::Create {
                assignment_id: assignment.id,
                created_by: actor.user_id,
                fields,
            },
            entry: activity,
            at: now,
        };
        work::commit(self.work.as_ref(), &change)
            .await?
            .ok_or_else(|| DomainError::unexpected("a created task came back empty"))
    }

    pub async fn update(
        &self,
        actor: &Actor,
        assignment_id: i64,
        task_id: i64,
        draft: TaskDraft,
    ) -> DomainResult<Task> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        let current = self.tasks.get(assignment.id, task_id).await?;
        if !may_update(actor, &current) {
            return Err(DomainError::Forbidden(
                "Not permitted to modify this task".into(),
            ));
        }
        let newcomer = authorised_newcomer(actor, current.assigned_to, &draft)?;
        let now = self.clock.now();
        let before = current.fields();
        let mut e = FieldErrors::new();
        let fields = merge(Some(&before), &draft, &mut e);
        if let Some(user) = newcomer {
            self.check_assignee(user, &mut e).await?;
        }
        e.into_result()?;
        let fields =
            fields.ok_or_else(|| DomainError::unexpected("validated task fields missing"))?;
        let changed = fields.changed_from(&before);
        if changed.is_empty() {
            // Nothing changed: nothing to write.
            return Ok(current);
        }
        // A newcomer is asked about the due day; so is the assignee when the day moves.
        let day_moved = fields.due_at.map(|d| self.assignments.zone().local_date(d))
            != before.due_at.map(|d| self.assignments.zone().local_date(d));
        let asked = newcomer.or(fields.assigned_to.filter(|_| day_moved));
        if let (Some(user), false) = (asked, draft.override_on_leave) {
            self.check_leave(user, fields.due_at, now).await?;
        }
        let activity = ActivityDraft::new(
            "TASK_UPDATED",
            actor,
            format!("Task updated: {}", fields.title),
        )
        .on(assignment.id)
        .with("task_id", current.id)
        .with("title", fields.title.as_str())
        .with("assigned_to_user_id", fields.assigned_to.map(|u| u.0))
        .with("fields", PayloadValue::Text(changed.join(",")));
        let change = TaskChange {
            op: TaskOp::Update {
                task_id: current.id,
                fields,
            },
            entry: activity,
            at: now,
        };
        work::commit(self.work.as_ref(), &change)
            .await?
            .ok_or_else(|| DomainError::unexpected("an updated task came back empty"))
    }

    pub async fn delete(
        &self,
        actor: &Actor,
        assignment_id: i64,
        task_id: i64,
    ) -> DomainResult<()> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        let current = self.tasks.get(assignment.id, task_id).await?;
        if !may_delete(actor, &current) {
            return Err(DomainError::Forbidden(
                "Not permitted to delete this task".into(),
            ));
        }
        let activity = ActivityDraft::new(
            "TASK_DELETED",
            actor,
            format!("Task deleted: {}", current.title),
        )
        .on(assignment.id)
        .with("task_id", current.id);
        let change = TaskChange {
            op: TaskOp::Delete {
                task_id: current.id,
            },
            entry: activity,
            at: self.clock.now(),
        };
        work::commit(self.work.as_ref(), &change).await.map(drop)
    }

    /// Adds a follow-up task to each assignment named, unless it already has one with the
    /// same title: given to the first active FINANCE user (by id), else the first ADMIN,
    /// else the caller, due in two days. The system makes these, so the rule that only
    /// `reassign` holders give work to others does not apply. Returns how many were made.
    pub async fn ensure_follow_ups(
        &self,
        actor: &Actor,
        follow_ups: Vec<FollowUp>,
    ) -> DomainResult<u64> {
        if follow_ups.is_empty() {
            return Ok(0);
        }
        let mut assignee = actor.user_id;
        for role in [crate::access::Role::Admin, crate::access::Role::Finance] {
            let filter = crate::user::UserFilter {
                include_inactive: false,
                role: Some(role),
                by_name: false,
            };
            let people = self
                .users
                .list(
                    &filter,
                    crate::page::Page::first(crate::user::USER_LIST_CAP),
                )
                .await?;
            if let Some(first) = people.items.iter().map(|u| u.id).min() {
                assignee = first;
            }
        }
        if assignee == crate::access::SYSTEM_USER {
            // A scheduled run in a firm with neither FINANCE nor ADMIN: nobody to give it to.
            return Ok(0);
        }
        // Tasks the scheduled jobs make are created in their assignee's name.
        let creator = if actor.is_system() {
            assignee
        } else {
            actor.user_id
        };
        let now = self.clock.now();
        let mut made = 0;
        for follow_up in follow_ups {
            let existing = self
                .tasks
                .list_for_assignment(follow_up.assignment_id)
                .await?;
            if existing.iter().any(|t| {
                t.template_type.as_deref() == Some(FOLLOW_UP_TEMPLATE) && t.title == follow_up.title
            }) {
                continue;
            }
            let fields = TaskFields {
                title: follow_up.title.clone(),
                description: Some(follow_up.description),
                status: TaskStatus::Todo,
                assigned_to: Some(assignee),
                due_at: Some(now + time::Duration::days(2)),
                template_type: Some(FOLLOW_UP_TEMPLATE.to_owned()),
            };
            let entry = ActivityDraft::new(
                "INVOICE_FOLLOWUP_TASK_CREATED",
                actor,
                format!("Task created: {}", follow_up.title),
            )
            .on(follow_up.assignment_id)
            .with("title", follow_up.title.as_str())
            .with("assigned_to_user_id", assignee.0);
            let change = TaskChange {
                op: TaskOp::Create {
                    assignment_id: follow_up.assignment_id,
                    created_by: creator,
                    fields,
                },
                entry,
                at: now,
            };
            work::commit(self.work.as_ref(), &change).await?;
            made += 1;
        }
        Ok(made)
    }

    /// The caller's tasks on live assignments. A `limit` of 0 means the default; larger
    /// than [`MY_TASKS_CAP`] is capped.
    pub async fn mine(
        &self,
        actor: &Actor,
        filter: &MyTaskFilter,
        limit: u64,
    ) -> DomainResult<Vec<MyTask>> {
        if let (Some(from), Some(to)) = (filter.due_from, filter.due_to)
            && to < from
        {
            return Err(DomainError::invalid(
                "due_to",
                "must not be before due_from",
            ));
        }
        let limit = if limit == 0 {
            MY_TASKS_DEFAULT
        } else {
            limit.min(MY_TASKS_CAP)
        };
        // Only tasks on work the caller can still open: a task outlives a reassignment.
        let scope = if actor.can(Capability::ViewAllAssignments) {
            crate::assignment::AssignmentScope::Everything
        } else {
            crate::assignment::AssignmentScope::Involving(actor.user_id)
        };
        self.tasks.mine(actor.user_id, scope, filter, limit).await
    }

    /// Records a field error unless the user exists and is active.
    async fn check_assignee(&self, user: UserId, e: &mut FieldErrors) -> DomainResult<()> {
        let active = match self.users.get(user).await {
            Ok(found) => found.is_active,
            Err(DomainError::NotFound(_)) => false,
            Err(other) => return Err(other),
        };
        if !active {
            e.add(
                "assigned_to_user_id",
                format!("no active user has id {user}"),
            );
        }
        Ok(())
    }

    /// Whether the assignee is away on the day the task is due (today without a due date).
    async fn check_leave(
        &self,
        user: UserId,
        due_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> DomainResult<()> {
        let day = self.assignments.zone().local_date(due_at.unwrap_or(now));
        match self.leave.first_on_leave(&[user], day).await? {
            Some(conflict) => Err(DomainError::OnLeave(conflict)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{CapabilityOverrides, Role, Roles};

    fn actor(id: i64, role: Role) -> Actor {
        Actor::new(
            UserId(id),
            Roles::single(role),
            &CapabilityOverrides::none(),
        )
    }

    fn task(created_by: i64, assigned_to: Option<i64>) -> Task {
        let at = OffsetDateTime::UNIX_EPOCH;
        Task {
            id: 1,
            assignment_id: 7,
            title: "Collect documents".into(),
            description: None,
            status: TaskStatus::Todo,
            assigned_to: assigned_to.map(UserId),
            due_at: None,
            template_type: None,
            created_by: UserId(created_by),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn status_parses_case_insensitively_and_round_trips() {
        for status in TaskStatus::ALL {
            assert_eq!(status.as_str().parse::<TaskStatus>(), Ok(status));
            assert_eq!(
                status.as_str().to_lowercase().parse::<TaskStatus>(),
                Ok(status)
            );
        }
        assert_eq!(" doing ".parse::<TaskStatus>(), Ok(TaskStatus::Doing));
        let err = "finished".parse::<TaskStatus>().unwrap_err();
        for name in ["TODO", "DOING", "DONE", "BLOCKED"] {
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(validate_title("  Site photos  ").unwrap(), "Site photos");
        assert_eq!(validate_title("ok").unwrap(), "ok");
        assert!(validate_title(" a ").is_err());
        assert!(validate_title("   ").is_err());
        assert!(validate_title(&"x".repeat(255)).is_ok());
        assert!(validate_title(&"x".repeat(256)).is_err());
        // Characters, not bytes.
        assert!(validate_title(&"é".repeat(255)).is_ok());
    }

    #[test]
    fn creator_assignee_and_view_all_may_update() {
        let t = task(1, Some(2));
        assert!(may_update(&actor(1, Role::Employee), &t));
        assert!(may_update(&actor(2, Role::FieldValuer), &t));
        assert!(may_update(&actor(3, Role::OpsManager), &t));
        assert!(!may_update(&actor(3, Role::Employee), &t));
        assert!(!may_update(&actor(3, Role::AssistantValuer), &t));
    }

    #[test]
    fn only_creator_and_view_all_may_delete() {
        let t = task(1, Some(2));
        assert!(may_delete(&actor(1, Role::Employee), &t));
        assert!(!may_delete(&actor(2, Role::Employee), &t));
        assert!(may_delete(&actor(3, Role::Finance), &t));
    }

    #[test]
    fn handing_work_to_others_needs_reassign() {
        assert!(may_assign(&actor(5, Role::Employee), UserId(5)));
        assert!(!may_assign(&actor(5, Role::Employee), UserId(6)));
        assert!(may_assign(&actor(5, Role::OpsManager), UserId(6)));
        // Finance sees everything but may not reassign.
        assert!(!may_assign(&actor(5, Role::Finance), UserId(6)));
    }

    #[test]
    fn giving_a_new_task_to_someone_else_needs_reassign_too() {
        let draft = |assignee: i64| TaskDraft {
            title: Some("Visit site".into()),
            assigned_to_user_id: Some(Some(assignee)),
            ..TaskDraft::default()
        };
        let employee = actor(5, Role::Employee);
        // On create (no current assignee) as on update.
        for current in [None, Some(UserId(5))] {
            assert!(matches!(
                authorised_newcomer(&employee, current, &draft(6)),
                Err(DomainError::Forbidden(_))
            ));
        }
        assert_eq!(
            authorised_newcomer(&employee, None, &draft(5)).unwrap(),
            Some(UserId(5))
        );
        assert_eq!(
            authorised_newcomer(&employee, None, &TaskDraft::default()).unwrap(),
            None
        );
        assert_eq!(
            authorised_newcomer(&actor(5, Role::OpsManager), None, &draft(6)).unwrap(),
            Some(UserId(6))
        );
        // Keeping the current assignee hands nothing over.
        assert_eq!(
            authorised_newcomer(&employee, Some(UserId(6)), &draft(6)).unwrap(),
            None
        );
    }

    #[test]
    fn a_newly_named_assignee_is_a_different_non_null_user() {
        let draft = |v: Option<Option<i64>>| TaskDraft {
            assigned_to_user_id: v,
            ..TaskDraft::default()
        };
        assert_eq!(newly_named(Some(UserId(2)), &draft(None)), None);
        assert_eq!(newly_named(Some(UserId(2)), &draft(Some(None))), None);
        assert_eq!(newly_named(Some(UserId(2)), &draft(Some(Some(2)))), None);
        assert_eq!(
            newly_named(Some(UserId(2)), &draft(Some(Some(3)))),
            Some(UserId(3))
        );
        assert_eq!(newly_named(None, &draft(Some(Some(3)))), Some(UserId(3)));
    }

    #[test]
    fn create_defaults_and_validates() {
        let mut e = FieldErrors::new();
        let draft = TaskDraft {
            title: Some("  Visit site ".into()),
            description: Some(Some("   ".into())),
            ..TaskDraft::default()
        };
        let fields = merge(None, &draft, &mut e).unwrap();
        assert!(e.is_empty());
        assert_eq!(fields.title, "Visit site");
        assert_eq!(fields.status, TaskStatus::Todo);
        assert_eq!(fields.description, None);

        let mut e = FieldErrors::new();
        let draft = TaskDraft {
            description: Some(Some("d".repeat(10_001))),
            status: Some("later".into()),
            template_type: Some(Some("t".repeat(101))),
            ..TaskDraft::default()
        };
        assert!(merge(None, &draft, &mut e).is_none());
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["title", "description", "status", "template_type"]);
    }

    #[test]
    fn patch_keeps_clears_and_reports_changes() {
        let before = task(1, Some(2)).fields();
        let mut e = FieldErrors::new();
        let draft = TaskDraft {
            status: Some("done".into()),
            assigned_to_user_id: Some(None),
            ..TaskDraft::default()
        };
        let after = merge(Some(&before), &draft, &mut e).unwrap();
        assert!(e.is_empty());
        assert_eq!(after.title, before.title);
        assert_eq!(after.assigned_to, None);
        assert_eq!(
            after.changed_from(&before),
            ["status", "assigned_to_user_id"]
        );
        assert!(before.changed_from(&before).is_empty());
    }

    #[test]
    fn done_is_left_out_unless_asked_for() {
        assert!(MyTaskFilter::default().excludes_done());
        let with_done = MyTaskFilter {
            include_done: true,
            ..MyTaskFilter::default()
        };
        assert!(!with_done.excludes_done());
        let by_status = MyTaskFilter {
            status: Some(TaskStatus::Done),
            ..MyTaskFilter::default()
        };
        assert!(!by_status.excludes_done());
    }
}
