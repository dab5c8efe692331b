//! Documents on an assignment: streamed upload, list, download and preview (streamed,
//! with HEAD), final flag, review, delete.

use actix_multipart::Multipart;
use actix_web::http::Method;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, route, web};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::DomainError;
use zenops_domain::document::{ByteSource, Document, DocumentId, StagedUpload, UploadForm};
use zenops_domain::invoice::InvoiceId;

use crate::dto::{IdPath, timestamp};
use crate::error::{ApiError, ApiResult, WriteErrors};
use crate::session::Authenticated;
use crate::state::AppState;

/// A document, as the assignment page and its drawer read it. The storage location is
/// never part of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentRead {
    pub id: i64,
    pub assignment_id: i64,
    pub uploaded_by_user_id: i64,
    /// The uploaded file's name, cleaned, for display.
    pub original_name: String,
    /// The type sniffed from the content.
    #[schema(example = "application/pdf")]
    pub mime_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub category: Option<String>,
    /// 1, 2, … per assignment and category.
    pub version_number: u32,
    pub is_final: bool,
    /// UPLOADED, RECEIVED, REVIEWED, FINAL, NEEDS_CLARIFICATION or REJECTED.
    #[schema(example = "RECEIVED")]
    pub review_status: String,
    /// INTERNAL_ONLY or PARTNER_RELEASED.
    pub visibility: String,
    pub reviewed_by_user_id: Option<i64>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reviewed_at: Option<OffsetDateTime>,
    pub review_note: Option<String>,
    /// Document comments are not kept yet: always 0.
    pub comments_count: u64,
    /// Document comments are not kept yet: always 0.
    pub unresolved_count: u64,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<&Document> for DocumentRead {
    fn from(d: &Document) -> Self {
        Self {
            id: d.id.0,
            assignment_id: d.assignment_id,
            uploaded_by_user_id: d.uploaded_by.0,
            original_name: d.original_name.clone(),
            mime_type: d.mime_type.clone(),
            size: d.size,
            sha256: d.sha256.clone(),
            category: d.category.clone(),
            version_number: d.version_number,
            is_final: d.is_final,
            review_status: d.review_status.as_str().to_owned(),
            visibility: d.visibility.as_str().to_owned(),
            reviewed_by_user_id: d.reviewed_by.map(|u| u.0),
            reviewed_at: d.reviewed_at,
            review_note: d.review_note.clone(),
            comments_count: 0,
            unresolved_count: 0,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DocumentPath {
    /// The assignment.
    pub id: i64,
    pub doc_id: i64,
}

/// The upload form (`multipart/form-data`): `file`, and optionally `category` and
/// `is_final` (`"true"`/`"false"`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadInput {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    pub category: Option<String>,
    #[schema(example = "false")]
    pub is_final: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FinalInput {
    /// Default true.
    pub is_final: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewInput {
    /// UPLOADED, RECEIVED, REVIEWED, FINAL, NEEDS_CLARIFICATION or REJECTED.
    pub review_status: String,
    pub note: Option<String>,
    /// Accepted for the drawer's sake; comments are not kept yet.
    pub lane: Option<String>,
    pub is_visible_to_client: Option<bool>,
}

/// What a review answers: the document (comments are not kept yet).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewRead {
    pub document: DocumentRead,
    pub comment_created: bool,
    pub comment_id: Option<i64>,
}

/// The assignment's documents, newest first (row access).
#[utoipa::path(tag = "documents", params(IdPath), responses((status = 200, body = Vec<DocumentRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/assignments/{id}/documents")]
async fn list_documents(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<Vec<DocumentRead>>> {
    let documents = state.documents.list(&caller.actor, path.id).await?;
    Ok(web::Json(
        documents.iter().map(DocumentRead::from).collect(),
    ))
}

/// A multipart field's bytes, handed to the service through a small channel: the field
/// is read here (on the request's thread) while the service writes to storage.
struct ChannelSource(mpsc::Receiver<Result<Vec<u8>, DomainError>>);

#[async_trait]
impl ByteSource for ChannelSource {
    async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, DomainError>> {
        self.0.recv().await
    }
}

async fn read_text(field: &mut actix_multipart::Field, name: &str) -> ApiResult<String> {
    let mut text = Vec::new();
    while let Some(chunk) = field
        .try_next()
        .await
        .map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))?
    {
        if text.len() + chunk.len() > 1024 {
            return Err(ApiError::BadRequest(format!("{name}: too long")));
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| ApiError::BadRequest(format!("{name}: not UTF-8 text")))
}

/// Upload a document (`multipart/form-data`: `file`, `category`, `is_final`). The file
/// streams to storage as it arrives (never held whole); over the size limit it is 413 and
/// nothing is kept; its type is sniffed from the content (415 unless PDF, an image, an
/// office document or text). Versions count per category; `is_final` clears the flag on
/// the category's other documents.
#[utoipa::path(
    tag = "documents",
    params(IdPath),
    request_body(content = UploadInput, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = DocumentRead),
        (status = 413, description = "Larger than the limit; nothing stored", body = crate::error::ErrorBody),
        (status = 415, description = "A type that is not accepted; nothing stored", body = crate::error::ErrorBody),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/api/assignments/{id}/documents/upload")]
async fn upload_document(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    payload: Multipart,
) -> ApiResult<HttpResponse> {
    state.documents.may_upload(&caller.actor, path.id).await?;
    let target = Target::Assignment(path.id);
    let (staged, fields) = receive(&state, &caller, target, payload).await?;
    let form = UploadForm {
        category: fields.category,
        is_final: fields.is_final,
    };
    let document = state.documents.record(&caller.actor, staged, form).await?;
    Ok(HttpResponse::Created().json(DocumentRead::from(&document)))
}

/// What an upload is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Assignment(i64),
    Invoice(InvoiceId),
}

/// The text fields sent along with a file.
#[derive(Debug, Default)]
pub(crate) struct UploadFields {
    pub category: Option<String>,
    pub is_final: Option<String>,
}

/// Reads a multipart upload: the `file` field streams into storage through the target's
/// service as it arrives; `category` and `is_final` are read as short text; anything else
/// is read and ignored. Without a file it is 422; on any error after the file was
/// stored, the object is removed.
pub(crate) async fn receive(
    state: &AppState,
    caller: &Authenticated,
    target: Target,
    mut payload: Multipart,
) -> ApiResult<(StagedUpload, UploadFields)> {
    let mut staged = None;
    let mut fields = UploadFields::default();
    let outcome: ApiResult<()> = async {
        while let Some(mut field) = payload
            .try_next()
            .await
            .map_err(|e| ApiError::BadRequest(format!("invalid multipart body: {e}")))?
        {
            match field.name().unwrap_or_default() {
                "file" if staged.is_none() => {
                    let file_name = field
                        .content_disposition()
                        .and_then(|d| d.get_filename().map(str::to_owned))
                        .unwrap_or_default();
                    let (tx, rx) = mpsc::channel(4);
                    let pump = async {
                        while let Some(chunk) = field.next().await {
                            let chunk = chunk.map(|b| b.to_vec()).map_err(|e| {
                                DomainError::invalid("file", format!("upload interrupted: {e}"))
                            });
                            let failed = chunk.is_err();
                            // The service stopped reading (limit, type): stop too.
                            if tx.send(chunk).await.is_err() || failed {
                                break;
                            }
                        }
                        drop(tx);
                    };
                    // The service's side owns the receiver: when it stops reading (a
                    // limit, a refused type), the receiver goes with it, the pump's next
                    // send fails, and the rest of the body is left unread.
                    let stage = async move {
                        let mut source = ChannelSource(rx);
                        match target {
                            Target::Assignment(id) => {
                                state
                                    .documents
                                    .stage(&caller.actor, id, &file_name, &mut source)
                                    .await
                            }
                            Target::Invoice(id) => {
                                state
                                    .attachments
                                    .stage(&caller.actor, id, &file_name, &mut source)
                                    .await
                            }
                        }
                    };
                    let ((), result) = futures_util::future::join(pump, stage).await;
                    staged = Some(result?);
                }
                "category" => fields.category = Some(read_text(&mut field, "category").await?),
                "is_final" => fields.is_final = Some(read_text(&mut field, "is_final").await?),
                _ => while field.try_next().await.ok().flatten().is_some() {},
            }
        }
        Ok(())
    }
    .await;
    let Some(staged) = staged else {
        outcome?;
        return Err(DomainError::invalid("file", "is required").into());
    };
    if let Err(err) = outcome {
        match target {
            Target::Assignment(_) => state.documents.discard(staged).await,
            Target::Invoice(_) => state.attachments.discard(staged).await,
        }
        return Err(err);
    }
    Ok((staged, fields))
}

/// The `Content-Disposition` of a download: RFC 6266, an ASCII fallback name plus the
/// UTF-8 one (`filename*`) when the name is not plain ASCII.
fn disposition(name: &str, inline: bool) -> ContentDisposition {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut parameters = vec![DispositionParam::Filename(ascii.clone())];
    if ascii != name {
        parameters.push(DispositionParam::FilenameExt(header::ExtendedValue {
            charset: header::Charset::Ext("UTF-8".to_owned()),
            language_tag: None,
            value: name.as_bytes().to_vec(),
        }));
    }
    ContentDisposition {
        disposition: if inline {
            DispositionType::Inline
        } else {
            DispositionType::Attachment
        },
        parameters,
    }
}

/// The headers of a stored file's answer (documents and invoice attachments alike).
pub(crate) struct StoredFile<'a> {
    pub mime_type: &'a str,
    pub name: &'a str,
    pub sha256: &'a str,
}

impl<'a> From<&'a Document> for StoredFile<'a> {
    fn from(d: &'a Document) -> Self {
        Self {
            mime_type: &d.mime_type,
            name: &d.original_name,
            sha256: &d.sha256,
        }
    }
}

pub(crate) fn headers_for(
    response: &mut actix_web::HttpResponseBuilder,
    file: StoredFile<'_>,
    inline: bool,
) {
    response
        .insert_header((header::CONTENT_TYPE, content_type(file.mime_type)))
        .insert_header(disposition(file.name, inline))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::ETAG, format!("\"{}\"", file.sha256)));
    if inline {
        // Shown in the browser, it runs nothing and reaches nothing.
        response.insert_header((header::CONTENT_SECURITY_POLICY, "sandbox"));
    }
}

/// The stored type as a `Content-Type`: text is UTF-8 (it was checked on upload).
fn content_type(mime: &str) -> String {
    if mime.starts_with("text/") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

/// A stored object's bytes as a response body, chunk by chunk.
pub(crate) fn body_of(
    reader: Box<dyn ByteSource>,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    futures_util::stream::unfold(reader, |mut reader| async move {
        let chunk = reader.next_chunk().await?;
        let chunk = chunk
            .map(web::Bytes::from)
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()));
        Some((chunk, reader))
    })
}

/// Streams the document's bytes with their type and length.
async fn serve(
    state: &AppState,
    caller: &Authenticated,
    path: &DocumentPath,
    inline: bool,
) -> ApiResult<HttpResponse> {
    let (document, reader) = state
        .documents
        .open(&caller.actor, path.id, DocumentId(path.doc_id), inline)
        .await?;
    let body = body_of(reader);
    let mut response = HttpResponse::Ok();
    headers_for(&mut response, StoredFile::from(&document), inline);
    Ok(response.no_chunking(document.size).streaming(body))
}

/// The document as a download (`Content-Disposition: attachment`), streamed.
#[utoipa::path(get, tag = "documents", params(DocumentPath), responses((status = 200, description = "The file, with its sniffed type", content_type = "*/*"), WriteErrors), security(("bearer" = [])))]
#[route(
    "/api/assignments/{id}/documents/{doc_id}/download",
    method = "GET",
    method = "HEAD"
)]
async fn download_document(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<DocumentPath>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    if req.method() == Method::HEAD {
        return head(&state, &caller, &path, false).await;
    }
    serve(&state, &caller, &path, false).await
}

/// The document shown inline (PDFs, images and text only; others 415), streamed.
#[utoipa::path(get, tag = "documents", params(DocumentPath), responses((status = 200, description = "The file, with its sniffed type", content_type = "*/*"), (status = 415, description = "Not previewable", body = crate::error::ErrorBody), WriteErrors), security(("bearer" = [])))]
#[route(
    "/api/assignments/{id}/documents/{doc_id}/preview",
    method = "GET",
    method = "HEAD"
)]
async fn preview_document(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<DocumentPath>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    if req.method() == Method::HEAD {
        return head(&state, &caller, &path, true).await;
    }
    serve(&state, &caller, &path, true).await
}

/// HEAD of a download or preview: the same headers, no body, nothing read or recorded.
async fn head(
    state: &AppState,
    caller: &Authenticated,
    path: &DocumentPath,
    inline: bool,
) -> ApiResult<HttpResponse> {
    let document = state
        .documents
        .head(&caller.actor, path.id, DocumentId(path.doc_id), inline)
        .await?;
    let mut response = HttpResponse::Ok();
    headers_for(&mut response, StoredFile::from(&document), inline);
    // A sized body with no bytes: the length is the file's, and HEAD sends no body.
    let nothing = futures_util::stream::empty::<Result<web::Bytes, actix_web::Error>>();
    Ok(response.body(actix_web::body::SizedStream::new(document.size, nothing)))
}

/// Mark the document final (or not): one final document per category.
#[utoipa::path(tag = "documents", params(DocumentPath), request_body(content = Option<FinalInput>, description = "Optional; `is_final` defaults to true"), responses((status = 200, body = DocumentRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/assignments/{id}/documents/{doc_id}/final")]
async fn final_document(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<DocumentPath>,
    body: web::Bytes,
) -> ApiResult<web::Json<DocumentRead>> {
    let input: FinalInput = crate::dto::optional_body(&body)?;
    let document = state
        .documents
        .set_final(
            &caller.actor,
            path.id,
            DocumentId(path.doc_id),
            input.is_final.unwrap_or(true),
        )
        .await?;
    Ok(web::Json(DocumentRead::from(&document)))
}

/// Review the document: its status, with a note; the reviewer and time are recorded.
#[utoipa::path(tag = "documents", params(DocumentPath), request_body = ReviewInput, responses((status = 200, body = ReviewRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/assignments/{id}/documents/{doc_id}/review")]
async fn review_document(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<DocumentPath>,
    body: web::Json<ReviewInput>,
) -> ApiResult<web::Json<ReviewRead>> {
    let input = body.into_inner();
    let document = state
        .documents
        .review(
            &caller.actor,
            path.id,
            DocumentId(path.doc_id),
            &input.review_status,
            input.note,
        )
        .await?;
    Ok(web::Json(ReviewRead {
        document: DocumentRead::from(&document),
        comment_created: false,
        comment_id: None,
    }))
}

/// Remove the document (its uploader or a view-all role); recorded in the trail.
#[utoipa::path(tag = "documents", params(DocumentPath), responses((status = 204, description = "Removed"), WriteErrors), security(("bearer" = [])))]
#[delete("/api/assignments/{id}/documents/{doc_id}")]
async fn delete_document(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<DocumentPath>,
) -> ApiResult<HttpResponse> {
    state
        .documents
        .delete(&caller.actor, path.id, DocumentId(path.doc_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What the assignment needs and has, by category.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistRead {
    /// From the checklist rules that fit the assignment (most specific first), or the
    /// defaults of its case type.
    pub required_categories: Vec<String>,
    pub present_categories: Vec<String>,
    pub missing_categories: Vec<String>,
}

/// The assignment's document checklist (row access).
#[utoipa::path(tag = "documents", params(IdPath), responses((status = 200, body = ChecklistRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/assignments/{id}/documents/checklist")]
async fn document_checklist(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<ChecklistRead>> {
    let checklist = state.documents.checklist(&caller.actor, path.id).await?;
    Ok(web::Json(ChecklistRead {
        required_categories: checklist.required,
        present_categories: checklist.present,
        missing_categories: checklist.missing,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RemindInput {
    /// The chat message; by default a list of what is missing.
    pub message: Option<String>,
}

/// What a reminder did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemindRead {
    /// `Reminder sent`.
    pub detail: &'static str,
    pub missing_documents: Vec<String>,
    pub missing_categories: Vec<String>,
    /// The chat message posted.
    pub message_id: i64,
    /// The "Missing documents" task: made now, or the one still open.
    pub task_id: i64,
    pub task_created: bool,
}

/// Remind the assignment's people of missing documents: a chat message mentioning the
/// primary assignee and a "Missing documents" task for them (one while it is open), in
/// the trail. 409 `nothing_missing` when the checklist is complete.
#[utoipa::path(tag = "documents", params(IdPath), request_body(content = Option<RemindInput>, description = "Optional"), responses((status = 200, body = RemindRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/assignments/{id}/documents/remind")]
async fn remind_documents(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Bytes,
) -> ApiResult<web::Json<RemindRead>> {
    let input: RemindInput = crate::dto::optional_body(&body)?;
    let reminder = state
        .documents
        .remind(&caller.actor, path.id, input.message)
        .await?;
    Ok(web::Json(RemindRead {
        detail: "Reminder sent",
        missing_documents: reminder.missing.clone(),
        missing_categories: reminder.missing,
        message_id: reminder.message.id,
        task_id: reminder.task_id,
        task_created: reminder.task_created,
    }))
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    // The fixed paths come before `/{doc_id}`.
    cfg.service(document_checklist)
        .service(remind_documents)
        .service(list_documents)
        .service(upload_document)
        .service(download_document)
        .service(preview_document)
        .service(final_document)
        .service(review_document)
        .service(delete_document);
}
