//! Task templates (`/api/master/task-templates`): tasks assignments get by themselves when
//! they are created or enter a status.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::task_template::{TaskTemplate, TaskTemplateDraft, TemplateTaskDraft};

use crate::dto::{IdPath, nullable, timestamp};
use crate::error::{ApiResult, WriteErrors};
use crate::session::Authenticated;
use crate::state::AppState;

/// One task a template makes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateTaskBody {
    #[schema(example = "Request the sale deed and tax receipts")]
    pub title: Option<String>,
    pub description: Option<String>,
    /// PRIMARY (the primary assignee; the default), ROLE:<role> (the first active person
    /// holding it) or USER:<id>.
    #[schema(example = "PRIMARY")]
    pub assignee: Option<String>,
    /// Due at the end of the working day (18:00 firm-local) this many working days after
    /// the change (0 to 60; default 1).
    #[schema(example = 1)]
    pub due_in_working_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskTemplateRead {
    pub id: i64,
    pub name: String,
    /// ASSIGNMENT_CREATED or STATUS_ENTERED.
    pub trigger: String,
    /// The status entered (STATUS_ENTERED only).
    pub status: Option<String>,
    pub case_type: Option<String>,
    pub bank_id: Option<i64>,
    pub service_line: Option<String>,
    pub tasks: Vec<TemplateTaskBody>,
    pub is_active: bool,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<TaskTemplate> for TaskTemplateRead {
    fn from(t: TaskTemplate) -> Self {
        let f = t.fields;
        Self {
            id: t.id,
            name: f.name,
            trigger: f.trigger.as_str().to_owned(),
            status: f.status.map(|s| s.as_str().to_owned()),
            case_type: f.case_type.map(|c| c.as_str().to_owned()),
            bank_id: f.bank_id,
            service_line: f.service_line.map(|s| s.as_str().to_owned()),
            tasks: f
                .tasks
                .into_iter()
                .map(|task| TemplateTaskBody {
                    title: Some(task.title),
                    description: task.description,
                    assignee: Some(task.assignee.as_text()),
                    due_in_working_days: Some(i64::from(task.due_in_working_days)),
                })
                .collect(),
            is_active: f.is_active,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A template: every field on create (`name` and `tasks` required); on change, the ones
/// to change (`null` clears a narrowing).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TaskTemplateInput {
    pub name: Option<String>,
    /// ASSIGNMENT_CREATED (default) or STATUS_ENTERED.
    pub trigger: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub status: Option<Option<String>>,
    /// BANK, EXTERNAL_VALUER or DIRECT_CLIENT; null: any.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub case_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub bank_id: Option<Option<i64>>,
    /// VALUATION, INDUSTRIAL, DPR or CMA; null: any.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub service_line: Option<Option<String>>,
    pub tasks: Option<Vec<TemplateTaskBody>>,
    pub is_active: Option<bool>,
}

impl From<TaskTemplateInput> for TaskTemplateDraft {
    fn from(i: TaskTemplateInput) -> Self {
        Self {
            name: i.name,
            trigger: i.trigger,
            status: i.status,
            case_type: i.case_type,
            bank_id: i.bank_id,
            service_line: i.service_line,
            tasks: i.tasks.map(|tasks| {
                tasks
                    .into_iter()
                    .map(|t| TemplateTaskDraft {
                        title: t.title,
                        description: t.description,
                        assignee: t.assignee,
                        due_in_working_days: t.due_in_working_days,
                    })
                    .collect()
            }),
            is_active: i.is_active,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TemplateListQuery {
    /// Inactive ones too.
    pub include_inactive: Option<bool>,
}

/// The task templates, by name (everyone signed in).
#[utoipa::path(tag = "master data", params(TemplateListQuery), responses((status = 200, body = Vec<TaskTemplateRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/master/task-templates")]
async fn list_task_templates(
    state: web::Data<AppState>,
    _caller: Authenticated,
    query: web::Query<TemplateListQuery>,
) -> ApiResult<web::Json<Vec<TaskTemplateRead>>> {
    let rows = state
        .task_templates
        .list(query.include_inactive.unwrap_or(false))
        .await?;
    Ok(web::Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(tag = "master data", params(IdPath), responses((status = 200, body = TaskTemplateRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/master/task-templates/{id}")]
async fn get_task_template(
    state: web::Data<AppState>,
    _caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<TaskTemplateRead>> {
    Ok(web::Json(state.task_templates.get(path.id).await?.into()))
}

/// Create a template (master-data roles). It fires on later changes only.
#[utoipa::path(tag = "master data", request_body = TaskTemplateInput, responses((status = 201, body = TaskTemplateRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/master/task-templates")]
async fn create_task_template(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<TaskTemplateInput>,
) -> ApiResult<HttpResponse> {
    let made = state
        .task_templates
        .create(&caller.actor, body.into_inner().into())
        .await?;
    Ok(HttpResponse::Created().json(TaskTemplateRead::from(made)))
}

/// Change a template (master-data roles).
#[utoipa::path(tag = "master data", params(IdPath), request_body = TaskTemplateInput, responses((status = 200, body = TaskTemplateRead), WriteErrors), security(("bearer" = [])))]
#[patch("/api/master/task-templates/{id}")]
async fn update_task_template(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<TaskTemplateInput>,
) -> ApiResult<web::Json<TaskTemplateRead>> {
    let changed = state
        .task_templates
        .update(&caller.actor, path.id, body.into_inner().into())
        .await?;
    Ok(web::Json(changed.into()))
}

/// Delete a template (master-data roles); the tasks it made stay.
#[utoipa::path(tag = "master data", params(IdPath), responses((status = 204, description = "Deleted"), WriteErrors), security(("bearer" = [])))]
#[delete("/api/master/task-templates/{id}")]
async fn delete_task_template(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<HttpResponse> {
    state.task_templates.delete(&caller.actor, path.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list_task_templates)
        .service(get_task_template)
        .service(create_task_template)
        .service(update_task_template)
        .service(delete_task_template);
}
