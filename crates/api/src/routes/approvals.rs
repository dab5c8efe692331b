//! Approvals: requesting, the inbox of those who decide, deciding, withdrawing.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::access::Actor;
use zenops_domain::activity::PayloadValue;
use zenops_domain::approval::{Approval, ApprovalId, FEES, RequestDraft, Template};
use zenops_domain::assignment::sees_money;

use crate::dto::{IdPath, optional_body, timestamp};
use crate::error::{ApiError, ApiResult, AuthErrors, WriteErrors};
use crate::session::Authenticated;
use crate::state::AppState;

/// A request for approval, as the Requests and Approvals pages read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalRead {
    pub id: i64,
    /// ASSIGNMENT, INVOICE, USER or LEAVE.
    #[schema(example = "ASSIGNMENT")]
    pub entity_type: String,
    pub entity_id: i64,
    #[schema(example = "DELETE_ASSIGNMENT")]
    pub action_type: String,
    pub requester_user_id: i64,
    /// The one person asked to decide while pending; whoever decided once decided.
    pub approver_user_id: Option<i64>,
    pub decided_by_user_id: Option<i64>,
    /// PENDING, APPROVED, REJECTED or CANCELLED (withdrawn by the requester).
    #[schema(example = "PENDING")]
    pub status: String,
    pub reason: Option<String>,
    /// The action's parameters (never a password). A fee shows only to roles that handle
    /// money and to the requester.
    #[schema(value_type = Object)]
    pub payload_json: Json,
    /// The decider's comment.
    pub decision_comment: Option<String>,
    pub assignment_id: Option<i64>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
}

fn json_of(value: PayloadValue) -> Json {
    match value {
        PayloadValue::Null => Json::Null,
        PayloadValue::Bool(b) => b.into(),
        PayloadValue::Int(n) => n.into(),
        PayloadValue::Text(t) => t.into(),
        PayloadValue::Ints(list) => list.into(),
    }
}

impl ApprovalRead {
    pub fn new(approval: &Approval, viewer: &Actor) -> Self {
        let r = approval.record();
        let shows_money = sees_money(viewer) || r.requester == viewer.user_id;
        let payload: Map<String, Json> = r
            .action
            .parameters()
            .into_iter()
            .filter(|(key, _)| *key != FEES || shows_money)
            .map(|(key, value)| (key.to_owned(), json_of(value)))
            .collect();
        Self {
            id: r.id.0,
            entity_type: r.entity.entity_type.as_str().to_owned(),
            entity_id: r.entity.entity_id,
            action_type: approval.action_type().as_str().to_owned(),
            requester_user_id: r.requester.0,
            approver_user_id: r.approver.map(|u| u.0),
            decided_by_user_id: r.decided_by.map(|u| u.0),
            status: r.status.as_str().to_owned(),
            reason: r.reason.clone(),
            payload_json: Json::Object(payload),
            decision_comment: r.decision_comment.clone(),
            assignment_id: r.assignment_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            decided_at: r.decided_at,
        }
    }

    pub fn list(approvals: &[Approval], viewer: &Actor) -> Vec<Self> {
        approvals.iter().map(|a| Self::new(a, viewer)).collect()
    }
}

/// A request for approval.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApprovalRequestInput {
    #[schema(example = "ASSIGNMENT")]
    pub entity_type: String,
    pub entity_id: i64,
    #[schema(example = "FINAL_REVIEW")]
    pub action_type: String,
    pub reason: Option<String>,
    /// The action's parameters: REASSIGN takes `assigned_to_user_id` and/or
    /// `assignee_user_ids` (and `override_on_leave`), FEE_OVERRIDE `fees`, CHANGE_ROLE
    /// `role`. Never a password: an approved RESET_PASSWORD makes the user choose one.
    #[schema(value_type = Option<Object>)]
    pub payload_json: Option<Json>,
    /// Ask one person to decide (they must be able to).
    pub approver_user_id: Option<i64>,
    pub assignment_id: Option<i64>,
}

impl ApprovalRequestInput {
    fn into_draft(self) -> ApiResult<RequestDraft> {
        let mut draft = RequestDraft {
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            action_type: self.action_type,
            reason: self.reason,
            approver_user_id: self.approver_user_id,
            assignment_id: self.assignment_id,
            ..RequestDraft::default()
        };
        let payload = match self.payload_json {
            None | Some(Json::Null) => return Ok(draft),
            Some(Json::Object(map)) => map,
            Some(_) => {
                return Err(ApiError::BadRequest(
                    "payload_json: must be an object".into(),
                ));
            }
        };
        let bad =
            |key: &str, what: &str| ApiError::BadRequest(format!("payload_json.{key}: {what}"));
        for (key, value) in payload {
            match key.as_str() {
                "assigned_to_user_id" => {
                    draft.assigned_to_user_id = Some(match value {
                        Json::Null => None,
                        v => Some(v.as_i64().ok_or_else(|| bad(&key, "must be a user id"))?),
                    });
                }
                "assignee_user_ids" => {
                    let entries = value
                        .as_array()
                        .ok_or_else(|| bad(&key, "must be a list of user ids"))?;
                    let ids = entries
                        .iter()
                        .map(Json::as_i64)
                        .collect::<Option<Vec<i64>>>()
                        .ok_or_else(|| bad(&key, "must be a list of user ids"))?;
                    draft.assignee_user_ids = Some(ids);
                }
                "override_on_leave" => {
                    draft.override_on_leave = value
                        .as_bool()
                        .ok_or_else(|| bad(&key, "must be true or false"))?;
                }
                "fees" => {
                    draft.fees = Some(match value {
                        Json::Null => None,
                        Json::String(s) => Some(s),
                        Json::Number(n) => Some(n.to_string()),
                        _ => return Err(bad(&key, "must be an amount")),
                    });
                }
                "role" => {
                    draft.role = Some(
                        value
                            .as_str()
                            .ok_or_else(|| bad(&key, "must be a role name"))?
                            .to_owned(),
                    );
                }
                "password" => {
                    return Err(bad(
                        &key,
                        "passwords are never sent in a request: an approved reset makes the user choose a new one",
                    ));
                }
                // Anything else is kept by no action: ignored, as the frontend may send
                // context (such as the assignment code) along.
                _ => {}
            }
        }
        Ok(draft)
    }
}

/// The decider's note.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionInput {
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatusQuery {
    /// PENDING, APPROVED, REJECTED or CANCELLED.
    pub status_filter: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxQuery {
    /// Also those the caller already decided.
    #[serde(default)]
    pub include_decided: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MineQuery {
    /// Also decided and withdrawn ones (the default).
    pub include_decided: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxCount {
    pub pending: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateRead {
    pub key: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub entity_type: &'static str,
    pub action_type: &'static str,
}

impl From<&Template> for TemplateRead {
    fn from(t: &Template) -> Self {
        Self {
            key: t.key,
            label: t.label,
            description: t.description,
            entity_type: t.entity_type.as_str(),
            action_type: t.action_type.as_str(),
        }
    }
}

/// Requests the caller may see: every one for an ADMIN; for others those they asked for
/// or may decide. Newest first, at most 200.
#[utoipa::path(tag = "approvals", params(StatusQuery), responses((status = 200, body = Vec<ApprovalRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/approvals")]
async fn list_approvals(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<StatusQuery>,
) -> ApiResult<web::Json<Vec<ApprovalRead>>> {
    let approvals = state
        .approvals
        .list(&caller.actor, query.status_filter.as_deref())
        .await?;
    Ok(web::Json(ApprovalRead::list(&approvals, &caller.actor)))
}

/// Ask for an approval. The entity must exist (and be visible to the caller), the action
/// must fit it, and someone other than the caller must be able to decide it.
#[utoipa::path(tag = "approvals", request_body = ApprovalRequestInput, responses((status = 201, body = ApprovalRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/approvals/request")]
async fn request_approval(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<ApprovalRequestInput>,
) -> ApiResult<HttpResponse> {
    let draft = body.into_inner().into_draft()?;
    let approval = state.approvals.request(&caller.actor, draft).await?;
    Ok(HttpResponse::Created().json(ApprovalRead::new(&approval, &caller.actor)))
}

/// The requests the caller may decide (needs `approve_actions`); with `include_decided`,
/// also those they decided.
#[utoipa::path(tag = "approvals", params(InboxQuery), responses((status = 200, body = Vec<ApprovalRead>), AuthErrors), security(("bearer" = [])))]
#[get("/api/approvals/inbox")]
async fn approval_inbox(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<InboxQuery>,
) -> ApiResult<web::Json<Vec<ApprovalRead>>> {
    let approvals = state
        .approvals
        .inbox(&caller.actor, query.include_decided)
        .await?;
    Ok(web::Json(ApprovalRead::list(&approvals, &caller.actor)))
}

/// How many pending requests the caller may decide (needs `approve_actions`).
#[utoipa::path(tag = "approvals", responses((status = 200, body = InboxCount), AuthErrors), security(("bearer" = [])))]
#[get("/api/approvals/inbox-count")]
async fn approval_inbox_count(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<web::Json<InboxCount>> {
    caller
        .actor
        .require(zenops_domain::Capability::ApproveActions)?;
    let pending = state.approvals.pending_for(&caller.actor).await?;
    Ok(web::Json(InboxCount { pending }))
}

/// The presets the request form offers.
#[utoipa::path(tag = "approvals", responses((status = 200, body = Vec<TemplateRead>), AuthErrors), security(("bearer" = [])))]
#[get("/api/approvals/templates")]
async fn approval_templates(
    state: web::Data<AppState>,
    _caller: Authenticated,
) -> web::Json<Vec<TemplateRead>> {
    web::Json(
        state
            .approvals
            .templates()
            .iter()
            .map(TemplateRead::from)
            .collect(),
    )
}

/// The caller's own requests.
#[utoipa::path(tag = "approvals", params(MineQuery), responses((status = 200, body = Vec<ApprovalRead>), AuthErrors), security(("bearer" = [])))]
#[get("/api/approvals/mine")]
async fn my_approvals(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<MineQuery>,
) -> ApiResult<web::Json<Vec<ApprovalRead>>> {
    let approvals = state
        .approvals
        .mine(&caller.actor, query.include_decided.unwrap_or(true))
        .await?;
    Ok(web::Json(ApprovalRead::list(&approvals, &caller.actor)))
}

/// One request, if the caller may see it.
#[utoipa::path(tag = "approvals", params(IdPath), responses((status = 200, body = ApprovalRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/approvals/{id}")]
async fn get_approval(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<ApprovalRead>> {
    let approval = state
        .approvals
        .get(&caller.actor, ApprovalId(path.id))
        .await?;
    Ok(web::Json(ApprovalRead::new(&approval, &caller.actor)))
}

/// Approve a pending request and apply its action, once: of concurrent decisions one
/// wins and the others get 409 `already_decided`. Nobody decides their own request.
#[utoipa::path(tag = "approvals", params(IdPath), request_body(content = Option<DecisionInput>, description = "Optional"), responses((status = 200, body = ApprovalRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/approvals/{id}/approve")]
async fn approve_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Bytes,
) -> ApiResult<web::Json<ApprovalRead>> {
    let input: DecisionInput = optional_body(&body)?;
    let approval = state
        .approvals
        .approve(&caller.actor, ApprovalId(path.id), input.comment.as_deref())
        .await?;
    Ok(web::Json(ApprovalRead::new(&approval, &caller.actor)))
}

/// Reject a pending request; nothing is changed.
#[utoipa::path(tag = "approvals", params(IdPath), request_body(content = Option<DecisionInput>, description = "Optional"), responses((status = 200, body = ApprovalRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/approvals/{id}/reject")]
async fn reject_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Bytes,
) -> ApiResult<web::Json<ApprovalRead>> {
    let input: DecisionInput = optional_body(&body)?;
    let approval = state
        .approvals
        .reject(&caller.actor, ApprovalId(path.id), input.comment.as_deref())
        .await?;
    Ok(web::Json(ApprovalRead::new(&approval, &caller.actor)))
}

/// The requester takes back a pending request (it becomes CANCELLED).
#[utoipa::path(tag = "approvals", params(IdPath), responses((status = 200, body = ApprovalRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/approvals/{id}/withdraw")]
async fn withdraw_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<ApprovalRead>> {
    let approval = state
        .approvals
        .withdraw(&caller.actor, ApprovalId(path.id))
        .await?;
    Ok(web::Json(ApprovalRead::new(&approval, &caller.actor)))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    // The fixed paths come before `/{id}`.
    cfg.service(list_approvals)
        .service(request_approval)
        .service(approval_inbox)
        .service(approval_inbox_count)
        .service(approval_templates)
        .service(my_approvals)
        .service(get_approval)
        .service(approve_request)
        .service(reject_request)
        .service(withdraw_request);
}
