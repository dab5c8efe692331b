//! Document use cases: upload (stage the object, then record the row), read, download,
//! final flag, review, delete.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::checklist::{self, ChecklistFacts};
use super::{
    ByteSource, CATEGORY_MAX_CHARS, Document, DocumentId, DocumentRepository, NOTE_MAX_CHARS,
    NewDocument, ObjectKey, ObjectStorage, Review, ReviewStatus, SNIFF_BYTES, accept_content,
    sanitize_file_name,
};
use crate::access::{Actor, Capability};
use crate::activity::ActivityDraft;
use crate::assignment::{Assignment, AssignmentService, Visible};
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult};
use crate::master::{DocTemplates, MasterFilter, MasterRepository};
use crate::message::Message;
use crate::page::Page;
use crate::task::{TaskFields, TaskStatus};
use crate::text;
use crate::user::UserId;
use crate::work::UnitOfWork;

/// An object stored for an upload whose row is not written yet. Record it with
/// [`DocumentService::record`] or drop it with [`DocumentService::discard`].
#[derive(Debug)]
#[must_use = "a staged upload is recorded or discarded, or its object is left behind"]
pub struct StagedUpload {
    /// The assignment (or invoice) it is staged for.
    assignment_id: i64,
    key: ObjectKey,
    name: String,
    mime: &'static str,
    size: u64,
    sha256: String,
}

impl StagedUpload {
    pub fn size(&self) -> u64 {
        self.size
    }
    pub(crate) fn owner(&self) -> i64 {
        self.assignment_id
    }
    pub(crate) fn key(&self) -> &ObjectKey {
        &self.key
    }
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
    pub(crate) fn mime(&self) -> &'static str {
        self.mime
    }
    pub(crate) fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// The upload form's other fields, as received.
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    pub category: Option<String>,
    /// `"true"` / `"false"` (form fields are text).
    pub is_final: Option<String>,
}

/// What the document service reads and stores through.
#[derive(Clone)]
pub struct DocumentPorts {
    pub repo: Arc<dyn DocumentRepository>,
    pub storage: Arc<dyn ObjectStorage>,
    /// The checklist rules of master data.
    pub rules: Arc<dyn MasterRepository<DocTemplates>>,
}

/// An assignment's checklist: what it needs, what it has, what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    pub required: Vec<String>,
    /// Categories of its documents (each once, in upload order).
    pub present: Vec<String>,
    pub missing: Vec<String>,
}

/// What a reminder did.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub missing: Vec<String>,
    pub message: Message,
    /// The "Missing documents" task: made now, or the open one made before.
    pub task_id: i64,
    pub task_created: bool,
}

/// The template type of the reminder's task.
pub const REMINDER_TASK_TYPE: &str = "DOC_REQUEST";

#[derive(Clone)]
pub struct DocumentService {
    repo: Arc<dyn DocumentRepository>,
    storage: Arc<dyn ObjectStorage>,
    rules: Arc<dyn MasterRepository<DocTemplates>>,
    work: Arc<dyn UnitOfWork>,
    assignments: AssignmentService,
    clock: Arc<dyn Clock>,
    max_bytes: u64,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_flag(raw: Option<&str>, field: &str) -> DomainResult<bool> {
    match raw.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(DomainError::invalid(
            field,
            format!("'{other}' is not true or false"),
        )),
    }
}

fn parse_category(raw: Option<&str>) -> DomainResult<Option<String>> {
    text::parse_optional(raw, CATEGORY_MAX_CHARS)
        .map_err(|m| DomainError::invalid("category", m))
        .map(|c| c.filter(|c| !c.is_empty()))
}

/// Streams an uploaded file into storage under `key`: the size limit is held while it
/// arrives (413, nothing kept), its type is sniffed from its first bytes (415, nothing
/// kept), and its SHA-256 computed on the way. `owner` is the assignment or invoice the
/// object is staged for.
pub(crate) async fn stream_in(
    storage: &dyn ObjectStorage,
    key: ObjectKey,
    owner: i64,
    file_name: &str,
    source: &mut dyn ByteSource,
    max_bytes: u64,
) -> DomainResult<StagedUpload> {
    let name = sanitize_file_name(file_name);
    let mut writer = storage.writer(&key).await?;
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut mime: Option<&'static str> = None;
    let mut size: u64 = 0;
    let mut text = super::TextCheck::default();
    loop {
        let chunk = match source.next_chunk().await {
            None => break,
            Some(Ok(chunk)) => chunk,
            Some(Err(err)) => {
                writer.abort().await;
                return Err(err);
            }
        };
        size = size.saturating_add(chunk.len() as u64);
        if size > max_bytes {
            writer.abort().await;
            return Err(DomainError::TooLarge {
                limit_bytes: max_bytes,
            });
        }
        if mime.is_none() {
            let room = SNIFF_BYTES - head.len();
            head.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if head.len() >= SNIFF_BYTES {
                match accept_content(&head, &name) {
                    Ok(found) => mime = Some(found),
                    Err(reason) => {
                        writer.abort().await;
                        return Err(DomainError::Unsupported(reason));
                    }
                }
            }
        }
        hasher.update(&chunk);
        text.feed(&chunk);
        if let Err(err) = writer.write(chunk).await {
            writer.abort().await;
            return Err(err);
        }
    }
    let mime = match mime {
        Some(found) => found,
        None => match accept_content(&head, &name) {
            Ok(found) => found,
            Err(reason) => {
                writer.abort().await;
                return Err(if head.is_empty() {
                    DomainError::invalid("file", reason)
                } else {
                    DomainError::Unsupported(reason)
                });
            }
        },
    };
    // Text must be text to the end, not only in the sniffed window.
    if mime.starts_with("text/") && !text.is_text() {
        writer.abort().await;
        return Err(DomainError::Unsupported(
            "the file starts as text but is not text throughout".to_owned(),
        ));
    }
    writer.finish().await?;
    Ok(StagedUpload {
        assignment_id: owner,
        key,
        name,
        mime,
        size,
        sha256: hex(&hasher.finalize()),
    })
}

/// Only PDFs, images and text are shown inline; the rest is downloaded.
fn refuse_preview(document: &Document, inline: bool) -> DomainResult<()> {
    if inline && !super::previewable(&document.mime_type) {
        return Err(DomainError::Unsupported(format!(
            "{} files are downloaded, not previewed",
            document.mime_type
        )));
    }
    Ok(())
}

impl DocumentService {
    pub fn new(
        ports: DocumentPorts,
        work: Arc<dyn UnitOfWork>,
        assignments: AssignmentService,
        clock: Arc<dyn Clock>,
        max_bytes: u64,
    ) -> Self {
        let DocumentPorts {
            repo,
            storage,
            rules,
        } = ports;
        Self {
            repo,
            storage,
            rules,
            work,
            assignments,
            clock,
            max_bytes,
        }
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    async fn rules(&self) -> DomainResult<Vec<crate::master::DocTemplateFields>> {
        let rules = self
            .rules
            .list(
                MasterFilter::default(),
                Page::first(crate::master::LIST_CAP),
            )
            .await?;
        Ok(rules.items.into_iter().map(|r| r.fields).collect())
    }

    fn facts(assignment: &Assignment) -> ChecklistFacts {
        let f = &assignment.fields;
        ChecklistFacts {
            bank_id: f.bank_id,
            branch_id: f.branch_id,
            property_type_id: f.property_type_id,
            property_subtype_id: f.property_subtype_id,
            case_type: f.case_type,
        }
    }

    async fn checklist_of(&self, assignment: &Assignment) -> DomainResult<Checklist> {
        let (rules, documents) = (self.rules().await?, self.repo.list(assignment.id).await?);
        let required = checklist::required_categories(&rules, &Self::facts(assignment));
        let mut present: Vec<String> = Vec::new();
        for category in documents.iter().rev().filter_map(|d| d.category.as_deref()) {
            if !present.iter().any(|p| p.eq_ignore_ascii_case(category)) {
                present.push(category.to_owned());
            }
        }
        let missing = checklist::missing_categories(&required, &present);
        Ok(Checklist {
            required,
            present,
            missing,
        })
    }

    /// The checklist of an assignment already shown to be visible.
    pub async fn checklist_visible(&self, seen: Visible<'_>) -> DomainResult<Checklist> {
        self.checklist_of(seen.assignment()).await
    }

    /// The assignment's checklist, if the actor may see it.
    pub async fn checklist(&self, actor: &Actor, assignment_id: i64) -> DomainResult<Checklist> {
        let view = self.assignments.get(actor, assignment_id).await?;
        self.checklist_visible(view.visible()).await
    }

    /// How many required categories each of these assignments still misses: the rules
    /// and the present categories are read once for all of them.
    pub async fn missing_counts(
        &self,
        assignments: &[&Assignment],
    ) -> DomainResult<HashMap<i64, u64>> {
        if assignments.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<i64> = assignments.iter().map(|a| a.id).collect();
        let (rules, present) = (
            self.rules().await?,
            self.repo.present_categories(&ids).await?,
        );
        Ok(assignments
            .iter()
            .map(|a| {
                let required = checklist::required_categories(&rules, &Self::facts(a));
                let mine: Vec<String> = present
                    .iter()
                    .filter(|(id, _)| *id == a.id)
                    .map(|(_, c)| c.clone())
                    .collect();
                let missing = checklist::missing_categories(&required, &mine).len();
                (a.id, u64::try_from(missing).unwrap_or(u64::MAX))
            })
            .collect())
    }

    /// Reminds the assignment's people of the missing documents: a chat message (the
    /// given text, or a list of what is missing) that mentions the primary assignee, and a
    /// "Missing documents" task for them unless one is still open, with a trail entry, in
    /// one transaction. Nothing missing: 409 `nothing_missing`.
    pub async fn remind(
        &self,
        actor: &Actor,
        assignment_id: i64,
        message: Option<String>,
    ) -> DomainResult<Reminder> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        let checklist = self.checklist_of(&assignment).await?;
        if checklist.missing.is_empty() {
            return Err(DomainError::conflict(
                "nothing_missing",
                "Every required document is present",
            ));
        }
        let list = checklist.missing.join(", ");
        let text = match message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            Some(custom) => crate::message::validate_text(custom)
                .map_err(|m| DomainError::invalid("message", m))?,
            None => format!("Reminder: documents still missing: {list}"),
        };
        let primary = assignment.fields.assigned_to;
        let now = self.clock.now();
        let mut tx = self.work.begin().await?;
        // Looked up inside the transaction, under the assignment's lock: two reminders at
        // once make one task.
        let open = tx
            .tasks()
            .open_of_type(assignment.id, REMINDER_TASK_TYPE)
            .await?;
        let mentions: Vec<UserId> = primary.into_iter().collect();
        let posted = tx
            .messages()
            .create(assignment.id, actor.user_id, &text, &mentions, false, now)
            .await?;
        let (task_id, task_created) = match open {
            Some(task) => (task.id, false),
            None => {
                let fields = TaskFields {
                    title: "Missing documents".to_owned(),
                    description: Some(format!("Collect: {list}")),
                    status: TaskStatus::Todo,
                    assigned_to: primary,
                    due_at: None,
                    template_type: Some(REMINDER_TASK_TYPE.to_owned()),
                };
                let task = tx
                    .tasks()
                    .create(assignment.id, actor.user_id, &fields, now)
                    .await?;
                (task.id, true)
            }
        };
        let entry = ActivityDraft::new(
            "MISSING_DOC_REMINDER",
            actor,
            format!("Missing documents reminded: {list}"),
        )
        .on(assignment.id)
        .with("missing", list.as_str())
        .with("task_id", task_id)
        .with("message_id", posted.id);
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        Ok(Reminder {
            missing: checklist.missing,
            message: posted,
            task_id,
            task_created,
        })
    }

    /// Whether the actor may upload to the assignment (they may see it): asked before an
    /// upload's body is read, so an outsider learns nothing whatever they send.
    pub async fn may_upload(&self, actor: &Actor, assignment_id: i64) -> DomainResult<()> {
        self.assignments
            .load(actor, assignment_id)
            .await
            .map(|_| ())
    }

    /// The documents of an assignment already shown to be visible.
    pub async fn list_visible(&self, seen: Visible<'_>) -> DomainResult<Vec<Document>> {
        self.repo.list(seen.id()).await
    }

    /// The assignment's documents, if the actor may see the assignment.
    pub async fn list(&self, actor: &Actor, assignment_id: i64) -> DomainResult<Vec<Document>> {
        let view = self.assignments.get(actor, assignment_id).await?;
        self.list_visible(view.visible()).await
    }

    pub async fn get(
        &self,
        actor: &Actor,
        assignment_id: i64,
        id: DocumentId,
    ) -> DomainResult<Document> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        self.repo.get(assignment.id, id).await
    }

    /// Streams an uploaded file into storage: the size limit is held while it arrives (413,
    /// nothing kept), its type is sniffed from its first bytes (415, nothing kept), and its
    /// SHA-256 computed on the way. The object is not a document until [`record`](Self::record).
    pub async fn stage(
        &self,
        actor: &Actor,
        assignment_id: i64,
        file_name: &str,
        source: &mut dyn ByteSource,
    ) -> DomainResult<StagedUpload> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        let key = self
            .storage
            .new_key(&format!("assignments/{}", assignment.id));
        stream_in(
            self.storage.as_ref(),
            key,
            assignment.id,
            file_name,
            source,
            self.max_bytes,
        )
        .await
    }

    /// Removes a staged object that will not be recorded.
    pub async fn discard(&self, staged: StagedUpload) {
        // A failed removal leaves an orphan object; the row was never written.
        let _ = self.storage.delete(&staged.key).await;
    }

    /// Records a staged upload as the next version of its category, with the final flag
    /// (exclusive per category) and a trail entry, in one transaction. If that fails the
    /// object is removed, so no object is left without its row.
    pub async fn record(
        &self,
        actor: &Actor,
        staged: StagedUpload,
        form: UploadForm,
    ) -> DomainResult<Document> {
        match self.write_row(actor, &staged, form).await {
            Ok(document) => Ok(document),
            Err(err) => {
                self.discard(staged).await;
                Err(err)
            }
        }
    }

    async fn write_row(
        &self,
        actor: &Actor,
        staged: &StagedUpload,
        form: UploadForm,
    ) -> DomainResult<Document> {
        let category = parse_category(form.category.as_deref())?;
        let is_final = parse_flag(form.is_final.as_deref(), "is_final")?;
        // The assignment may have gone while the file streamed in.
        let assignment = self.assignments.load(actor, staged.assignment_id).await?;
        let now = self.clock.now();
        let new = NewDocument {
            assignment_id: assignment.id,
            uploaded_by: actor.user_id,
            original_name: staged.name.clone(),
            mime_type: staged.mime.to_owned(),
            size: staged.size,
            sha256: staged.sha256.clone(),
            category: category.clone(),
            is_final: false,
            object_key: staged.key.clone(),
        };
        let mut tx = self.work.begin().await?;
        let version = tx
            .documents()
            .next_version(assignment.id, category.as_deref(), now)
            .await?;
        let mut document = tx.documents().insert(&new, version, now).await?;
        if is_final {
            tx.documents().set_final(&document, true, now).await?;
            document.is_final = true;
        }
        let entry = ActivityDraft::new(
            "DOCUMENT_UPLOADED",
            actor,
            format!("Document uploaded: {}", document.original_name),
        )
        .on(assignment.id)
        .with("document_id", document.id.0)
        .with("category", document.category.clone())
        .with("version_number", i64::from(document.version_number))
        .with("is_final", document.is_final)
        .with("size", i64::try_from(document.size).unwrap_or(i64::MAX));
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        Ok(document)
    }

    /// The document and its bytes, recorded in the trail as a download or a view.
    pub async fn open(
        &self,
        actor: &Actor,
        assignment_id: i64,
        id: DocumentId,
        inline: bool,
    ) -> DomainResult<(Document, Box<dyn ByteSource>)> {
        let document = self.get(actor, assignment_id, id).await?;
        refuse_preview(&document, inline)?;
        let reader = self.storage.reader(&document.object_key).await?;
        let (kind, verb) = if inline {
            ("DOCUMENT_VIEWED", "viewed")
        } else {
            ("DOCUMENT_DOWNLOADED", "downloaded")
        };
        let entry = ActivityDraft::new(
            kind,
            actor,
            format!("Document {verb}: {}", document.original_name),
        )
        .on(document.assignment_id)
        .with("document_id", document.id.0);
        let mut tx = self.work.begin().await?;
        tx.record(&[entry], self.clock.now()).await?;
        tx.commit().await?;
        Ok((document, reader))
    }

    /// The document's metadata for a HEAD request (nothing recorded, nothing read).
    pub async fn head(
        &self,
        actor: &Actor,
        assignment_id: i64,
        id: DocumentId,
        inline: bool,
    ) -> DomainResult<Document> {
        let document = self.get(actor, assignment_id, id).await?;
        refuse_preview(&document, inline)?;
        match self.storage.head(&document.object_key).await? {
            Some(_) => Ok(document),
            None => Err(DomainError::NotFound("Stored file")),
        }
    }

    pub async fn set_final(
        &self,
        actor: &Actor,
        assignment_id: i64,
        id: DocumentId,
        is_final: bool,
    ) -> DomainResult<Document> {
        let document = self.get(actor, assignment_id, id).await?;
        let now = self.clock.now();
        let entry = ActivityDraft::new(
            "DOCUMENT_FINAL_FLAGGED",
            actor,
            format!(
                "Document {} final: {}",
                if is_final { "marked" } else { "no longer" },
                document.original_name
            ),
        )
        .on(document.assignment_id)
        .with("document_id", document.id.0)
        .with("is_final", is_final);
        let mut tx = self.work.begin().await?;
        tx.documents().set_final(&document, is_final, now).await?;
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        self.repo.get(document.assignment_id, document.id).await
    }

    pub async fn review(
        &self,
        actor: &Actor,
        assignment_id: i64,
        id: DocumentId,
        status: &str,
        note: Option<String>,
    ) -> DomainResult<Document> {
        let status: ReviewStatus = status
            .parse()
            .map_err(|m| DomainError::invalid("review_status", m))?;
        let note = text::parse_optional(note.as_deref(), NOTE_MAX_CHARS)
            .map_err(|m| DomainError::invalid("note", m))?
            .filter(|n| !n.is_empty());
        let document = self.get(actor, assignment_id, id).await?;
        let now = self.clock.now();
        let review = Review {
            status,
            note,
            by: actor.user_id,
            at: now,
        };
        let entry = ActivityDraft::new(
            "DOCUMENT_REVIEWED",
            actor,
            format!("Document reviewed ({status}): {}", document.original_name),
        )
        .on(document.assignment_id)
        .with("document_id", document.id.0)
        .with("review_status", status.as_str());
        let mut tx = self.work.begin().await?;
        tx.documents().review(document.id, &review).await?;
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        self.repo.get(document.assignment_id, document.id).await
    }

    /// Removes it from the assignment (the uploader or a view-all role); the object is
    /// kept with the row, which is soft-deleted.
    pub async fn delete(
        &self,
        actor: &Actor,
        assignment_id: i64,
        id: DocumentId,
    ) -> DomainResult<()> {
        let document = self.get(actor, assignment_id, id).await?;
        if document.uploaded_by != actor.user_id && !actor.can(Capability::ViewAllAssignments) {
            return Err(DomainError::Forbidden(
                "Only the uploader or a view-all role may delete a document".into(),
            ));
        }
        let now = self.clock.now();
        let entry = ActivityDraft::new(
            "DOCUMENT_DELETED",
            actor,
            format!("Document deleted: {}", document.original_name),
        )
        .on(document.assignment_id)
        .with("document_id", document.id.0);
        let mut tx = self.work.begin().await?;
        tx.documents()
            .delete(document.id, actor.user_id, now)
            .await?;
        tx.record(&[entry], now).await?;
        tx.commit().await
    }
}
