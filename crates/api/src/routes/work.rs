//! Tasks and the chat on an assignment, and the caller's own task list.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::message::Message;
use zenops_domain::page::Page;
use zenops_domain::task::{MY_TASKS_CAP, MY_TASKS_DEFAULT, MyTask, MyTaskFilter, Task, TaskDraft};

use crate::dto::{IdPath, lenient_nullable_id, nullable, query_instant, timestamp};
use crate::error::{ApiError, ApiResult, AssignErrors, AuthErrors, WriteErrors};
use crate::routes::assignments::DateOrTime;
use crate::session::Authenticated;
use crate::state::AppState;
use zenops_domain::sla::FirmZone;

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskRead {
    pub id: i64,
    pub assignment_id: i64,
    pub title: String,
    pub description: Option<String>,
    /// TODO, DOING, DONE or BLOCKED.
    pub status: String,
    pub assigned_to_user_id: Option<i64>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    pub template_type: Option<String>,
    pub created_by_user_id: i64,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<&Task> for TaskRead {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id,
            assignment_id: t.assignment_id,
            title: t.title.clone(),
            description: t.description.clone(),
            status: t.status.as_str().to_owned(),
            assigned_to_user_id: t.assigned_to.map(|u| u.0),
            due_at: t.due_at,
            template_type: t.template_type.clone(),
            created_by_user_id: t.created_by.0,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A task with the assignment it belongs to, for "my tasks".
#[derive(Debug, Serialize, ToSchema)]
pub struct MyTaskRead {
    #[serde(flatten)]
    pub task: TaskRead,
    pub assignment_code: String,
    pub assignment_status: String,
    pub borrower_name: Option<String>,
}

impl From<&MyTask> for MyTaskRead {
    fn from(t: &MyTask) -> Self {
        Self {
            task: TaskRead::from(&t.task),
            assignment_code: t.assignment_code.clone(),
            assignment_status: t.assignment_status.clone(),
            borrower_name: t.borrower_name.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageRead {
    pub id: i64,
    pub assignment_id: i64,
    pub sender_user_id: i64,
    /// The text; mentions appear in it as `@[Name](userId)`.
    pub message: String,
    pub mentions: Vec<i64>,
    pub pinned: bool,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<&Message> for MessageRead {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id,
            assignment_id: m.assignment_id,
            sender_user_id: m.sender.0,
            message: m.message.clone(),
            mentions: m.mentions.iter().map(|u| u.0).collect(),
            pinned: m.pinned,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A new task, or a change to one (absent fields stay; `null` clears). Naming someone on
/// approved leave answers 409 unless `override_on_leave` is true.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TaskInput {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub assigned_to_user_id: Option<Option<i64>>,
    /// An RFC 3339 timestamp, a local time (`2026-05-04T17:00`) or a date.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Option<DateOrTime>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub template_type: Option<Option<String>>,
    #[serde(default)]
    pub override_on_leave: bool,
}

impl TaskInput {
    fn into_draft(self, zone: &FirmZone) -> ApiResult<TaskDraft> {
        let due_at = match self.due_at {
            None => None,
            Some(None) => Some(None),
            Some(Some(when)) => Some(Some(when.resolve(zone, "due_at")?)),
        };
        Ok(TaskDraft {
            title: self.title,
            description: self.description,
            status: self.status,
            assigned_to_user_id: self.assigned_to_user_id,
            due_at,
            template_type: self.template_type,
            override_on_leave: self.override_on_leave,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MessageInput {
    pub message: String,
    /// User ids to notify, besides the `@[Name](id)` tokens in the text.
    #[serde(default)]
    pub mentions: Vec<i64>,
    #[serde(default)]
    pub pinned: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TaskPath {
    /// The assignment.
    pub id: i64,
    pub task_id: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MessagePath {
    /// The assignment.
    pub id: i64,
    pub message_id: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MyTasksQuery {
    /// Include finished tasks (default false).
    pub include_done: Option<bool>,
    /// Only this status (TODO, DOING, DONE, BLOCKED).
    pub status: Option<String>,
    /// RFC 3339 bounds of the due time.
    pub due_from: Option<String>,
    pub due_to: Option<String>,
    /// Default 100, at most 500.
    pub limit: Option<i64>,
}

/// The tasks of an assignment, oldest first.
#[utoipa::path(tag = "work", params(IdPath), responses((status = 200, body = Vec<TaskRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/assignments/{id}/tasks")]
async fn list_tasks(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<Vec<TaskRead>>> {
    let tasks = state.tasks.list(&caller.actor, path.id).await?;
    Ok(web::Json(tasks.iter().map(TaskRead::from).collect()))
}

/// Add a task to an assignment (anyone who may work on it).
#[utoipa::path(tag = "work", params(IdPath), request_body = TaskInput, responses((status = 201, body = TaskRead), AssignErrors), security(("bearer" = [])))]
#[post("/api/assignments/{id}/tasks")]
async fn create_task(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<TaskInput>,
) -> ApiResult<HttpResponse> {
    let task = state
        .tasks
        .create(
            &caller.actor,
            path.id,
            body.into_inner().into_draft(state.assignments.zone())?,
        )
        .await?;
    Ok(HttpResponse::Created().json(TaskRead::from(&task)))
}

/// Change a task (its creator, its assignee, or a view-all role; reassigning it to
/// someone else needs `reassign`).
#[utoipa::path(tag = "work", params(TaskPath), request_body = TaskInput, responses((status = 200, body = TaskRead), AssignErrors), security(("bearer" = [])))]
#[patch("/api/assignments/{id}/tasks/{task_id}")]
async fn update_task(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<TaskPath>,
    body: web::Json<TaskInput>,
) -> ApiResult<web::Json<TaskRead>> {
    let task = state
        .tasks
        .update(
            &caller.actor,
            path.id,
            path.task_id,
            body.into_inner().into_draft(state.assignments.zone())?,
        )
        .await?;
    Ok(web::Json(TaskRead::from(&task)))
}

/// Remove a task (its creator or a view-all role).
#[utoipa::path(tag = "work", params(TaskPath), responses((status = 204, description = "Deleted"), WriteErrors), security(("bearer" = [])))]
#[delete("/api/assignments/{id}/tasks/{task_id}")]
async fn delete_task(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<TaskPath>,
) -> ApiResult<HttpResponse> {
    state
        .tasks
        .delete(&caller.actor, path.id, path.task_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own tasks on live assignments, soonest due first.
#[utoipa::path(tag = "work", params(MyTasksQuery), responses((status = 200, body = Vec<MyTaskRead>), AuthErrors), security(("bearer" = [])))]
#[get("/api/tasks/my")]
async fn my_tasks(
    state: web::Data<AppState>,
    caller: Authenticated,
    q: web::Query<MyTasksQuery>,
) -> ApiResult<web::Json<Vec<MyTaskRead>>> {
    let status = q
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|m| ApiError::BadRequest(format!("status: {m}")))
        })
        .transpose()?;
    let filter = MyTaskFilter {
        include_done: q.include_done.unwrap_or(false),
        status,
        due_from: query_instant(&q.due_from, "due_from")?,
        due_to: query_instant(&q.due_to, "due_to")?,
    };
    let page =
        Page::parse(q.limit, None, MY_TASKS_DEFAULT, MY_TASKS_CAP).map_err(ApiError::BadRequest)?;
    let tasks = state.tasks.mine(&caller.actor, &filter, page.limit).await?;
    Ok(web::Json(tasks.iter().map(MyTaskRead::from).collect()))
}

/// The assignment's chat, oldest first.
#[utoipa::path(tag = "work", params(IdPath), responses((status = 200, body = Vec<MessageRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/assignments/{id}/messages")]
async fn list_messages(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<Vec<MessageRead>>> {
    let messages = state.messages.list(&caller.actor, path.id).await?;
    Ok(web::Json(messages.iter().map(MessageRead::from).collect()))
}

/// Post to the chat. Every mentioned user must be active.
#[utoipa::path(tag = "work", params(IdPath), request_body = MessageInput, responses((status = 201, body = MessageRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/assignments/{id}/messages")]
async fn post_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<MessageInput>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let message = state
        .messages
        .post(
            &caller.actor,
            path.id,
            &body.message,
            body.mentions,
            body.pinned,
        )
        .await?;
    Ok(HttpResponse::Created().json(MessageRead::from(&message)))
}

/// Pin a message (its sender or a view-all role).
#[utoipa::path(tag = "work", params(MessagePath), responses((status = 200, body = MessageRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/assignments/{id}/messages/{message_id}/pin")]
async fn pin_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<MessagePath>,
) -> ApiResult<web::Json<MessageRead>> {
    let message = state
        .messages
        .pin(&caller.actor, path.id, path.message_id)
        .await?;
    Ok(web::Json(MessageRead::from(&message)))
}

/// Unpin a message (its sender or a view-all role).
#[utoipa::path(tag = "work", params(MessagePath), responses((status = 200, body = MessageRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/assignments/{id}/messages/{message_id}/unpin")]
async fn unpin_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<MessagePath>,
) -> ApiResult<web::Json<MessageRead>> {
    let message = state
        .messages
        .unpin(&caller.actor, path.id, path.message_id)
        .await?;
    Ok(web::Json(MessageRead::from(&message)))
}

/// Delete a message (its sender or a view-all role).
#[utoipa::path(tag = "work", params(MessagePath), responses((status = 204, description = "Deleted"), WriteErrors), security(("bearer" = [])))]
#[delete("/api/assignments/{id}/messages/{message_id}")]
async fn delete_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<MessagePath>,
) -> ApiResult<HttpResponse> {
    state
        .messages
        .delete(&caller.actor, path.id, path.message_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list_tasks)
        .service(create_task)
        .service(update_task)
        .service(delete_task)
        .service(my_tasks)
        .service(list_messages)
        .service(post_message)
        .service(pin_message)
        .service(unpin_message)
        .service(delete_message);
}
