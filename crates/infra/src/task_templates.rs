//! Task templates and the record of where each ran.

use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use time::OffsetDateTime;
use zenops_domain::task_template::{
    TaskTemplate, TaskTemplateFields, TaskTemplateRepository, TemplateAssignee, TemplateTask,
};
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::db::stored_time_on;
use crate::entity::task_templates;
use crate::error::{UniqueRule, Violation, duplicate, unexpected, violation};
use crate::sql::statement_on;

const UNIQUE: [UniqueRule; 1] = [UniqueRule {
    constraint: "uq_task_templates_name",
    sqlite_columns: "task_templates.name",
    detail: "A task template with this name already exists",
}];

fn stored<T: std::str::FromStr<Err = String>>(raw: &str, what: &str) -> DomainResult<T> {
    raw.parse()
        .map_err(|e: String| DomainError::unexpected(format!("stored task template {what}: {e}")))
}

fn tasks_json(tasks: &[TemplateTask]) -> String {
    serde_json::Value::Array(
        tasks
            .iter()
            .map(|t| {
                json!({
                    "title": t.title,
                    "description": t.description,
                    "assignee": t.assignee.as_text(),
                    "due_in_working_days": t.due_in_working_days,
                })
            })
            .collect(),
    )
    .to_string()
}

fn tasks_of(raw: &str) -> DomainResult<Vec<TemplateTask>> {
    let items: Vec<serde_json::Value> =
        serde_json::from_str(raw).map_err(DomainError::unexpected)?;
    items
        .into_iter()
        .map(|item| {
            Ok(TemplateTask {
                title: item["title"].as_str().unwrap_or_default().to_owned(),
                description: item["description"].as_str().map(str::to_owned),
                assignee: TemplateAssignee::parse(item["assignee"].as_str().unwrap_or("PRIMARY"))
                    .map_err(DomainError::unexpected)?,
                due_in_working_days: item["due_in_working_days"]
                    .as_u64()
                    .and_then(|d| u32::try_from(d).ok())
                    .unwrap_or(1),
            })
        })
        .collect()
}

fn to_template(row: task_templates::Model) -> DomainResult<TaskTemplate> {
    Ok(TaskTemplate {
        id: row.id,
        fields: TaskTemplateFields {
            trigger: stored(&row.trigger_event, "trigger")?,
            status: row
                .trigger_status
                .as_deref()
                .map(|s| stored(s, "status"))
                .transpose()?,
            case_type: row
                .case_type
                .as_deref()
                .map(|s| stored(s, "case type"))
                .transpose()?,
            bank_id: row.bank_id,
            service_line: row
                .service_line
                .as_deref()
                .map(|s| stored(s, "service line"))
                .transpose()?,
            tasks: tasks_of(&row.tasks_json)?,
            is_active: row.is_active,
            name: row.name,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn write_error(err: sea_orm::DbErr) -> DomainError {
    match violation(&err) {
        Some(Violation::Unique(message)) => duplicate(&message, &UNIQUE),
        Some(Violation::ForeignKey) => DomainError::invalid("bank_id", "no such bank"),
        None => unexpected(err),
    }
}

pub struct SeaTaskTemplates {
    db: Database,
}

impl SeaTaskTemplates {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    fn model(
        &self,
        fields: &TaskTemplateFields,
        at: OffsetDateTime,
    ) -> task_templates::ActiveModel {
        let at = self.db.stored_time(at);
        task_templates::ActiveModel {
            name: Set(fields.name.clone()),
            trigger_event: Set(fields.trigger.as_str().to_owned()),
            trigger_status: Set(fields.status.map(|s| s.as_str().to_owned())),
            case_type: Set(fields.case_type.map(|c| c.as_str().to_owned())),
            bank_id: Set(fields.bank_id),
            service_line: Set(fields.service_line.map(|s| s.as_str().to_owned())),
            tasks_json: Set(tasks_json(&fields.tasks)),
            is_active: Set(fields.is_active),
            updated_at: Set(at),
            ..Default::default()
        }
    }
}

#[async_trait]
impl TaskTemplateRepository for SeaTaskTemplates {
    async fn list(&self, include_inactive: bool) -> DomainResult<Vec<TaskTemplate>> {
        let mut query = task_templates::Entity::find();
        if !include_inactive {
            query = query.filter(task_templates::Column::IsActive.eq(true));
        }
        query
            .order_by_asc(task_templates::Column::Name)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_template)
            .collect()
    }

    async fn get(&self, id: i64) -> DomainResult<TaskTemplate> {
        let row = task_templates::Entity::find_by_id(id)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Task template"))?;
        to_template(row)
    }

    async fn insert(
        &self,
        fields: &TaskTemplateFields,
        at: OffsetDateTime,
    ) -> DomainResult<TaskTemplate> {
        let mut model = self.model(fields, at);
        model.created_at = Set(self.db.stored_time(at));
        let row = model.insert(&self.db.conn).await.map_err(write_error)?;
        to_template(row)
    }

    async fn update(
        &self,
        id: i64,
        fields: &TaskTemplateFields,
        at: OffsetDateTime,
    ) -> DomainResult<TaskTemplate> {
        let mut model = self.model(fields, at);
        model.id = sea_orm::ActiveValue::Unchanged(id);
        match model.update(&self.db.conn).await {
            Ok(row) => to_template(row),
            Err(sea_orm::DbErr::RecordNotUpdated) => Err(DomainError::NotFound("Task template")),
            Err(err) => Err(write_error(err)),
        }
    }

    async fn delete(&self, id: i64) -> DomainResult<()> {
        let done = task_templates::Entity::delete_by_id(id)
            .exec(&self.db.conn)
            .await
            .map_err(unexpected)?;
        if done.rows_affected == 0 {
            return Err(DomainError::NotFound("Task template"));
        }
        Ok(())
    }
}

/// [`zenops_domain::task::TaskStore::claim_template_run`] inside `txn`.
pub(crate) async fn claim_run_in(
    txn: &DatabaseTransaction,
    assignment_id: i64,
    template_id: i64,
    key: &str,
    at: OffsetDateTime,
) -> DomainResult<bool> {
    let backend = txn.get_database_backend();
    // A template deleted since the change was planned runs no more (and fails nothing).
    let sql = "INSERT INTO task_template_runs (assignment_id, template_id, trigger_key, created_at) \
               SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM task_templates WHERE id = ?) \
               ON CONFLICT (assignment_id, template_id, trigger_key) DO NOTHING";
    let done = txn
        .execute_raw(statement_on(
            backend,
            sql,
            vec![
                assignment_id.into(),
                template_id.into(),
                key.into(),
                stored_time_on(backend, at).into(),
                template_id.into(),
            ],
        ))
        .await
        .map_err(unexpected)?;
    Ok(done.rows_affected() == 1)
}
