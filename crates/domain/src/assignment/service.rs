//! The rules for creating, changing, listing and removing assignments.

use crate::task_template::{
    self, Firing, MAX_DUE_DAYS, NoTemplates, RoleHolders, TaskTemplate, TaskTemplateRepository,
    TemplateAssignee, TemplateRun,
};
use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use time::{Date, Duration, OffsetDateTime};

use super::lifecycle::{AssignmentStatus, transition};
use super::model::*;
use crate::access::{Actor, Capability, Role};
use crate::activity::ActivityDraft;
use crate::calendar::{CalendarEventType, EventDraft};
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::instant::Instant;
use crate::leave::{Absence, LeaveCalendar};
use crate::master::CaseType;
use crate::money::Money;
use crate::page::{Page, Paged};
use crate::sla::{self, Due, FirmZone};
use crate::text::{limits, optional_field};
use crate::user::{USER_LIST_CAP, User, UserFilter, UserId, UserRepository};
use crate::work::{self, Cause, Change, Transaction, UnitOfWork};
use crate::workdays::WorkingDays;

pub const LIST_DEFAULT: u64 = 100;
/// Bounds on the lists an assignment carries, so no request can ask for a huge write.
pub const MAX_FLOORS: usize = 100;
pub const MAX_ASSIGNEES: usize = 50;
pub const LIST_CAP: u64 = 500;

/// Fees and payment state are shown only to roles that handle money.
pub fn sees_money(actor: &Actor) -> bool {
    actor.can(Capability::ModifyMoney) || actor.can(Capability::ViewInvoices)
}

#[derive(Debug, Clone, Default)]
pub struct FloorDraft {
    pub floor_name: String,
    pub area: String,
    pub order_index: Option<i32>,
}

/// A create or patch request as received: `None` leaves a field as it is (or at its
/// default on create); for nullable fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AssignmentDraft {
    pub case_type: Option<String>,
    pub service_line: Option<String>,
    pub bank_id: Option<Option<i64>>,
    pub branch_id: Option<Option<i64>>,
    pub client_id: Option<Option<i64>>,
    pub property_type_id: Option<Option<i64>>,
    pub property_subtype_id: Option<Option<i64>>,
    pub valuer_client_name: Option<Option<String>>,
    pub borrower_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub land_area: Option<Option<String>>,
    pub builtup_area: Option<Option<String>>,
    pub status: Option<String>,
    pub cancel_reason: Option<String>,
    pub assigned_to_user_id: Option<Option<i64>>,
    pub assignee_user_ids: Option<Vec<i64>>,
    pub site_visit_at: Option<Option<Instant>>,
    pub report_due_at: Option<Option<Instant>>,
    pub fees: Option<Option<String>>,
    pub is_paid: Option<bool>,
    pub notes: Option<Option<String>>,
    pub floors: Option<Vec<FloorDraft>>,
    /// Assign even though someone is on approved leave.
    pub override_on_leave: bool,
}

/// An assignment as one caller may see it.
#[derive(Debug, Clone)]
pub struct AssignmentView {
    pub assignment: Assignment,
    pub due: Due,
    /// Whether fees and payment state may be shown to this caller.
    pub money_visible: bool,
}

/// Proof that the actor reading it was allowed to see this assignment: only a view the
/// service made after its row-access check hands one out. Services given one read the
/// assignment's tasks, messages, approvals, invoices or documents without loading it again
/// to check access (the detail page reads six of them for one assignment).
#[derive(Debug, Clone, Copy)]
pub struct Visible<'a> {
    assignment: &'a Assignment,
}

impl<'a> Visible<'a> {
    pub fn assignment(&self) -> &'a Assignment {
        self.assignment
    }

    pub fn id(&self) -> i64 {
        self.assignment.id
    }
}

impl AssignmentView {
    /// The view's assignment as proof of access (see [`Visible`]).
    pub fn visible(&self) -> Visible<'_> {
        Visible {
            assignment: &self.assignment,
        }
    }
}

/// How the firm numbers and times its work.
#[derive(Debug, Clone)]
pub struct AssignmentSettings {
    /// The firm's zone: local dates and the 18:00 end of the working day.
    pub zone: FirmZone,
    /// The prefix of assignment codes (`VAL`).
    pub code_prefix: String,
}

/// How many days, from today, the workload's upcoming leave covers.
pub const UPCOMING_LEAVE_DAYS: i64 = 7;

#[derive(Clone)]
pub struct AssignmentService {
    repo: Arc<dyn AssignmentRepository>,
    work: Arc<dyn UnitOfWork>,
    leave: Arc<dyn LeaveCalendar>,
    days: WorkingDays,
    people: Arc<dyn UserRepository>,
    clock: Arc<dyn Clock>,
    zone: FirmZone,
    code_prefix: String,
    /// The task templates changes may fire.
    templates: Arc<dyn TaskTemplateRepository>,
}

/// `Some(new)` replaces, `None` keeps `old`.
fn pick<T>(new: Option<T>, old: T) -> T {
    new.unwrap_or(old)
}

fn positive_id(id: Option<i64>, field: &str, errors: &mut FieldErrors) -> Option<i64> {
    match id {
        Some(n) if n <= 0 => {
            errors.add(field, "must be a positive id");
            None
        }
        other => other,
    }
}

impl AssignmentService {
    pub fn new(
        repo: Arc<dyn AssignmentRepository>,
        work: Arc<dyn UnitOfWork>,
        leave: Arc<dyn LeaveCalendar>,
        days: WorkingDays,
        people: Arc<dyn UserRepository>,
        clock: Arc<dyn Clock>,
        settings: AssignmentSettings,
    ) -> Self {
        let AssignmentSettings { zone, code_prefix } = settings;
        Self {
            repo,
            work,
            leave,
            days,
            people,
            clock,
            zone,
            code_prefix,
            templates: Arc::new(NoTemplates),
        }
    }

    /// Fires these task templates on creation and status changes.
    pub fn with_templates(mut self, templates: Arc<dyn TaskTemplateRepository>) -> Self {
        self.templates = templates;
        self
    }

    /// The task-template runs a change calls for (read before its transaction opens).
    async fn template_runs(
        &self,
        firing: Firing,
        fields: &AssignmentFields,
        now: OffsetDateTime,
    ) -> DomainResult<Vec<TemplateRun>> {
        let templates: Vec<TaskTemplate> = self
            .templates
            .list(false)
            .await?
            .into_iter()
            .filter(|t| t.fields.fires_on(firing, fields))
            .collect();
        if templates.is_empty() {
            return Ok(Vec::new());
        }
        let mut holders = RoleTable::default();
        for role in templates
            .iter()
            .flat_map(|t| t.fields.tasks.iter())
            .filter_map(|t| match t.assignee {
                TemplateAssignee::Role(role) => Some(role),
                _ => None,
            })
        {
            if holders.0.iter().any(|(r, _)| *r == role) {
                continue;
            }
            let filter = crate::user::UserFilter {
                include_inactive: false,
                role: Some(role),
                by_name: false,
            };
            let first = self
                .people
                .list(
                    &filter,
                    crate::page::Page::first(crate::user::USER_LIST_CAP),
                )
                .await?
                .items
                .into_iter()
                .filter(|u| u.is_active)
                .map(|u| u.id)
                .min();
            holders.0.push((role, first));
        }
        let today = self.zone.local_date(now);
        let calendar = self
            .days
            .calendar(today, today + Duration::days(i64::from(MAX_DUE_DAYS) * 2))
            .await?;
        Ok(task_template::plan(
            &templates, firing, fields, now, &self.zone, &calendar, &holders,
        ))
    }

    pub fn zone(&self) -> &FirmZone {
        &self.zone
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn scope(actor: &Actor) -> AssignmentScope {
        if actor.can(Capability::ViewAllAssignments) {
            AssignmentScope::Everything
        } else {
            AssignmentScope::Involving(actor.user_id)
        }
    }

    /// The assignment as this actor may see it, now.
    pub fn view_of(&self, actor: &Actor, assignment: Assignment) -> AssignmentView {
        self.view(actor, assignment, self.clock.now())
    }

    fn view(&self, actor: &Actor, assignment: Assignment, now: OffsetDateTime) -> AssignmentView {
        let due = sla::assess(
            assignment.fields.due_at,
            assignment.fields.status.is_open(),
            now,
        );
        AssignmentView {
            assignment,
            due,
            money_visible: sees_money(actor),
        }
    }

    /// The assignment, if the actor may see it. Work outside their scope is reported as
    /// missing, so its existence is not revealed.
    pub async fn load(&self, actor: &Actor, id: i64) -> DomainResult<Assignment> {
        let assignment = self.repo.get(id).await?;
        if actor.can(Capability::ViewAllAssignments) || assignment.involves(actor.user_id) {
            Ok(assignment)
        } else {
            Err(DomainError::NotFound("Assignment"))
        }
    }

    pub async fn get(&self, actor: &Actor, id: i64) -> DomainResult<AssignmentView> {
        let assignment = self.load(actor, id).await?;
        Ok(self.view(actor, assignment, self.clock.now()))
    }

    pub async fn list(
        &self,
        actor: &Actor,
        query: &AssignmentQuery,
        page: Page,
    ) -> DomainResult<Paged<AssignmentView>> {
        let now = self.clock.now();
        // Filtering by payment state would reveal it: only money roles may.
        let mut query = query.clone();
        if !sees_money(actor) {
            query.is_paid = None;
        }
        let rows = self.repo.list(&query, Self::scope(actor), page).await?;
        Ok(rows.map(|a| self.view(actor, a, now)))
    }

    pub async fn summary(&self, actor: &Actor) -> DomainResult<Summary> {
        self.repo
            .summary(Self::scope(actor), self.clock.now())
            .await
    }

    pub async fn workload(&self, actor: &Actor) -> DomainResult<Vec<WorkloadRow>> {
        let now = self.clock.now();
        let mut rows = self.repo.workload(Self::scope(actor), now).await?;
        let users: Vec<UserId> = rows.iter().filter_map(|r| r.user_id).collect();
        let away = self
            .leave
            .on_leave(&users, self.zone.local_date(now))
            .await?;
        let today = self.zone.local_date(now);
        let week_end = today
            .checked_add(Duration::days(UPCOMING_LEAVE_DAYS - 1))
            .unwrap_or(today);
        let mut upcoming: Vec<Absence> = self.leave.absences(&users, today, week_end).await?;
        for row in &mut rows {
            row.on_leave_today = row.user_id.is_some_and(|u| away.contains(&u));
            if let Some(user) = row.user_id {
                row.upcoming_leave = upcoming.extract_if(.., |a| a.user_id == user).collect();
            }
        }
        // People who are in first, then the most overdue, the busiest, by name.
        rows.sort_by(|a, b| {
            a.on_leave_today
                .cmp(&b.on_leave_today)
                .then(b.overdue.cmp(&a.overdue))
                .then(b.total_open.cmp(&a.total_open))
                .then(a.user_name.cmp(&b.user_name))
        });
        Ok(rows)
    }

    /// Those of `users` that exist and are active.
    pub async fn active_people(&self, users: &[UserId]) -> DomainResult<Vec<UserId>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let refs = self
            .repo
            .references(&ReferenceIds {
                users: users.to_vec(),
                ..ReferenceIds::default()
            })
            .await?;
        Ok(refs.active_users)
    }

    /// Works out again the due time of open work that a change of the firm's working
    /// days on `day` can move (work due from that day through the next
    /// [`SEARCH_HORIZON_DAYS`](crate::workdays::SEARCH_HORIZON_DAYS)), and stores the
    /// ones that moved, in one transaction. Returns how many moved.
    pub async fn replan_due_times(&self, day: Date) -> DomainResult<usize> {
        let horizon = Duration::days(crate::workdays::SEARCH_HORIZON_DAYS + 1);
        let (Some(until), Some(since)) = (day.checked_add(horizon), day.checked_sub(horizon))
        else {
            return Ok(0);
        };
        let rows = self
            .repo
            .open_due_between(
                self.zone.at_local(day, time::Time::MIDNIGHT),
                self.zone.at_local(until, time::Time::MIDNIGHT),
            )
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let calendar = self.days.calendar(since, until).await?;
        let moved: Vec<(&DueBasis, OffsetDateTime)> = rows
            .iter()
            .filter_map(|r| {
                let base =
                    sla::due_time(&self.zone, r.created_at, r.site_visit_at, r.report_due_at);
                let due = sla::due_on_working_day(&self.zone, &calendar, base);
                (due != r.due_at).then_some((r, due))
            })
            .collect();
        if moved.is_empty() {
            return Ok(0);
        }
        let now = self.clock.now();
        let mut tx = self.work.begin().await?;
        let mut written = 0;
        for (row, due) in &moved {
            // Work edited since it was read kept its own, newer due time.
            if tx
                .assignments()
                .set_due_at(row.id, row.version, *due, now)
                .await?
            {
                written += 1;
            }
        }
        tx.commit().await?;
        Ok(written)
    }

    /// Active people who could take work on `day`, best first: nobody on leave that day,
    /// then the fewest open assignments, then the fewest due that day, then by name.
    /// Without a role, valuers (field and assistant); with one, people holding it.
    pub async fn suggest_assignees(
        &self,
        actor: &Actor,
        day: Date,
        role: Option<Role>,
    ) -> DomainResult<Vec<Suggestion>> {
        actor.require(Capability::ViewAllAssignments)?;
        let filter = UserFilter {
            include_inactive: false,
            role: None,
            by_name: true,
        };
        let people: Vec<User> = self
            .people
            .list(&filter, Page::first(USER_LIST_CAP))
            .await?
            .items
            .into_iter()
            .filter(|u| u.is_active)
            .filter(|u| match role {
                Some(role) => u.roles.contains(role),
                None => {
                    u.roles.contains(Role::FieldValuer) || u.roles.contains(Role::AssistantValuer)
                }
            })
            .collect();
        let ids: Vec<UserId> = people.iter().map(|u| u.id).collect();
        let away = self.leave.on_leave(&ids, day).await?;
        let day_start = self.zone.at_local(day, time::Time::MIDNIGHT);
        let day_end = day.next_day().map_or(day_start, |next| {
            self.zone.at_local(next, time::Time::MIDNIGHT)
        });
        let loads = self.repo.load_by_person(day_start, day_end).await?;
        let mut suggestions: Vec<Suggestion> = people
            .into_iter()
            .filter(|u| !away.contains(&u.id))
            .map(|u| {
                let load = loads.iter().find(|l| l.user_id == u.id);
                let open = load.map_or(0, |l| l.open);
                let due_that_day = load.map_or(0, |l| l.due_in_window);
                Suggestion {
                    user_id: u.id,
                    name: u.full_name.clone().unwrap_or_else(|| u.email.to_string()),
                    email: u.email.to_string(),
                    open,
                    due_that_day,
                    reason: format!(
                        "not on leave on {day}; {open} open assignment{}; {due_that_day} due that day",
                        if open == 1 { "" } else { "s" }
                    ),
                }
            })
            .collect();
        suggestions.sort_by(|a, b| {
            a.open
                .cmp(&b.open)
                .then(a.due_that_day.cmp(&b.due_that_day))
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                .then(a.user_id.cmp(&b.user_id))
        });
        Ok(suggestions)
    }

    pub async fn create(
        &self,
        actor: &Actor,
        draft: AssignmentDraft,
    ) -> DomainResult<AssignmentView> {
        actor.require(Capability::CreateAssignment)?;
        let sets_money =
            draft.fees.as_ref().is_some_and(Option::is_some) || draft.is_paid == Some(true);
        if sets_money && !actor.can(Capability::ModifyMoney) {
            return Err(DomainError::Forbidden(
                "Setting fees or payment needs the modify_money capability".into(),
            ));
        }
        let starts_pending = draft
            .status
            .as_deref()
            .is_none_or(|s| s.parse::<AssignmentStatus>() == Ok(AssignmentStatus::Pending));
        if !starts_pending {
            return Err(DomainError::invalid(
                "status",
                "new assignments start as PENDING",
            ));
        }
        let now = self.clock.now();
        let override_on_leave = draft.override_on_leave;
        let mut fields = self.merge(None, now, draft).await?;
        if !override_on_leave {
            self.check_leave(
                &fields_assignees(&fields),
                self.day_that_matters(&fields, now),
            )
            .await?;
        }
        fields.assigned_at = fields.assigned_to.map(|_| now);
        let runs = self.template_runs(Firing::Created, &fields, now).await?;
        let creation = AssignmentCreation {
            runs,
            series: CodeSeries {
                prefix: self.code_prefix.clone(),
                year: self.zone.local_date(now).year(),
            },
            created_by: actor.user_id,
            write: AssignmentWrite {
                events: desired_events("{code}", &fields),
                fields,
            },
            at: now,
        };
        let created = work::commit(self.work.as_ref(), &creation).await?;
        Ok(self.view(actor, created, now))
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        draft: AssignmentDraft,
    ) -> DomainResult<AssignmentView> {
        let edit = self.plan_update(actor, id, draft).await?;
        let updated = if edit.changes_anything() {
            work::commit(self.work.as_ref(), &edit).await?
        } else {
            edit.current.clone()
        };
        Ok(self.view(actor, updated, edit.at))
    }

    /// Checks a change to an assignment the actor may see, by the rules the actor is held
    /// to, without writing it: [`work::write`] writes the edit (in a transaction of the
    /// caller's, which may hold more).
    pub async fn plan_update(
        &self,
        actor: &Actor,
        id: i64,
        draft: AssignmentDraft,
    ) -> DomainResult<AssignmentEdit> {
        let current = self.load(actor, id).await?;
        let now = self.clock.now();
        let before = &current.fields;
        let override_on_leave = draft.override_on_leave;
        let requested_status = match &draft.status {
            Some(raw) => Some(
                raw.parse::<AssignmentStatus>()
                    .map_err(|m| DomainError::invalid("status", m))?,
            ),
            None => None,
        };
        let cancel_reason = match draft.cancel_reason.as_deref() {
            Some(raw) => crate::text::parse_optional(Some(raw), limits::LONG)
                .map_err(|m| DomainError::invalid("cancel_reason", m))?,
            None => None,
        };
        // Sending money fields at all needs the capability: answering by whether the value
        // changed would reveal it.
        if (draft.fees.is_some() || draft.is_paid.is_some()) && !actor.can(Capability::ModifyMoney)
        {
            return Err(DomainError::Forbidden(
                "Changing fees or payment needs the modify_money capability".into(),
            ));
        }
        let mut fields = self.merge(Some(before), current.created_at, draft).await?;
        let mut activities = Vec::new();

        if fields.fees != before.fees || fields.is_paid != before.is_paid {
            activities.push(
                ActivityDraft::new(
                    "ASSIGNMENT_FINANCE_UPDATED",
                    actor,
                    "Fees or payment changed",
                )
                .with("fees", fields.fees.map(|f| f.to_string()))
                .with("is_paid", fields.is_paid),
            );
        }

        let (old_people, new_people) = (fields_assignees(before), fields_assignees(&fields));
        // Moving the work to another day asks again whether its people are in that day.
        let day = self.day_that_matters(&fields, now);
        if !override_on_leave && day != self.day_that_matters(before, now) {
            let staying: Vec<UserId> = new_people
                .iter()
                .filter(|u| old_people.contains(u))
                .copied()
                .collect();
            self.check_leave(&staying, day).await?;
        }
        if fields.assigned_to != before.assigned_to
            || fields.additional_assignees != before.additional_assignees
        {
            actor.require(Capability::Reassign)?;
            let newcomers: Vec<UserId> = new_people
                .iter()
                .filter(|u| !old_people.contains(u))
                .copied()
                .collect();
            if !override_on_leave {
                self.check_leave(&newcomers, self.day_that_matters(&fields, now))
                    .await?;
            }
            if fields.assigned_to != before.assigned_to {
                fields.assigned_at = fields.assigned_to.map(|_| now);
                activities.push(
                    ActivityDraft::new("ASSIGNMENT_REASSIGNED", actor, "Primary assignee changed")
                        .with("assigned_to_user_id", fields.assigned_to.map(|u| u.0))
                        .with("previous_user_id", before.assigned_to.map(|u| u.0)),
                );
            }
            if fields.additional_assignees != before.additional_assignees {
                activities.push(
                    ActivityDraft::new("ASSIGNMENT_ASSIGNEES_UPDATED", actor, "Assignees changed")
                        .with(
                            "assignee_user_ids",
                            crate::activity::PayloadValue::Ints(ids(&new_people)),
                        ),
                );
            }
        }

        if let Some(to) = requested_status.filter(|to| *to != before.status) {
            let (step, milestones) = transition(
                actor,
                before.status,
                to,
                before.milestones,
                cancel_reason.as_deref(),
                now,
            )?;
            fields.status = to;
            fields.milestones = milestones;
            fields.cancel_reason = match to {
                AssignmentStatus::Cancelled => cancel_reason,
                _ => None,
            };
            let mut entry = ActivityDraft::new(
                step.activity,
                actor,
                format!("Status changed from {} to {to}", before.status),
            )
            .with("from", before.status.as_str())
            .with("to", to.as_str());
            if let Some(reason) = &fields.cancel_reason {
                entry = entry.with("reason", reason.as_str());
            }
            activities.push(entry);
        }

        if fields.floors != before.floors {
            activities.push(
                ActivityDraft::new("ASSIGNMENT_FLOORS_UPDATED", actor, "Floors changed")
                    .with(
                        "floor_count",
                        i64::try_from(fields.floors.len()).unwrap_or(i64::MAX),
                    )
                    .with("builtup_area", fields.builtup_area.map(|a| a.to_string())),
            );
        }
        let changed = changed_details(before, &fields);
        if !changed.is_empty() {
            activities.push(
                ActivityDraft::new(
                    "ASSIGNMENT_UPDATED",
                    actor,
                    format!("Changed {}", changed.join(", ")),
                )
                .with(
                    "fields",
                    crate::activity::PayloadValue::Text(changed.join(",")),
                ),
            );
        }
        if activities.is_empty() {
            // Nothing changed: nothing to write.
            return Ok(AssignmentEdit {
                by: actor.user_id,
                runs: Vec::new(),
                current,
                write: None,
                trail: Vec::new(),
                at: now,
            });
        }
        let trail = activities.into_iter().map(|a| a.on(id)).collect();
        let runs = match requested_status.filter(|to| *to != before.status) {
            Some(to) => {
                self.template_runs(Firing::Entered(to), &fields, now)
                    .await?
            }
            None => Vec::new(),
        };
        let write = AssignmentWrite {
            events: desired_events(&current.code, &fields),
            fields,
        };
        Ok(AssignmentEdit {
            by: actor.user_id,
            runs,
            current,
            write: Some(write),
            trail,
            at: now,
        })
    }

    /// Removes an assignment from every list (it stays in the database for the record).
    /// Only roles with `delete_assignment_direct` may; others request it through an
    /// approval.
    pub async fn delete(&self, actor: &Actor, id: i64, reason: Option<&str>) -> DomainResult<()> {
        let deletion = self.plan_delete(actor, id, reason, Cause::Direct).await?;
        work::commit(self.work.as_ref(), &deletion).await
    }

    /// Checks a deletion without writing it. A direct deletion needs
    /// `delete_assignment_direct`; one an approval decided was authorised by it.
    pub async fn plan_delete(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<&str>,
        cause: Cause,
    ) -> DomainResult<AssignmentDeletion> {
        let current = self.load(actor, id).await?;
        if cause == Cause::Direct {
            actor.require(Capability::DeleteAssignmentDirect)?;
        }
        let reason = crate::text::parse_optional(reason, limits::LONG)
            .map_err(|m| DomainError::invalid("reason", m))?;
        let message = match cause {
            Cause::Direct => reason.unwrap_or_else(|| "Assignment deleted".to_owned()),
            Cause::Approval(_) => format!(
                "{} (via approval)",
                reason.as_deref().unwrap_or("Assignment deleted")
            ),
        };
        let entry = ActivityDraft::new("ASSIGNMENT_DELETED", actor, message)
            .on(id)
            .with("assignment_code", current.code.as_str());
        Ok(AssignmentDeletion {
            id,
            version: current.version,
            by: actor.user_id,
            entry,
            at: self.clock.now(),
        })
    }

    /// The day someone given this work must be there: the site visit's (firm-local) date,
    /// else the report due date, else today.
    pub fn day_that_matters(&self, fields: &AssignmentFields, now: OffsetDateTime) -> Date {
        let at = fields.site_visit_at.or(fields.report_due_at).unwrap_or(now);
        self.zone.local_date(at)
    }

    async fn check_leave(&self, users: &[UserId], day: Date) -> DomainResult<()> {
        if users.is_empty() {
            return Ok(());
        }
        match self.leave.first_on_leave(users, day).await? {
            Some(conflict) => Err(DomainError::OnLeave(conflict)),
            None => Ok(()),
        }
    }

    /// Applies a draft to the current fields (none on create), validating every field and
    /// every reference, and derives the names and the SLA due time.
    async fn merge(
        &self,
        current: Option<&AssignmentFields>,
        created_at: OffsetDateTime,
        d: AssignmentDraft,
    ) -> DomainResult<AssignmentFields> {
        let mut e = FieldErrors::new();
        let case_type = match (d.case_type, current) {
            (Some(raw), _) => e.check("case_type", raw.parse::<CaseType>()),
            (None, Some(c)) => Some(c.case_type),
            (None, None) => {
                e.add("case_type", "is required");
                None
            }
        };
        let service_line = match (d.service_line, current) {
            (Some(raw), _) => e.check("service_line", raw.parse::<ServiceLine>()),
            (None, Some(c)) => Some(c.service_line),
            (None, None) => Some(ServiceLine::Valuation),
        };
        let keep = |f: fn(&AssignmentFields) -> Option<i64>| current.and_then(f);
        let bank_id = positive_id(pick(d.bank_id, keep(|c| c.bank_id)), "bank_id", &mut e);
        let branch_id = positive_id(
            pick(d.branch_id, keep(|c| c.branch_id)),
            "branch_id",
            &mut e,
        );
        let client_id = positive_id(
            pick(d.client_id, keep(|c| c.client_id)),
            "client_id",
            &mut e,
        );
        let property_type_id = positive_id(
            pick(d.property_type_id, keep(|c| c.property_type_id)),
            "property_type_id",
            &mut e,
        );
        let property_subtype_id = positive_id(
            pick(d.property_subtype_id, keep(|c| c.property_subtype_id)),
            "property_subtype_id",
            &mut e,
        );
        let keep_text =
            |f: fn(&AssignmentFields) -> &Option<String>| current.and_then(|c| f(c).clone());
        // The client's name is a copy of the client's, unless typed: a new client brings its
        // own name rather than keeping the old one.
        let client_changed = current.is_some_and(|c| c.client_id != client_id);
        let kept_name = if client_changed {
            None
        } else {
            keep_text(|c| &c.valuer_client_name)
        };
        let valuer_client_name = optional_field(
            pick(d.valuer_client_name, kept_name),
            "valuer_client_name",
            limits::NAME,
            &mut e,
        );
        let borrower_name = optional_field(
            pick(d.borrower_name, keep_text(|c| &c.borrower_name)),
            "borrower_name",
            limits::NAME,
            &mut e,
        );
        let phone = optional_field(
            pick(d.phone, keep_text(|c| &c.phone)),
            "phone",
            limits::CODE,
            &mut e,
        );
        let address = optional_field(
            pick(d.address, keep_text(|c| &c.address)),
            "address",
            limits::ADDRESS,
            &mut e,
        );
        let notes = optional_field(
            pick(d.notes, keep_text(|c| &c.notes)),
            "notes",
            limits::LONG,
            &mut e,
        );
        let area = |raw: Option<Option<String>>,
                    old: Option<Area>,
                    field: &str,
                    e: &mut FieldErrors| match raw {
            None => old,
            Some(None) => None,
            Some(Some(v)) if v.trim().is_empty() => None,
            Some(Some(v)) => e.check(field, Area::parse_non_negative(&v)),
        };
        let land_area = area(
            d.land_area,
            current.and_then(|c| c.land_area),
            "land_area",
            &mut e,
        );
        let mut builtup_area = area(
            d.builtup_area.clone(),
            current.and_then(|c| c.builtup_area),
            "builtup_area",
            &mut e,
        );
        let floors = match d.floors {
            None => current.map(|c| c.floors.clone()).unwrap_or_default(),
            Some(drafts) if drafts.len() > MAX_FLOORS => {
                e.add("floors", format!("at most {MAX_FLOORS} floors"));
                Vec::new()
            }
            Some(drafts) => {
                let mut floors = Vec::with_capacity(drafts.len());
                for (i, f) in drafts.into_iter().enumerate() {
                    let field = format!("floors[{i}].floor_name");
                    let name = match crate::text::parse(&f.floor_name, limits::SHORT) {
                        Ok(name) if name.is_empty() => {
                            e.add(&field, "must not be empty");
                            name
                        }
                        Ok(name) => name,
                        Err(message) => {
                            e.add(&field, message);
                            String::new()
                        }
                    };
                    let area = e.check(&format!("floors[{i}].area"), Area::parse_positive(&f.area));
                    let order_index = f
                        .order_index
                        .unwrap_or(i32::try_from(i).unwrap_or(i32::MAX));
                    if let Some(area) = area {
                        floors.push(Floor {
                            floor_name: name,
                            area,
                            order_index,
                        });
                    }
                }
                floors.sort_by_key(|f| f.order_index);
                // The built-up area is the floors' total when floors are given.
                if !floors.is_empty() {
                    builtup_area = Area::sum(floors.iter().map(|f| f.area));
                } else if d.builtup_area.is_none() {
                    builtup_area = None;
                }
                floors
            }
        };
        let fees = match d.fees {
            None => current.and_then(|c| c.fees),
            Some(None) => None,
            Some(Some(v)) if v.trim().is_empty() => None,
            Some(Some(v)) => e.check(
                "fees",
                v.parse::<Money>().and_then(|m| {
                    if m.paise() < 0 {
                        Err("must not be negative".to_owned())
                    } else {
                        Ok(m)
                    }
                }),
            ),
        };
        let is_paid = pick(d.is_paid, current.is_some_and(|c| c.is_paid));
        let instant = |at: Option<Option<Instant>>| at.map(|at| at.map(Instant::get));
        let site_visit_at = pick(
            instant(d.site_visit_at),
            current.and_then(|c| c.site_visit_at),
        );
        let report_due_at = pick(
            instant(d.report_due_at),
            current.and_then(|c| c.report_due_at),
        );

        let listed_count = d.assignee_user_ids.as_ref().map_or(0, |list| list.len());
        if listed_count > MAX_ASSIGNEES {
            e.add(
                "assignee_user_ids",
                format!("at most {MAX_ASSIGNEES} people"),
            );
        }
        let (assigned_to, additional_assignees) = people_after(
            current,
            d.assigned_to_user_id,
            d.assignee_user_ids.as_deref(),
        );

        // Case rules: bank work names a bank and its branch; other work a client.
        if case_type == Some(CaseType::Bank) {
            if bank_id.is_none() {
                e.add("bank_id", "is required for BANK cases");
            }
            if branch_id.is_none() {
                e.add("branch_id", "is required for BANK cases");
            }
        } else if case_type.is_some() && client_id.is_none() && valuer_client_name.is_none() {
            e.add(
                "client_id",
                "a client or valuer_client_name is required for non-bank cases",
            );
        }
        if property_subtype_id.is_some() && property_type_id.is_none() {
            e.add("property_subtype_id", "needs property_type_id");
        }

        let people: Vec<UserId> = assigned_to
            .iter()
            .chain(additional_assignees.iter())
            .copied()
            .collect();
        let refs = self
            .repo
            .references(&ReferenceIds {
                bank_id,
                branch_id,
                client_id,
                property_type_id,
                property_subtype_id,
                users: people.clone(),
            })
            .await?;
        if bank_id.is_some() && refs.bank.is_none() {
            e.add("bank_id", "no bank has this id");
        }
        match (&refs.branch, branch_id) {
            (None, Some(_)) => e.add("branch_id", "no branch has this id"),
            (Some((_, owner)), Some(_)) if Some(*owner) != bank_id => {
                e.add("branch_id", "this branch belongs to another bank")
            }
            _ => {}
        }
        if client_id.is_some() && refs.client.is_none() {
            e.add("client_id", "no client has this id");
        }
        if property_type_id.is_some() && refs.property_type.is_none() {
            e.add("property_type_id", "no property type has this id");
        }
        match (&refs.property_subtype, property_subtype_id) {
            (None, Some(_)) => e.add("property_subtype_id", "no property subtype has this id"),
            (Some((_, owner)), Some(_)) if Some(*owner) != property_type_id => e.add(
                "property_subtype_id",
                "this subtype belongs to another property type",
            ),
            _ => {}
        }
        // Only people being added must be active: a colleague who has left does not block
        // edits to work they were on.
        let already: Vec<UserId> = current.map(fields_assignees).unwrap_or_default();
        let inactive: Vec<String> = people
            .iter()
            .filter(|u| !already.contains(u) && !refs.active_users.contains(u))
            .map(|u| u.to_string())
            .collect();
        if !inactive.is_empty() {
            e.add(
                "assignee_user_ids",
                format!("no active user has id {}", inactive.join(", ")),
            );
        }
        e.into_result()?;
        let (Some(case_type), Some(service_line)) = (case_type, service_line) else {
            return Err(DomainError::unexpected("validated fields missing"));
        };
        let status = current.map_or(AssignmentStatus::Pending, |c| c.status);
        let due_at = sla::due_time(&self.zone, created_at, site_visit_at, report_due_at);
        let due_day = self.zone.local_date(due_at);
        let calendar = self.days.calendar(due_day, due_day).await?;
        let due_at = sla::due_on_working_day(&self.zone, &calendar, due_at);
        Ok(AssignmentFields {
            case_type,
            service_line,
            bank_name: refs.bank,
            branch_name: refs.branch.map(|(name, _)| name),
            valuer_client_name: valuer_client_name.or(refs.client),
            property_type_name: refs.property_type,
            property_subtype_name: refs.property_subtype.map(|(name, _)| name),
            bank_id,
            branch_id,
            client_id,
            property_type_id,
            property_subtype_id,
            borrower_name,
            phone,
            address,
            land_area,
            builtup_area,
            status,
            milestones: current.map(|c| c.milestones).unwrap_or_default(),
            cancel_reason: current.and_then(|c| c.cancel_reason.clone()),
            assigned_to,
            additional_assignees,
            assigned_at: current.and_then(|c| c.assigned_at),
            site_visit_at,
            report_due_at,
            fees,
            is_paid,
            notes,
            floors,
            due_at,
        })
    }
}

/// A new assignment, checked and ready to be stored.
pub struct AssignmentCreation {
    /// Task templates it fires.
    runs: Vec<TemplateRun>,
    series: CodeSeries,
    created_by: UserId,
    write: AssignmentWrite,
    at: OffsetDateTime,
}

#[async_trait]
impl Change for AssignmentCreation {
    type Output = Assignment;

    async fn apply(
        &self,
        tx: &mut dyn Transaction,
    ) -> DomainResult<(Assignment, Vec<ActivityDraft>)> {
        let created = tx
            .assignments()
            .create(&self.series, self.created_by, &self.write, self.at)
            .await?;
        let fields = &created.fields;
        let entry = ActivityDraft {
            kind: "ASSIGNMENT_CREATED",
            actor: Some(self.created_by),
            assignment_id: Some(created.id),
            message: format!("Assignment {} created", created.code),
            payload: Vec::new(),
        }
        .with("case_type", fields.case_type.as_str())
        .with("status", fields.status.as_str())
        .with(
            "assignee_user_ids",
            crate::activity::PayloadValue::Ints(ids(&created.assignees())),
        );
        let mut entries = vec![entry];
        entries.extend(
            task_template::apply(tx, created.id, self.created_by, &self.runs, self.at).await?,
        );
        Ok((created, entries))
    }

    fn at(&self) -> OffsetDateTime {
        self.at
    }
}

/// A checked edit of one assignment: written only if the assignment is still at the
/// version it was checked against. An edit that changes nothing writes nothing.
pub struct AssignmentEdit {
    /// Who makes it (and the tasks of the templates it fires).
    by: UserId,
    /// Task templates the status it enters fires.
    runs: Vec<TemplateRun>,
    current: Assignment,
    write: Option<AssignmentWrite>,
    trail: Vec<ActivityDraft>,
    at: OffsetDateTime,
}

impl AssignmentEdit {
    /// Whether writing it would change anything.
    pub fn changes_anything(&self) -> bool {
        self.write.is_some()
    }
}

#[async_trait]
impl Change for AssignmentEdit {
    type Output = Assignment;

    async fn apply(
        &self,
        tx: &mut dyn Transaction,
    ) -> DomainResult<(Assignment, Vec<ActivityDraft>)> {
        let Some(write) = &self.write else {
            return Ok((self.current.clone(), Vec::new()));
        };
        let updated = tx
            .assignments()
            .update(self.current.id, self.current.version, write, self.at)
            .await?;
        let mut trail = self.trail.clone();
        trail.extend(task_template::apply(tx, updated.id, self.by, &self.runs, self.at).await?);
        Ok((updated, trail))
    }

    fn at(&self) -> OffsetDateTime {
        self.at
    }
}

/// A checked soft deletion.
pub struct AssignmentDeletion {
    id: i64,
    version: i64,
    by: UserId,
    entry: ActivityDraft,
    at: OffsetDateTime,
}

#[async_trait]
impl Change for AssignmentDeletion {
    type Output = ();

    async fn apply(&self, tx: &mut dyn Transaction) -> DomainResult<((), Vec<ActivityDraft>)> {
        tx.assignments()
            .delete(self.id, self.version, self.by, self.at)
            .await?;
        // Requests about work that is gone could never be applied: they close with it.
        let closed = tx
            .approvals()
            .cancel_pending_of_assignment(self.id, "The assignment was deleted", self.at)
            .await?;
        let mut entry = self.entry.clone();
        if closed > 0 {
            entry = entry.with(
                "requests_cancelled",
                i64::try_from(closed).unwrap_or(i64::MAX),
            );
        }
        Ok(((), vec![entry]))
    }

    fn at(&self) -> OffsetDateTime {
        self.at
    }
}

/// The people an assignment has after a change that names a primary assignee and/or
/// lists everyone (`None` keeps what `current` has): with no primary the first listed
/// becomes primary, and the others are the listed minus the primary, sorted, each once.
pub fn people_after(
    current: Option<&AssignmentFields>,
    assigned_to: Option<Option<i64>>,
    listed: Option<&[i64]>,
) -> (Option<UserId>, Vec<UserId>) {
    let listed: Vec<UserId> = match listed {
        Some(list) => list.iter().map(|id| UserId(*id)).collect(),
        None => current
            .map(|c| c.additional_assignees.clone())
            .unwrap_or_default(),
    };
    let mut primary = pick(
        assigned_to.map(|o| o.map(UserId)),
        current.and_then(|c| c.assigned_to),
    );
    // Work with people on it always has a primary assignee: the first listed.
    if primary.is_none() {
        primary = listed.first().copied();
    }
    let others: BTreeSet<UserId> = listed.into_iter().filter(|u| Some(*u) != primary).collect();
    (primary, others.into_iter().collect())
}

fn ids(users: &[UserId]) -> Vec<i64> {
    users.iter().map(|u| u.0).collect()
}

fn fields_assignees(fields: &AssignmentFields) -> Vec<UserId> {
    fields
        .assigned_to
        .iter()
        .chain(fields.additional_assignees.iter())
        .copied()
        .collect()
}

/// The names of plain detail fields that differ (people, status, money and floors have
/// entries of their own).
fn changed_details(a: &AssignmentFields, b: &AssignmentFields) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut note = |name: &'static str, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    note("case_type", a.case_type != b.case_type);
    note("service_line", a.service_line != b.service_line);
    note("bank_id", a.bank_id != b.bank_id);
    note("branch_id", a.branch_id != b.branch_id);
    note("client_id", a.client_id != b.client_id);
    note(
        "valuer_client_name",
        a.valuer_client_name != b.valuer_client_name,
    );
    note("property_type_id", a.property_type_id != b.property_type_id);
    note(
        "property_subtype_id",
        a.property_subtype_id != b.property_subtype_id,
    );
    note("borrower_name", a.borrower_name != b.borrower_name);
    note("phone", a.phone != b.phone);
    note("address", a.address != b.address);
    note("land_area", a.land_area != b.land_area);
    note(
        "builtup_area",
        a.builtup_area != b.builtup_area && a.floors == b.floors,
    );
    note("site_visit_date", a.site_visit_at != b.site_visit_at);
    note("report_due_date", a.report_due_at != b.report_due_at);
    note("notes", a.notes != b.notes);
    changed
}

/// The SITE_VISIT and REPORT_DUE events the assignment should have. `code` may be the
/// placeholder `{code}`, which the repository replaces with the new code on create.
fn desired_events(code: &str, fields: &AssignmentFields) -> Vec<EventDraft> {
    let people = fields_assignees(fields);
    let event = |event_type, title: String, at: OffsetDateTime| EventDraft {
        event_type,
        title,
        start_at: at,
        end_at: at,
        assigned_to: fields.assigned_to,
        assigned_user_ids: people.clone(),
    };
    let mut events = Vec::new();
    if let Some(at) = fields.site_visit_at {
        events.push(event(
            CalendarEventType::SiteVisit,
            format!("Site Visit — {code}"),
            at,
        ));
    }
    if let Some(at) = fields.report_due_at {
        events.push(event(
            CalendarEventType::ReportDue,
            format!("Report Due — {code}"),
            at,
        ));
    }
    events
}

/// The first active person of each role a template names.
#[derive(Default)]
struct RoleTable(Vec<(Role, Option<UserId>)>);

impl RoleHolders for RoleTable {
    fn first_of(&self, role: Role) -> Option<UserId> {
        self.0
            .iter()
            .find(|(r, _)| *r == role)
            .and_then(|(_, u)| *u)
    }
}
