//! Documents on assignments: files kept in object storage, their versions per category,
//! the final flag, review, and what a checklist still misses.
//!
//! # The rules
//!
//! - **Storage**: the object is written first and the row second, so a row never points at
//!   a missing object; a failed upload leaves neither (the object is removed when the row
//!   cannot be written). Object keys are made by the server, never from the file name, and
//!   never appear in a response.
//! - **Limits**: a size limit (configured, 25 MB by default) is enforced while the file
//!   streams in: past it nothing is kept (413). The type is **sniffed from the content**
//!   against an allow-list ([`accept_content`]): PDF, images, office documents, plain text
//!   and CSV (415 otherwise, whatever the name says).
//! - **Names**: the original name is kept for display only, cleaned by
//!   [`sanitize_file_name`] (no directories, no control characters, at most 255 characters).
//! - **Versions**: `version_number` counts uploads per assignment and category (no category
//!   is a category of its own), gap-free under concurrent uploads (a counter row updated in
//!   the upload's transaction).
//! - **Final**: at most one final document per assignment and category.
//! - **Deletion** is soft, by the uploader or a view-all role, and recorded in the trail.

use std::fmt;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::DomainResult;
use crate::named::named_enum;
use crate::user::UserId;

pub mod attachments;
pub mod checklist;
mod service;
pub use service::{
    Checklist, DocumentPorts, DocumentService, REMINDER_TASK_TYPE, Reminder, StagedUpload,
    UploadForm,
};

#[cfg(test)]
mod tests;

/// Uploads are refused past this size unless configured otherwise (25 MB).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;
/// How much of the start of a file the type is sniffed from.
pub const SNIFF_BYTES: usize = 8 * 1024;
/// Longest display name.
pub const NAME_MAX_CHARS: usize = 255;
/// Longest category name.
pub const CATEGORY_MAX_CHARS: usize = 100;
/// Longest review note.
pub const NOTE_MAX_CHARS: usize = 4_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentId(pub i64);

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

named_enum!(
    /// Where a document stands in review.
    ReviewStatus, "review status" {
        Uploaded => "UPLOADED",
        Received => "RECEIVED",
        Reviewed => "REVIEWED",
        Final => "FINAL",
        NeedsClarification => "NEEDS_CLARIFICATION",
        Rejected => "REJECTED",
    }
);

named_enum!(
    /// Who a document is for.
    Visibility, "visibility" {
        InternalOnly => "INTERNAL_ONLY",
        PartnerReleased => "PARTNER_RELEASED",
    }
);

/// Where an object lives in storage. Made by the server; never shown to a caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// A key from its stored text (as the server made it).
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: DocumentId,
    pub assignment_id: i64,
    pub uploaded_by: UserId,
    pub original_name: String,
    pub mime_type: String,
    pub size: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub category: Option<String>,
    pub version_number: u32,
    pub is_final: bool,
    pub review_status: ReviewStatus,
    pub visibility: Visibility,
    pub reviewed_by: Option<UserId>,
    pub reviewed_at: Option<OffsetDateTime>,
    pub review_note: Option<String>,
    pub object_key: ObjectKey,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A document to be recorded once its object is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub assignment_id: i64,
    pub uploaded_by: UserId,
    pub original_name: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: String,
    pub category: Option<String>,
    pub is_final: bool,
    pub object_key: ObjectKey,
}

/// A review decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub status: ReviewStatus,
    pub note: Option<String>,
    pub by: UserId,
    pub at: OffsetDateTime,
}

/// The display name of an uploaded file: the last path component (either separator),
/// without control characters, leading dots or surrounding spaces, at most
/// [`NAME_MAX_CHARS`] characters (the extension kept). Nothing left: `file`.
pub fn sanitize_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_format_character(*c))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .trim()
        .to_owned();
    if cleaned.is_empty() {
        return "file".to_owned();
    }
    if cleaned.chars().count() <= NAME_MAX_CHARS {
        return cleaned;
    }
    // Keep the extension (if short) and cut the stem.
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 10 => {
            (stem.to_owned(), format!(".{ext}"))
        }
        _ => (cleaned.clone(), String::new()),
    };
    let keep = NAME_MAX_CHARS - extension.chars().count();
    let stem: String = stem.chars().take(keep).collect();
    format!("{stem}{extension}")
}

/// Invisible characters that change how a name reads: bidirectional overrides and
/// isolates (`report\u{202E}fdp.exe` shows as `reportexe.pdf`), zero-width characters, the
/// byte-order mark, soft hyphens.
fn is_format_character(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// The types a document may have (MIME type, and the extensions a text file may carry).
pub const ALLOWED_TYPES: [&str; 15] = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/tiff",
    "image/heif",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "text/plain",
    "text/csv",
];

/// Decides a file's type from its first bytes (`head`, up to [`SNIFF_BYTES`]), never from
/// its name alone: a signature the sniffer knows must be on the allow-list; without one,
/// the content must be text (UTF-8 without NUL bytes), which is `text/csv` for a `.csv`
/// name and `text/plain` otherwise. Anything else (an executable, an archive, unknown
/// binary) is refused with the reason.
pub fn accept_content(head: &[u8], name: &str) -> Result<&'static str, String> {
    if head.is_empty() {
        return Err("the file is empty".to_owned());
    }
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        // Old Office files (OLE compound documents) are told apart by their name only.
        let mime = match mime {
            "application/x-ole-storage" | "application/x-cfb" => ole_type(name),
            other => ALLOWED_TYPES.iter().copied().find(|t| *t == other),
        };
        return mime.ok_or_else(|| {
            format!(
                "files of type {} are not accepted (PDF, images, office documents and text are)",
                kind.mime_type()
            )
        });
    }
    if looks_like_text(head) {
        // A script is text too: text is kept only under a name that says text.
        let extension = name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase());
        return match extension.as_deref() {
            Some("csv") => Ok("text/csv"),
            None | Some("txt") => Ok("text/plain"),
            Some(other) => Err(format!(
                "text files are accepted as .txt or .csv, not .{other}"
            )),
        };
    }
    Err("this kind of file is not accepted (PDF, images, office documents and text are)".to_owned())
}

fn ole_type(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".doc") {
        Some("application/msword")
    } else if lower.ends_with(".xls") {
        Some("application/vnd.ms-excel")
    } else if lower.ends_with(".ppt") {
        Some("application/vnd.ms-powerpoint")
    } else {
        None
    }
}

/// Checks, chunk by chunk, that a whole stream is text: UTF-8 (a character may straddle
/// two chunks) without NUL bytes.
#[derive(Debug, Default)]
pub struct TextCheck {
    carry: Vec<u8>,
    broken: bool,
}

impl TextCheck {
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.broken {
            return;
        }
        if chunk.contains(&0) {
            self.broken = true;
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(chunk);
        match std::str::from_utf8(&bytes) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => self.carry = bytes[e.valid_up_to()..].to_vec(),
            Err(_) => self.broken = true,
        }
    }

    /// Whether everything fed was text, to the last character.
    pub fn is_text(&self) -> bool {
        !self.broken && self.carry.is_empty()
    }
}

/// UTF-8 (a character cut at the end of the sniffed window is fine) without NUL bytes.
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// Whether the browser may show it inline (the preview): PDFs, images, text.
pub fn previewable(mime: &str) -> bool {
    mime == "application/pdf" || mime.starts_with("image/") || mime.starts_with("text/")
}

/// Reading documents.
#[async_trait]
pub trait DocumentRepository: Send + Sync {
    /// The assignment's documents that are not deleted, newest first.
    async fn list(&self, assignment_id: i64) -> DomainResult<Vec<Document>>;
    /// `NotFound("Document")` when missing, deleted, or on another assignment.
    async fn get(&self, assignment_id: i64, id: DocumentId) -> DomainResult<Document>;
    /// The categories of the documents (not deleted) of these assignments, each
    /// (assignment, category) once.
    async fn present_categories(&self, assignment_ids: &[i64]) -> DomainResult<Vec<(i64, String)>>;
}

/// Writing documents inside a transaction.
#[async_trait]
pub trait DocumentStore: Send {
    /// The next version number of the assignment's category (gap-free: the counter moves
    /// only if the transaction commits).
    async fn next_version(
        &mut self,
        assignment_id: i64,
        category: Option<&str>,
        at: OffsetDateTime,
    ) -> DomainResult<u32>;
    async fn insert(
        &mut self,
        new: &NewDocument,
        version: u32,
        at: OffsetDateTime,
    ) -> DomainResult<Document>;
    /// Sets the final flag; setting it clears it on the category's other documents.
    async fn set_final(
        &mut self,
        document: &Document,
        is_final: bool,
        at: OffsetDateTime,
    ) -> DomainResult<()>;
    async fn review(&mut self, id: DocumentId, review: &Review) -> DomainResult<()>;
    async fn insert_attachment(
        &mut self,
        new: &attachments::NewAttachment,
        at: OffsetDateTime,
    ) -> DomainResult<attachments::Attachment>;
    /// Soft-deletes an invoice attachment (`NotFound("Attachment")` when already gone).
    async fn delete_attachment(
        &mut self,
        id: i64,
        by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<()>;
    /// Soft-deletes it (`NotFound("Document")` when already gone).
    async fn delete(&mut self, id: DocumentId, by: UserId, at: OffsetDateTime) -> DomainResult<()>;
}

/// A file's bytes as they arrive: from an upload, or from storage.
#[async_trait]
pub trait ByteSource: Send {
    /// The next chunk, or `None` at the end.
    async fn next_chunk(&mut self) -> Option<DomainResult<Vec<u8>>>;
}

/// A small file already in memory (generated files, tests), as one chunk.
pub struct InMemory(Option<Vec<u8>>);

impl InMemory {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Some(bytes))
    }
}

#[async_trait]
impl ByteSource for InMemory {
    async fn next_chunk(&mut self) -> Option<DomainResult<Vec<u8>>> {
        self.0.take().map(Ok)
    }
}

/// An object being written; nothing is visible until [`finish`](Self::finish).
#[async_trait]
pub trait ObjectWriter: Send {
    async fn write(&mut self, chunk: Vec<u8>) -> DomainResult<()>;
    async fn finish(self: Box<Self>) -> DomainResult<()>;
    /// Drops what was written.
    async fn abort(self: Box<Self>);
}

/// Where document content lives (a directory, an S3 bucket).
#[async_trait]
pub trait ObjectStorage: Send + Sync {
    /// A fresh key for a new object under `scope` (`assignments/12`; server-made, random).
    fn new_key(&self, scope: &str) -> ObjectKey;
    async fn writer(&self, key: &ObjectKey) -> DomainResult<Box<dyn ObjectWriter>>;
    /// The object's bytes, streamed; `NotFound("Stored file")` when it is missing.
    async fn reader(&self, key: &ObjectKey) -> DomainResult<Box<dyn ByteSource>>;
    /// Its size, or `None` when it does not exist.
    async fn head(&self, key: &ObjectKey) -> DomainResult<Option<u64>>;
    /// Removes it (missing is fine).
    async fn delete(&self, key: &ObjectKey) -> DomainResult<()>;
}
