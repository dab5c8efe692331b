//! Task templates: the tasks an assignment gets by itself when it is created or enters a
//! status, optionally only for a case type, a bank or a service line.
//!
//! Each task of a template names who gets it (the primary assignee, the first active
//! person of a role, or a person) and when it is due: the end of the working day (18:00
//! firm-local) so many working days after the triggering change (0: that day, or the next
//! working day). A template is applied in the transaction of the change that fires it, and
//! at most once per assignment, template and trigger (a run is recorded under a unique
//! key; an assignment that leaves a status and enters it again does not get the tasks
//! again). Tasks nobody can be given (no primary assignee, nobody active in the role) are
//! made without an assignee.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::{Actor, Capability, Role};
use crate::activity::{ActivityDraft, PayloadValue};
use crate::assignment::{AssignmentFields, AssignmentStatus, ServiceLine};
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::master::CaseType;
use crate::named::named_enum;
use crate::sla::FirmZone;
use crate::task::{TaskFields, TaskStatus, validate_title};
use crate::text::limits;
use crate::user::UserId;
use crate::work::Transaction;
use crate::workdays::WorkingCalendar;

named_enum!(
    /// What fires a template.
    TemplateTrigger, "trigger" {
        AssignmentCreated => "ASSIGNMENT_CREATED",
        StatusEntered => "STATUS_ENTERED",
    }
);

/// At most this many tasks per template, and this many working days ahead.
pub const MAX_TASKS: usize = 20;
pub const MAX_DUE_DAYS: u32 = 60;

/// Who gets a template's task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateAssignee {
    /// The assignment's primary assignee.
    Primary,
    /// The first active person (by id) holding the role.
    Role(Role),
    /// One person.
    User(UserId),
}

impl TemplateAssignee {
    /// `PRIMARY`, `ROLE:OPS_MANAGER` or `USER:12`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("PRIMARY") {
            return Ok(Self::Primary);
        }
        if let Some((kind, value)) = raw.split_once(':') {
            if kind.eq_ignore_ascii_case("ROLE") {
                return value.trim().parse::<Role>().map(Self::Role);
            }
            if kind.eq_ignore_ascii_case("USER") {
                return value
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .map(|id| Self::User(UserId(id)))
                    .ok_or_else(|| "USER: needs a user id".to_owned());
            }
        }
        Err("must be PRIMARY, ROLE:<role> or USER:<id>".into())
    }

    pub fn as_text(&self) -> String {
        match self {
            Self::Primary => "PRIMARY".into(),
            Self::Role(role) => format!("ROLE:{}", role.as_str()),
            Self::User(user) => format!("USER:{}", user.0),
        }
    }
}

/// One task a template makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateTask {
    pub title: String,
    pub description: Option<String>,
    pub assignee: TemplateAssignee,
    pub due_in_working_days: u32,
}

/// A template as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTemplateFields {
    pub name: String,
    pub trigger: TemplateTrigger,
    /// The status entered (STATUS_ENTERED only).
    pub status: Option<AssignmentStatus>,
    pub case_type: Option<CaseType>,
    pub bank_id: Option<i64>,
    pub service_line: Option<ServiceLine>,
    pub tasks: Vec<TemplateTask>,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTemplate {
    pub id: i64,
    pub fields: TaskTemplateFields,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A task of a template as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateTaskDraft {
    pub title: Option<String>,
    pub description: Option<String>,
    pub assignee: Option<String>,
    pub due_in_working_days: Option<i64>,
}

/// A template as sent: every field on create; on change, the ones to change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskTemplateDraft {
    pub name: Option<String>,
    pub trigger: Option<String>,
    /// `Some(None)`: clear it.
    pub status: Option<Option<String>>,
    pub case_type: Option<Option<String>>,
    pub bank_id: Option<Option<i64>>,
    pub service_line: Option<Option<String>>,
    pub tasks: Option<Vec<TemplateTaskDraft>>,
    pub is_active: Option<bool>,
}

fn optional<T: std::str::FromStr<Err = String>>(
    raw: Option<Option<String>>,
    current: Option<T>,
    field: &str,
    e: &mut FieldErrors,
) -> Option<T> {
    match raw {
        None => current,
        Some(None) => None,
        Some(Some(text)) if text.trim().is_empty() => None,
        Some(Some(text)) => e.check(field, text.parse::<T>()),
    }
}

impl TaskTemplateDraft {
    /// The template these fields make (over `current` for a change); every problem at once.
    pub fn parse(self, current: Option<&TaskTemplateFields>) -> DomainResult<TaskTemplateFields> {
        let mut e = FieldErrors::new();
        let name = match (self.name, current) {
            (Some(raw), _) => e.check(
                "name",
                crate::text::parse(&raw, limits::NAME).and_then(|n| {
                    if n.is_empty() {
                        Err("is required".to_owned())
                    } else {
                        Ok(n)
                    }
                }),
            ),
            (None, Some(c)) => Some(c.name.clone()),
            (None, None) => {
                e.add("name", "is required");
                None
            }
        };
        let trigger = match (self.trigger, current) {
            (Some(raw), _) => e.check("trigger", raw.parse::<TemplateTrigger>()),
            (None, Some(c)) => Some(c.trigger),
            (None, None) => Some(TemplateTrigger::AssignmentCreated),
        };
        let status = optional(
            self.status,
            current.and_then(|c| c.status),
            "status",
            &mut e,
        );
        let case_type = optional(
            self.case_type,
            current.and_then(|c| c.case_type),
            "case_type",
            &mut e,
        );
        let service_line = optional(
            self.service_line,
            current.and_then(|c| c.service_line),
            "service_line",
            &mut e,
        );
        let bank_id = match self.bank_id {
            None => current.and_then(|c| c.bank_id),
            Some(id) => id,
        };
        match (trigger, status) {
            (Some(TemplateTrigger::StatusEntered), None) => {
                e.add("status", "STATUS_ENTERED needs the status entered");
            }
            (Some(TemplateTrigger::StatusEntered), Some(AssignmentStatus::Pending)) => {
                e.add("status", "work starts as PENDING: use ASSIGNMENT_CREATED");
            }
            (Some(TemplateTrigger::AssignmentCreated), Some(_)) => {
                e.add("status", "only STATUS_ENTERED names a status");
            }
            _ => {}
        }
        let tasks = match (self.tasks, current) {
            (Some(drafts), _) => {
                if drafts.is_empty() || drafts.len() > MAX_TASKS {
                    e.add("tasks", format!("must list 1 to {MAX_TASKS} tasks"));
                }
                let mut tasks = Vec::new();
                for (i, d) in drafts.into_iter().enumerate() {
                    let at = |f: &str| format!("tasks[{i}].{f}");
                    let title = match d.title {
                        Some(raw) => e.check(&at("title"), validate_title(&raw)),
                        None => {
                            e.add(&at("title"), "is required");
                            None
                        }
                    };
                    let description = e
                        .check(
                            &at("description"),
                            crate::text::parse_optional(
                                d.description.as_deref(),
                                crate::task::DESCRIPTION_MAX_CHARS,
                            ),
                        )
                        .flatten();
                    let assignee = match d.assignee.as_deref() {
                        None => Some(TemplateAssignee::Primary),
                        Some(raw) => e.check(&at("assignee"), TemplateAssignee::parse(raw)),
                    };
                    let days = d.due_in_working_days.unwrap_or(1);
                    let days = e.check(
                        &at("due_in_working_days"),
                        u32::try_from(days)
                            .ok()
                            .filter(|d| *d <= MAX_DUE_DAYS)
                            .ok_or_else(|| format!("must be 0 to {MAX_DUE_DAYS}")),
                    );
                    if let (Some(title), Some(assignee), Some(due_in_working_days)) =
                        (title, assignee, days)
                    {
                        tasks.push(TemplateTask {
                            title,
                            description,
                            assignee,
                            due_in_working_days,
                        });
                    }
                }
                tasks
            }
            (None, Some(c)) => c.tasks.clone(),
            (None, None) => {
                e.add("tasks", "is required");
                Vec::new()
            }
        };
        e.into_result()?;
        Ok(TaskTemplateFields {
            name: name.unwrap_or_default(),
            trigger: trigger.unwrap_or(TemplateTrigger::AssignmentCreated),
            status,
            case_type,
            bank_id,
            service_line,
            tasks,
            is_active: self
                .is_active
                .or(current.map(|c| c.is_active))
                .unwrap_or(true),
        })
    }
}

/// The change that fires templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firing {
    Created,
    Entered(AssignmentStatus),
}

impl Firing {
    /// The run's key: one run per assignment, template and key.
    pub fn key(self) -> String {
        match self {
            Self::Created => "CREATED".into(),
            Self::Entered(status) => format!("STATUS:{}", status.as_str()),
        }
    }
}

impl TaskTemplateFields {
    /// Whether this template fires for this change of work like `work`.
    pub fn fires_on(&self, firing: Firing, work: &AssignmentFields) -> bool {
        let trigger = match (self.trigger, firing) {
            (TemplateTrigger::AssignmentCreated, Firing::Created) => true,
            (TemplateTrigger::StatusEntered, Firing::Entered(status)) => {
                self.status == Some(status)
            }
            _ => false,
        };
        self.is_active
            && trigger
            && self.case_type.is_none_or(|c| c == work.case_type)
            && self.service_line.is_none_or(|s| s == work.service_line)
            && self.bank_id.is_none_or(|b| work.bank_id == Some(b))
    }
}

/// A template's tasks for one assignment, ready to be written with the change.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRun {
    pub template_id: i64,
    pub name: String,
    pub key: String,
    pub tasks: Vec<TaskFields>,
}

/// Who holds each role, for templates that name one.
pub trait RoleHolders {
    fn first_of(&self, role: Role) -> Option<UserId>;
}

/// The runs a change calls for: the tasks of every template that fires, with assignees and
/// due times worked out at `now`.
pub fn plan(
    templates: &[TaskTemplate],
    firing: Firing,
    work: &AssignmentFields,
    now: OffsetDateTime,
    zone: &FirmZone,
    calendar: &WorkingCalendar,
    holders: &dyn RoleHolders,
) -> Vec<TemplateRun> {
    // Counted from today, or from tomorrow once today's working day has ended.
    let today = zone.local_date(now);
    let start = if now >= zone.end_of_working_day(today) {
        today.next_day().unwrap_or(today)
    } else {
        today
    };
    templates
        .iter()
        .filter(|t| t.fields.fires_on(firing, work))
        .map(|t| TemplateRun {
            template_id: t.id,
            name: t.fields.name.clone(),
            key: firing.key(),
            tasks: t
                .fields
                .tasks
                .iter()
                .map(|task| TaskFields {
                    title: task.title.clone(),
                    description: task.description.clone(),
                    status: TaskStatus::Todo,
                    assigned_to: match task.assignee {
                        TemplateAssignee::Primary => work.assigned_to,
                        TemplateAssignee::Role(role) => holders.first_of(role),
                        TemplateAssignee::User(user) => Some(user),
                    },
                    due_at: Some(zone.end_of_working_day(
                        calendar.add_working_days(start, task.due_in_working_days),
                    )),
                    template_type: Some(format!("template:{}", t.id)),
                })
                .collect(),
        })
        .collect()
}

/// Writes the runs inside `tx` for the assignment: each at most once (a run already
/// recorded for the assignment, template and key is skipped). Returns the trail entries of
/// the tasks made.
pub async fn apply(
    tx: &mut dyn Transaction,
    assignment_id: i64,
    by: UserId,
    runs: &[TemplateRun],
    at: OffsetDateTime,
) -> DomainResult<Vec<ActivityDraft>> {
    let mut entries = Vec::new();
    for run in runs {
        if !tx
            .tasks()
            .claim_template_run(assignment_id, run.template_id, &run.key, at)
            .await?
        {
            continue;
        }
        for fields in &run.tasks {
            let task = tx.tasks().create(assignment_id, by, fields, at).await?;
            entries.push(
                ActivityDraft {
                    kind: "TASK_CREATED",
                    actor: Some(by),
                    assignment_id: Some(assignment_id),
                    message: format!("Task created from template {}: {}", run.name, fields.title),
                    payload: Vec::new(),
                }
                .with("task_id", task.id)
                .with("title", fields.title.as_str())
                .with("assigned_to_user_id", fields.assigned_to.map(|u| u.0))
                .with("template_id", PayloadValue::Int(run.template_id)),
            );
        }
    }
    Ok(entries)
}

#[async_trait]
pub trait TaskTemplateRepository: Send + Sync {
    async fn list(&self, include_inactive: bool) -> DomainResult<Vec<TaskTemplate>>;
    async fn get(&self, id: i64) -> DomainResult<TaskTemplate>;
    /// `Conflict("duplicate")` when the name is taken.
    async fn insert(
        &self,
        fields: &TaskTemplateFields,
        at: OffsetDateTime,
    ) -> DomainResult<TaskTemplate>;
    async fn update(
        &self,
        id: i64,
        fields: &TaskTemplateFields,
        at: OffsetDateTime,
    ) -> DomainResult<TaskTemplate>;
    async fn delete(&self, id: i64) -> DomainResult<()>;
}

/// No templates: for firms (and tests) without any.
pub struct NoTemplates;

#[async_trait]
impl TaskTemplateRepository for NoTemplates {
    async fn list(&self, _: bool) -> DomainResult<Vec<TaskTemplate>> {
        Ok(Vec::new())
    }
    async fn get(&self, _: i64) -> DomainResult<TaskTemplate> {
        Err(DomainError::NotFound("Task template"))
    }
    async fn insert(
        &self,
        _: &TaskTemplateFields,
        _: OffsetDateTime,
    ) -> DomainResult<TaskTemplate> {
        Err(DomainError::unexpected("no template store"))
    }
    async fn update(
        &self,
        _: i64,
        _: &TaskTemplateFields,
        _: OffsetDateTime,
    ) -> DomainResult<TaskTemplate> {
        Err(DomainError::unexpected("no template store"))
    }
    async fn delete(&self, _: i64) -> DomainResult<()> {
        Err(DomainError::unexpected("no template store"))
    }
}

/// Task templates as master data: everyone signed in reads them; master-data roles keep
/// them.
#[derive(Clone)]
pub struct TaskTemplateService {
    repo: Arc<dyn TaskTemplateRepository>,
    users: Arc<dyn crate::user::UserRepository>,
    clock: Arc<dyn Clock>,
}

impl TaskTemplateService {
    pub fn new(
        repo: Arc<dyn TaskTemplateRepository>,
        users: Arc<dyn crate::user::UserRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { repo, users, clock }
    }

    pub async fn list(&self, include_inactive: bool) -> DomainResult<Vec<TaskTemplate>> {
        self.repo.list(include_inactive).await
    }

    pub async fn get(&self, id: i64) -> DomainResult<TaskTemplate> {
        self.repo.get(id).await
    }

    /// Named people must exist and be active.
    async fn check_people(&self, fields: &TaskTemplateFields) -> DomainResult<()> {
        let mut e = FieldErrors::new();
        for (i, task) in fields.tasks.iter().enumerate() {
            if let TemplateAssignee::User(user) = task.assignee {
                match self.users.get(user).await {
                    Ok(found) if found.is_active => {}
                    Ok(_) => {
                        e.add(
                            &format!("tasks[{i}].assignee"),
                            format!("user {} is inactive", user.0),
                        );
                    }
                    Err(DomainError::NotFound(_)) => {
                        e.add(
                            &format!("tasks[{i}].assignee"),
                            format!("no user {}", user.0),
                        );
                    }
                    Err(other) => return Err(other),
                }
            }
        }
        e.into_result()
    }

    pub async fn create(
        &self,
        actor: &Actor,
        draft: TaskTemplateDraft,
    ) -> DomainResult<TaskTemplate> {
        actor.require(Capability::ManageMasterData)?;
        let fields = draft.parse(None)?;
        self.check_people(&fields).await?;
        self.repo.insert(&fields, self.clock.now()).await
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        draft: TaskTemplateDraft,
    ) -> DomainResult<TaskTemplate> {
        actor.require(Capability::ManageMasterData)?;
        let current = self.repo.get(id).await?;
        let fields = draft.parse(Some(&current.fields))?;
        self.check_people(&fields).await?;
        self.repo.update(id, &fields, self.clock.now()).await
    }

    pub async fn delete(&self, actor: &Actor, id: i64) -> DomainResult<()> {
        actor.require(Capability::ManageMasterData)?;
        self.repo.delete(id).await
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::assignment::Milestones;
    use crate::workdays::{WeeklyOffs, WorkingCalendar};

    fn work(case_type: CaseType, bank_id: Option<i64>) -> AssignmentFields {
        AssignmentFields {
            case_type,
            service_line: ServiceLine::Valuation,
            bank_id,
            branch_id: None,
            client_id: None,
            property_type_id: None,
            property_subtype_id: None,
            bank_name: None,
            branch_name: None,
            valuer_client_name: None,
            property_type_name: None,
            property_subtype_name: None,
            borrower_name: None,
            phone: None,
            address: None,
            land_area: None,
            builtup_area: None,
            status: AssignmentStatus::Pending,
            milestones: Milestones::default(),
            cancel_reason: None,
            assigned_to: Some(UserId(3)),
            additional_assignees: Vec::new(),
            assigned_at: None,
            site_visit_at: None,
            report_due_at: None,
            fees: None,
            is_paid: false,
            notes: None,
            floors: Vec::new(),
            due_at: datetime!(2026-01-30 12:30 UTC),
        }
    }

    fn task(title: &str, assignee: &str, days: i64) -> TemplateTaskDraft {
        TemplateTaskDraft {
            title: Some(title.into()),
            description: None,
            assignee: Some(assignee.into()),
            due_in_working_days: Some(days),
        }
    }

    fn template(id: i64, draft: TaskTemplateDraft) -> TaskTemplate {
        TaskTemplate {
            id,
            fields: draft.parse(None).unwrap(),
            created_at: datetime!(2026-01-01 0:00 UTC),
            updated_at: datetime!(2026-01-01 0:00 UTC),
        }
    }

    struct Ops;
    impl RoleHolders for Ops {
        fn first_of(&self, role: Role) -> Option<UserId> {
            (role == Role::OpsManager).then_some(UserId(5))
        }
    }

    #[test]
    fn drafts_are_checked_whole() {
        let err = TaskTemplateDraft {
            trigger: Some("STATUS_ENTERED".into()),
            tasks: Some(vec![task("x", "BOSS", 99)]),
            ..TaskTemplateDraft::default()
        }
        .parse(None)
        .unwrap_err();
        let text = err.to_string();
        for field in [
            "name",
            "status",
            "tasks[0].title",
            "tasks[0].assignee",
            "tasks[0].due_in_working_days",
        ] {
            assert!(
                matches!(&err, DomainError::Validation(e) if e.to_string().contains(field))
                    || text.contains(field),
                "{field}: {err:?}"
            );
        }
        assert_eq!(
            TemplateAssignee::parse("role:ops_manager"),
            Ok(TemplateAssignee::Role(Role::OpsManager))
        );
        assert_eq!(
            TemplateAssignee::parse("USER:7"),
            Ok(TemplateAssignee::User(UserId(7)))
        );
        assert!(TemplateAssignee::parse("USER:-1").is_err());
    }

    #[test]
    fn templates_fire_on_their_trigger_and_narrowing_only() {
        let on_created = template(
            1,
            TaskTemplateDraft {
                name: Some("a".into()),
                case_type: Some(Some("BANK".into())),
                bank_id: Some(Some(2)),
                tasks: Some(vec![task("Do it", "PRIMARY", 1)]),
                ..TaskTemplateDraft::default()
            },
        );
        let bank2 = work(CaseType::Bank, Some(2));
        assert!(on_created.fields.fires_on(Firing::Created, &bank2));
        assert!(
            !on_created
                .fields
                .fires_on(Firing::Created, &work(CaseType::Bank, Some(1)))
        );
        assert!(
            !on_created
                .fields
                .fires_on(Firing::Created, &work(CaseType::DirectClient, Some(2)))
        );
        assert!(
            !on_created
                .fields
                .fires_on(Firing::Entered(AssignmentStatus::SiteVisit), &bank2)
        );
        let on_visit = template(
            2,
            TaskTemplateDraft {
                name: Some("b".into()),
                trigger: Some("STATUS_ENTERED".into()),
                status: Some(Some("SITE_VISIT".into())),
                tasks: Some(vec![task("Visit", "PRIMARY", 0)]),
                ..TaskTemplateDraft::default()
            },
        );
        assert!(
            on_visit
                .fields
                .fires_on(Firing::Entered(AssignmentStatus::SiteVisit), &bank2)
        );
        assert!(
            !on_visit
                .fields
                .fires_on(Firing::Entered(AssignmentStatus::UnderProcess), &bank2)
        );
        assert_eq!(
            Firing::Entered(AssignmentStatus::SiteVisit).key(),
            "STATUS:SITE_VISIT"
        );
        let mut off = on_visit.fields.clone();
        off.is_active = false;
        assert!(!off.fires_on(Firing::Entered(AssignmentStatus::SiteVisit), &bank2));
    }

    #[test]
    fn due_times_count_working_days_and_end_at_the_close_of_the_day() {
        let zone = FirmZone::parse("Asia/Kolkata").unwrap();
        // Friday 2026-01-23, 20:00 local; Sunday off; Monday the 26th a holiday.
        let now = datetime!(2026-01-23 14:30 UTC);
        let calendar = WorkingCalendar::new(WeeklyOffs::default(), [date!(2026 - 01 - 26)]);
        let t = template(
            7,
            TaskTemplateDraft {
                name: Some("Intake".into()),
                tasks: Some(vec![
                    task("Same day", "PRIMARY", 0),
                    task("Next", "ROLE:OPS_MANAGER", 1),
                    task("Two", "ROLE:HR", 2),
                    task("Named", "USER:9", 1),
                ]),
                ..TaskTemplateDraft::default()
            },
        );
        let runs = plan(
            &[t],
            Firing::Created,
            &work(CaseType::Bank, None),
            now,
            &zone,
            &calendar,
            &Ops,
        );
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].key, "CREATED");
        let tasks = &runs[0].tasks;
        let due: Vec<_> = tasks.iter().map(|t| t.due_at.unwrap()).collect();
        // Friday's working day is over: counted from Saturday (a working day).
        assert_eq!(due[0], datetime!(2026-01-24 12:30 UTC), "Saturday");
        assert_eq!(
            due[1],
            datetime!(2026-01-27 12:30 UTC),
            "past Sunday and the holiday"
        );
        assert_eq!(due[2], datetime!(2026-01-28 12:30 UTC));
        // Earlier on Friday, 0 is that day.
        let morning = datetime!(2026-01-23 04:00 UTC);
        let t = template(
            8,
            TaskTemplateDraft {
                name: Some("Morning".into()),
                tasks: Some(vec![task("Same day", "PRIMARY", 0)]),
                ..TaskTemplateDraft::default()
            },
        );
        let runs_m = plan(
            &[t],
            Firing::Created,
            &work(CaseType::Bank, None),
            morning,
            &zone,
            &calendar,
            &Ops,
        );
        assert_eq!(
            runs_m[0].tasks[0].due_at,
            Some(datetime!(2026-01-23 12:30 UTC))
        );
        let who: Vec<_> = tasks.iter().map(|t| t.assigned_to).collect();
        assert_eq!(
            who,
            [Some(UserId(3)), Some(UserId(5)), None, Some(UserId(9))]
        );
        assert!(
            tasks
                .iter()
                .all(|t| t.template_type.as_deref() == Some("template:7"))
        );
    }
}
