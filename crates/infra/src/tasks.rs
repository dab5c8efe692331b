//! Tasks on assignments: one transaction per write, together with its activity entry.

use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    ExprTrait, FromQueryResult, JoinType, Order, QueryFilter, QueryOrder, QuerySelect, Set,
};
use time::OffsetDateTime;
use zenops_domain::assignment::AssignmentScope;
use zenops_domain::task::{MyTask, MyTaskFilter, Task, TaskFields, TaskRepository, TaskStatus};
use zenops_domain::user::UserId;
use zenops_domain::{DomainError, DomainResult};

use crate::db::stored_time_on;
use crate::entity::{assignment_tasks, assignments};
use crate::error::{Violation, unexpected, violation};
use crate::{Database, calendar};

use assignment_tasks::Column as T;

pub struct SeaTaskRepository {
    db: Database,
}

impl SeaTaskRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn status_of(id: i64, raw: &str) -> DomainResult<TaskStatus> {
    raw.parse().map_err(|_| {
        DomainError::unexpected(format!("task {id}: stored status '{raw}' is invalid"))
    })
}

fn to_task(row: assignment_tasks::Model) -> DomainResult<Task> {
    Ok(Task {
        status: status_of(row.id, &row.status)?,
        id: row.id,
        assignment_id: row.assignment_id,
        title: row.title,
        description: row.description,
        assigned_to: row.assigned_to_user_id.map(UserId),
        due_at: row.due_at,
        template_type: row.template_type,
        created_by: UserId(row.created_by_user_id),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A reference that vanished between the checks and the write (a user, the assignment) is
/// the caller's input going stale: reported as a field error, not a fault.
fn write_error(err: sea_orm::DbErr) -> DomainError {
    match violation(&err) {
        Some(Violation::ForeignKey) => DomainError::invalid(
            "assigned_to_user_id",
            "refers to a user or assignment that no longer exists",
        ),
        _ => unexpected(err),
    }
}

/// The columns a create or update sets from the fields.
fn apply(
    backend: DbBackend,
    row: &mut assignment_tasks::ActiveModel,
    f: &TaskFields,
    at: OffsetDateTime,
) {
    row.title = Set(f.title.clone());
    row.description = Set(f.description.clone());
    row.status = Set(f.status.as_str().to_owned());
    row.assigned_to_user_id = Set(f.assigned_to.map(|u| u.0));
    row.due_at = Set(f.due_at.map(|t| stored_time_on(backend, t)));
    row.template_type = Set(f.template_type.clone());
    row.updated_at = Set(stored_time_on(backend, at));
}

/// A row of the "my tasks" query: the task's columns and three of its assignment's.
#[derive(Debug, FromQueryResult)]
struct MyTaskRow {
    id: i64,
    assignment_id: i64,
    title: String,
    description: Option<String>,
    status: String,
    assigned_to_user_id: Option<i64>,
    due_at: Option<OffsetDateTime>,
    template_type: Option<String>,
    created_by_user_id: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    assignment_code: String,
    assignment_status: String,
    borrower_name: Option<String>,
}

impl MyTaskRow {
    fn into_my_task(self) -> DomainResult<MyTask> {
        let task = to_task(assignment_tasks::Model {
            id: self.id,
            assignment_id: self.assignment_id,
            title: self.title,
            description: self.description,
            status: self.status,
            assigned_to_user_id: self.assigned_to_user_id,
            due_at: self.due_at,
            template_type: self.template_type,
            created_by_user_id: self.created_by_user_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })?;
        Ok(MyTask {
            task,
            assignment_code: self.assignment_code,
            assignment_status: self.assignment_status,
            borrower_name: self.borrower_name,
        })
    }
}

/// The join from a task to its assignment (the entities declare no relations).
fn to_assignment() -> sea_orm::RelationDef {
    assignment_tasks::Entity::belongs_to(assignments::Entity)
        .from(T::AssignmentId)
        .to(assignments::Column::Id)
        .into()
}

#[async_trait]
impl TaskRepository for SeaTaskRepository {
    async fn list_for_assignment(&self, assignment_id: i64) -> DomainResult<Vec<Task>> {
        assignment_tasks::Entity::find()
            .filter(T::AssignmentId.eq(assignment_id))
            .order_by_asc(T::CreatedAt)
            .order_by_asc(T::Id)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_task)
            .collect()
    }

    async fn get(&self, assignment_id: i64, task_id: i64) -> DomainResult<Task> {
        let row = assignment_tasks::Entity::find_by_id(task_id)
            .filter(T::AssignmentId.eq(assignment_id))
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Task"))?;
        to_task(row)
    }

    async fn mine(
        &self,
        user: UserId,
        scope: AssignmentScope,
        filter: &MyTaskFilter,
        limit: u64,
    ) -> DomainResult<Vec<MyTask>> {
        let mut select = assignment_tasks::Entity::find()
            .join(JoinType::InnerJoin, to_assignment())
            .column_as(assignments::Column::AssignmentCode, "assignment_code")
            .column_as(assignments::Column::Status, "assignment_status")
            .column_as(assignments::Column::BorrowerName, "borrower_name")
            .filter(T::AssignedToUserId.eq(user.0))
            .filter(crate::assignments::scoped(scope));
        if let Some(status) = filter.status {
            select = select.filter(T::Status.eq(status.as_str()));
        }
        if filter.excludes_done() {
            select = select.filter(T::Status.ne(TaskStatus::Done.as_str()));
        }
        if let Some(from) = filter.due_from {
            select = select.filter(T::DueAt.gte(self.db.stored_time(from)));
        }
        if let Some(to) = filter.due_to {
            select = select.filter(T::DueAt.lte(self.db.stored_time(to)));
        }
        // Due soonest first, tasks without a due time last, then the newest.
        let no_due = sea_orm::sea_query::Expr::col((assignment_tasks::Entity, T::DueAt)).is_null();
        select
            .order_by(no_due, Order::Asc)
            .order_by_asc(T::DueAt)
            .order_by_desc(T::CreatedAt)
            .order_by_desc(T::Id)
            .limit(limit)
            .into_model::<MyTaskRow>()
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(MyTaskRow::into_my_task)
            .collect()
    }
}

/// [`zenops_domain::task::TaskStore::create`] inside `txn`.
pub(crate) async fn create_in(
    txn: &DatabaseTransaction,
    assignment_id: i64,
    created_by: UserId,
    fields: &TaskFields,
    at: OffsetDateTime,
) -> DomainResult<Task> {
    let backend = txn.get_database_backend();
    let mut row = assignment_tasks::ActiveModel {
        assignment_id: Set(assignment_id),
        created_by_user_id: Set(created_by.0),
        created_at: Set(stored_time_on(backend, at)),
        ..Default::default()
    };
    apply(backend, &mut row, fields, at);
    let saved = row.insert(txn).await.map_err(write_error)?;
    let task = to_task(saved)?;
    calendar::replace_task_event_in(txn, task.id, task.due_event().as_ref(), created_by, at)
        .await?;
    Ok(task)
}

/// [`zenops_domain::task::TaskStore::update`] inside `txn`.
pub(crate) async fn update_in(
    txn: &DatabaseTransaction,
    task_id: i64,
    fields: &TaskFields,
    at: OffsetDateTime,
) -> DomainResult<Task> {
    let backend = txn.get_database_backend();
    let mut row = <assignment_tasks::ActiveModel as Default>::default();
    apply(backend, &mut row, fields, at);
    let updated = assignment_tasks::Entity::update_many()
        .set(row)
        .filter(T::Id.eq(task_id))
        .exec(txn)
        .await
        .map_err(write_error)?;
    if updated.rows_affected == 0 {
        return Err(DomainError::NotFound("Task"));
    }
    let saved = assignment_tasks::Entity::find_by_id(task_id)
        .one(txn)
        .await
        .map_err(unexpected)?
        .ok_or(DomainError::NotFound("Task"))?;
    let task = to_task(saved)?;
    calendar::replace_task_event_in(txn, task.id, task.due_event().as_ref(), task.created_by, at)
        .await?;
    Ok(task)
}

/// [`zenops_domain::task::TaskStore::delete`] inside `txn`.
pub(crate) async fn delete_in(txn: &DatabaseTransaction, task_id: i64) -> DomainResult<()> {
    let deleted = assignment_tasks::Entity::delete_many()
        .filter(T::Id.eq(task_id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::NotFound("Task"));
    }
    calendar::delete_task_event_in(txn, task_id).await
}

/// [`zenops_domain::task::TaskStore::open_of_type`] inside `txn`: the assignment's row
/// is written (unchanged) first, which locks it on PostgreSQL and takes the write lock on
/// SQLite, then the open task is looked up.
pub(crate) async fn open_of_type_in(
    txn: &DatabaseTransaction,
    assignment_id: i64,
    template_type: &str,
) -> DomainResult<Option<Task>> {
    assignments::Entity::update_many()
        .col_expr(
            assignments::Column::RowVersion,
            sea_orm::sea_query::Expr::col(assignments::Column::RowVersion),
        )
        .filter(assignments::Column::Id.eq(assignment_id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    assignment_tasks::Entity::find()
        .filter(T::AssignmentId.eq(assignment_id))
        .filter(T::TemplateType.eq(template_type))
        .filter(T::Status.ne(TaskStatus::Done.as_str()))
        .order_by_asc(T::Id)
        .one(txn)
        .await
        .map_err(unexpected)?
        .map(to_task)
        .transpose()
}
