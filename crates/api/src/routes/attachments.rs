//! Files attached to invoices: list, streamed upload, streamed download, delete. The same
//! storage and rules as documents.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::document::attachments::Attachment;
use zenops_domain::invoice::InvoiceId;

use crate::dto::{IdPath, timestamp};
use crate::error::{ApiResult, WriteErrors};
use crate::routes::documents::{StoredFile, Target, UploadInput, body_of, headers_for, receive};
use crate::session::Authenticated;
use crate::state::AppState;

/// An invoice attachment, as the invoice drawer reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentRead {
    pub id: i64,
    pub invoice_id: i64,
    pub uploaded_by_user_id: i64,
    pub original_name: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: String,
    pub category: Option<String>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<&Attachment> for AttachmentRead {
    fn from(a: &Attachment) -> Self {
        Self {
            id: a.id,
            invoice_id: a.invoice_id.0,
            uploaded_by_user_id: a.uploaded_by.0,
            original_name: a.original_name.clone(),
            mime_type: a.mime_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            category: a.category.clone(),
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AttachmentPath {
    /// The invoice.
    pub id: i64,
    pub attachment_id: i64,
}

/// What deleting answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDeleted {
    /// `ok`.
    pub status: &'static str,
    pub attachment_id: i64,
}

/// The invoice's attachments (those who see the invoice).
#[utoipa::path(tag = "invoices", params(IdPath), responses((status = 200, body = Vec<AttachmentRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/invoices/{id}/attachments")]
async fn list_attachments(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<Vec<AttachmentRead>>> {
    let attachments = state
        .attachments
        .list(&caller.actor, InvoiceId(path.id))
        .await?;
    Ok(web::Json(
        attachments.iter().map(AttachmentRead::from).collect(),
    ))
}

/// Attach a file (`multipart/form-data`: `file`, `category`; `modify_invoice`): streamed,
/// size-limited (413), type sniffed (415), as documents.
#[utoipa::path(
    tag = "invoices",
    params(IdPath),
    request_body(content = UploadInput, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AttachmentRead),
        (status = 413, description = "Larger than the limit; nothing stored", body = crate::error::ErrorBody),
        (status = 415, description = "A type that is not accepted; nothing stored", body = crate::error::ErrorBody),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/api/invoices/{id}/attachments/upload")]
async fn upload_attachment(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    payload: Multipart,
) -> ApiResult<HttpResponse> {
    let invoice = InvoiceId(path.id);
    state.attachments.may_upload(&caller.actor, invoice).await?;
    let (staged, fields) = receive(&state, &caller, Target::Invoice(invoice), payload).await?;
    let attachment = state
        .attachments
        .record(&caller.actor, staged, fields.category)
        .await?;
    Ok(HttpResponse::Created().json(AttachmentRead::from(&attachment)))
}

/// The attachment, streamed as a download.
#[utoipa::path(tag = "invoices", params(AttachmentPath), responses((status = 200, description = "The file, with its sniffed type", content_type = "*/*"), WriteErrors), security(("bearer" = [])))]
#[get("/api/invoices/{id}/attachments/{attachment_id}/download")]
async fn download_attachment(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<AttachmentPath>,
) -> ApiResult<HttpResponse> {
    let (attachment, reader) = state
        .attachments
        .open(&caller.actor, InvoiceId(path.id), path.attachment_id)
        .await?;
    let mut response = HttpResponse::Ok();
    let file = StoredFile {
        mime_type: &attachment.mime_type,
        name: &attachment.original_name,
        sha256: &attachment.sha256,
    };
    headers_for(&mut response, file, false);
    Ok(response
        .no_chunking(attachment.size)
        .streaming(body_of(reader)))
}

/// Remove an attachment (`modify_invoice`).
#[utoipa::path(tag = "invoices", params(AttachmentPath), responses((status = 200, body = AttachmentDeleted), WriteErrors), security(("bearer" = [])))]
#[delete("/api/invoices/{id}/attachments/{attachment_id}")]
async fn delete_attachment(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<AttachmentPath>,
) -> ApiResult<web::Json<AttachmentDeleted>> {
    state
        .attachments
        .delete(&caller.actor, InvoiceId(path.id), path.attachment_id)
        .await?;
    Ok(web::Json(AttachmentDeleted {
        status: "ok",
        attachment_id: path.attachment_id,
    }))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list_attachments)
        .service(upload_attachment)
        .service(download_attachment)
        .service(delete_attachment);
}
