//! Documents: rows in the database, content in object storage (`object_store`: the local
//! file system by default, any S3-compatible store by configuration).

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Value};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use time::OffsetDateTime;
use zenops_domain::document::attachments::{Attachment, AttachmentRepository, NewAttachment};
use zenops_domain::document::{
    ByteSource, Document, DocumentId, DocumentRepository, NewDocument, ObjectKey, ObjectStorage,
    ObjectWriter, Review, ReviewStatus, Visibility,
};
use zenops_domain::invoice::InvoiceId;
use zenops_domain::user::UserId;
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::db::stored_time_on;
use crate::entity::{assignment_documents, invoice_attachments};
use crate::error::unexpected;
use crate::sql::statement_on;

use assignment_documents::Column as C;

pub struct SeaDocumentRepository {
    db: Database,
}

impl SeaDocumentRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn to_document(row: assignment_documents::Model) -> DomainResult<Document> {
    let corrupt =
        || DomainError::unexpected(format!("document {}: stored data is invalid", row.id));
    Ok(Document {
        id: DocumentId(row.id),
        assignment_id: row.assignment_id,
        uploaded_by: UserId(row.uploaded_by_user_id),
        original_name: row.original_name,
        mime_type: row.mime_type,
        size: u64::try_from(row.size).map_err(|_| corrupt())?,
        sha256: row.sha256,
        category: row.category,
        version_number: u32::try_from(row.version_number).map_err(|_| corrupt())?,
        is_final: row.is_final,
        review_status: row.review_status.parse().map_err(|_| corrupt())?,
        visibility: row.visibility.parse().map_err(|_| corrupt())?,
        reviewed_by: row.reviewed_by_user_id.map(UserId),
        reviewed_at: row.reviewed_at,
        review_note: row.review_note,
        object_key: ObjectKey::new(row.object_key),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

#[async_trait]
impl DocumentRepository for SeaDocumentRepository {
    async fn list(&self, assignment_id: i64) -> DomainResult<Vec<Document>> {
        assignment_documents::Entity::find()
            .filter(C::AssignmentId.eq(assignment_id))
            .filter(C::DeletedAt.is_null())
            .order_by_desc(C::CreatedAt)
            .order_by_desc(C::Id)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_document)
            .collect()
    }

    async fn present_categories(&self, assignment_ids: &[i64]) -> DomainResult<Vec<(i64, String)>> {
        if assignment_ids.is_empty() {
            return Ok(Vec::new());
        }
        assignment_documents::Entity::find()
            .select_only()
            .column(C::AssignmentId)
            .column(C::Category)
            .distinct()
            .filter(C::AssignmentId.is_in(assignment_ids.iter().copied()))
            .filter(C::DeletedAt.is_null())
            .filter(C::Category.is_not_null())
            .into_tuple::<(i64, String)>()
            .all(&self.db.conn)
            .await
            .map_err(unexpected)
    }

    async fn get(&self, assignment_id: i64, id: DocumentId) -> DomainResult<Document> {
        let row = assignment_documents::Entity::find_by_id(id.0)
            .filter(C::AssignmentId.eq(assignment_id))
            .filter(C::DeletedAt.is_null())
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Document"))?;
        to_document(row)
    }
}

/// The counter's key for a category: its lower case (categories are compared without
/// regard to case, as the checklist does); `''` stands for none.
fn counter_category(category: Option<&str>) -> String {
    category.unwrap_or_default().trim().to_lowercase()
}

/// [`zenops_domain::document::DocumentStore::next_version`] inside `txn`: one statement
/// that creates or moves the counter and returns it (its row stays locked until commit).
pub(crate) async fn next_version_in(
    txn: &DatabaseTransaction,
    assignment_id: i64,
    category: Option<&str>,
) -> DomainResult<u32> {
    let backend = txn.get_database_backend();
    let sql = "INSERT INTO document_version_counters (assignment_id, category, last_version) \
               VALUES (?, ?, 1) ON CONFLICT (assignment_id, category) DO UPDATE \
               SET last_version = document_version_counters.last_version + 1 \
               RETURNING last_version";
    let values: Vec<Value> = vec![assignment_id.into(), counter_category(category).into()];
    let row = txn
        .query_one_raw(statement_on(backend, sql, values))
        .await
        .map_err(unexpected)?
        .ok_or_else(|| DomainError::unexpected("the version counter returned nothing"))?;
    let last: i32 = row.try_get("", "last_version").map_err(unexpected)?;
    u32::try_from(last).map_err(DomainError::unexpected)
}

pub(crate) async fn insert_in(
    txn: &DatabaseTransaction,
    new: &NewDocument,
    version: u32,
    at: OffsetDateTime,
) -> DomainResult<Document> {
    let backend = txn.get_database_backend();
    let row = assignment_documents::ActiveModel {
        assignment_id: Set(new.assignment_id),
        uploaded_by_user_id: Set(new.uploaded_by.0),
        original_name: Set(new.original_name.clone()),
        object_key: Set(new.object_key.as_str().to_owned()),
        mime_type: Set(new.mime_type.clone()),
        size: Set(i64::try_from(new.size).map_err(DomainError::unexpected)?),
        sha256: Set(new.sha256.clone()),
        category: Set(new.category.clone()),
        version_number: Set(i32::try_from(version).map_err(DomainError::unexpected)?),
        is_final: Set(false),
        review_status: Set(ReviewStatus::Received.as_str().to_owned()),
        visibility: Set(Visibility::InternalOnly.as_str().to_owned()),
        created_at: Set(stored_time_on(backend, at)),
        updated_at: Set(stored_time_on(backend, at)),
        ..Default::default()
    };
    to_document(row.insert(txn).await.map_err(unexpected)?)
}

/// Sets the final flag. The category's counter row is locked first, so two documents of
/// one category flagged at once are flagged one after the other and one stays final.
pub(crate) async fn set_final_in(
    txn: &DatabaseTransaction,
    document: &Document,
    is_final: bool,
    at: OffsetDateTime,
) -> DomainResult<()> {
    let backend = txn.get_database_backend();
    let lock = "UPDATE document_version_counters SET last_version = last_version \
                WHERE assignment_id = ? AND category = ?";
    txn.execute_raw(statement_on(
        backend,
        lock,
        vec![
            document.assignment_id.into(),
            counter_category(document.category.as_deref()).into(),
        ],
    ))
    .await
    .map_err(unexpected)?;
    let now = stored_time_on(backend, at);
    if is_final {
        let same_category = match &document.category {
            Some(category) => {
                Expr::expr(Func::lower(Expr::col(C::Category))).eq(category.trim().to_lowercase())
            }
            None => C::Category.is_null(),
        };
        assignment_documents::Entity::update_many()
            .col_expr(C::IsFinal, Expr::value(false))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::AssignmentId.eq(document.assignment_id))
            .filter(same_category)
            .filter(C::IsFinal.eq(true))
            .filter(C::Id.ne(document.id.0))
            .exec(txn)
            .await
            .map_err(unexpected)?;
    }
    let updated = assignment_documents::Entity::update_many()
        .col_expr(C::IsFinal, Expr::value(is_final))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(document.id.0))
        .filter(C::DeletedAt.is_null())
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if updated.rows_affected == 0 {
        return Err(DomainError::NotFound("Document"));
    }
    Ok(())
}

pub(crate) async fn review_in(
    txn: &DatabaseTransaction,
    id: DocumentId,
    review: &Review,
) -> DomainResult<()> {
    let backend = txn.get_database_backend();
    let at = stored_time_on(backend, review.at);
    let updated = assignment_documents::Entity::update_many()
        .col_expr(C::ReviewStatus, Expr::value(review.status.as_str()))
        .col_expr(C::ReviewNote, Expr::value(review.note.clone()))
        .col_expr(C::ReviewedByUserId, Expr::value(review.by.0))
        .col_expr(C::ReviewedAt, Expr::value(at))
        .col_expr(C::UpdatedAt, Expr::value(at))
        .filter(C::Id.eq(id.0))
        .filter(C::DeletedAt.is_null())
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if updated.rows_affected == 0 {
        return Err(DomainError::NotFound("Document"));
    }
    Ok(())
}

pub(crate) async fn delete_in(
    txn: &DatabaseTransaction,
    id: DocumentId,
    by: UserId,
    at: OffsetDateTime,
) -> DomainResult<()> {
    let at = stored_time_on(txn.get_database_backend(), at);
    let updated = assignment_documents::Entity::update_many()
        .col_expr(C::DeletedAt, Expr::value(at))
        .col_expr(C::DeletedByUserId, Expr::value(by.0))
        .col_expr(C::IsFinal, Expr::value(false))
        .col_expr(C::UpdatedAt, Expr::value(at))
        .filter(C::Id.eq(id.0))
        .filter(C::DeletedAt.is_null())
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if updated.rows_affected == 0 {
        return Err(DomainError::NotFound("Document"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Invoice attachments

pub struct SeaAttachmentRepository {
    db: Database,
}

impl SeaAttachmentRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn to_attachment(row: invoice_attachments::Model) -> DomainResult<Attachment> {
    let corrupt =
        || DomainError::unexpected(format!("attachment {}: stored data is invalid", row.id));
    Ok(Attachment {
        id: row.id,
        invoice_id: InvoiceId(row.invoice_id),
        uploaded_by: UserId(row.uploaded_by_user_id),
        original_name: row.original_name,
        mime_type: row.mime_type,
        size: u64::try_from(row.size).map_err(|_| corrupt())?,
        sha256: row.sha256,
        category: row.category,
        object_key: ObjectKey::new(row.object_key),
        created_at: row.created_at,
    })
}

#[async_trait]
impl AttachmentRepository for SeaAttachmentRepository {
    async fn list(&self, invoice: InvoiceId) -> DomainResult<Vec<Attachment>> {
        use invoice_attachments::Column as A;
        invoice_attachments::Entity::find()
            .filter(A::InvoiceId.eq(invoice.0))
            .filter(A::DeletedAt.is_null())
            .order_by_asc(A::Id)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_attachment)
            .collect()
    }

    async fn get(&self, invoice: InvoiceId, id: i64) -> DomainResult<Attachment> {
        use invoice_attachments::Column as A;
        let row = invoice_attachments::Entity::find_by_id(id)
            .filter(A::InvoiceId.eq(invoice.0))
            .filter(A::DeletedAt.is_null())
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Attachment"))?;
        to_attachment(row)
    }
}

pub(crate) async fn insert_attachment_in(
    txn: &DatabaseTransaction,
    new: &NewAttachment,
    at: OffsetDateTime,
) -> DomainResult<Attachment> {
    let row = invoice_attachments::ActiveModel {
        invoice_id: Set(new.invoice_id.0),
        uploaded_by_user_id: Set(new.uploaded_by.0),
        original_name: Set(new.original_name.clone()),
        object_key: Set(new.object_key.as_str().to_owned()),
        mime_type: Set(new.mime_type.clone()),
        size: Set(i64::try_from(new.size).map_err(DomainError::unexpected)?),
        sha256: Set(new.sha256.clone()),
        category: Set(new.category.clone()),
        created_at: Set(stored_time_on(txn.get_database_backend(), at)),
        ..Default::default()
    };
    to_attachment(row.insert(txn).await.map_err(unexpected)?)
}

pub(crate) async fn delete_attachment_in(
    txn: &DatabaseTransaction,
    id: i64,
    by: UserId,
    at: OffsetDateTime,
) -> DomainResult<()> {
    use invoice_attachments::Column as A;
    let at = stored_time_on(txn.get_database_backend(), at);
    let updated = invoice_attachments::Entity::update_many()
        .col_expr(A::DeletedAt, Expr::value(at))
        .col_expr(A::DeletedByUserId, Expr::value(by.0))
        .filter(A::Id.eq(id))
        .filter(A::DeletedAt.is_null())
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if updated.rows_affected == 0 {
        return Err(DomainError::NotFound("Attachment"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Object storage

/// Makes ring the process's TLS provider (for the S3 client and any other rustls user);
/// a provider installed before is kept.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Document content in an `object_store` store: a directory or an S3-compatible bucket.
pub struct StoreStorage {
    store: Arc<dyn ObjectStore>,
    /// Bytes buffered into each part of a streamed write: S3 wants at least 5 MiB per part
    /// (but the last); a directory takes any size, so its parts are small.
    part_bytes: usize,
}

/// Parts of writes to a directory.
const LOCAL_PART_BYTES: usize = 1024 * 1024;
/// Parts of writes to S3: its smallest part size.
const S3_PART_BYTES: usize = 5 * 1024 * 1024;

impl StoreStorage {
    /// Objects under `dir` on the local file system (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
        Ok(Self {
            store: Arc::new(store),
            part_bytes: LOCAL_PART_BYTES,
        })
    }

    /// Objects in an S3-compatible bucket, `s3://bucket[/prefix]`, with the usual AWS
    /// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, and
    /// `AWS_ENDPOINT_URL` for MinIO, R2 and other S3-compatible servers; `AWS_ALLOW_HTTP=true`
    /// for one without TLS).
    pub fn s3(url: &str) -> Result<Self, String> {
        install_tls_provider();
        let (bucket_url, prefix) = split_prefix(url);
        // `from_env` reads the AWS variables, `AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP`
        // (plain HTTP only when that says so).
        let builder = object_store::aws::AmazonS3Builder::from_env().with_url(bucket_url);
        let store = builder
            .build()
            .map_err(|e| format!("cannot use {url}: {e}"))?;
        let store: Arc<dyn ObjectStore> = match prefix {
            Some(prefix) => Arc::new(object_store::prefix::PrefixStore::new(store, prefix)),
            None => Arc::new(store),
        };
        Ok(Self {
            store,
            part_bytes: S3_PART_BYTES,
        })
    }
}

/// `s3://bucket/some/prefix` → (`s3://bucket`, `some/prefix`).
fn split_prefix(url: &str) -> (String, Option<String>) {
    let rest = url.trim_end_matches('/');
    match rest.strip_prefix("s3://").and_then(|r| r.split_once('/')) {
        Some((bucket, prefix)) if !prefix.is_empty() => {
            (format!("s3://{bucket}"), Some(prefix.to_owned()))
        }
        _ => (rest.to_owned(), None),
    }
}

fn path_of(key: &ObjectKey) -> DomainResult<StorePath> {
    StorePath::parse(key.as_str()).map_err(DomainError::unexpected)
}

struct StoreWriter {
    upload: WriteMultipart,
}

#[async_trait]
impl ObjectWriter for StoreWriter {
    async fn write(&mut self, chunk: Vec<u8>) -> DomainResult<()> {
        // Back-pressure: one part in flight while the next fills, so an upload holds at
        // most about two parts in memory however large the file.
        self.upload
            .wait_for_capacity(1)
            .await
            .map_err(DomainError::unexpected)?;
        self.upload.write(&chunk);
        Ok(())
    }

    async fn finish(self: Box<Self>) -> DomainResult<()> {
        self.upload
            .finish()
            .await
            .map_err(DomainError::unexpected)?;
        Ok(())
    }

    async fn abort(self: Box<Self>) {
        // Nothing was made visible; a part left behind by a failed abort is unreachable.
        let _ = self.upload.abort().await;
    }
}

struct StoreReader {
    stream: BoxStream<'static, object_store::Result<bytes::Bytes>>,
}

#[async_trait]
impl ByteSource for StoreReader {
    async fn next_chunk(&mut self) -> Option<DomainResult<Vec<u8>>> {
        self.stream
            .next()
            .await
            .map(|chunk| chunk.map(|b| b.to_vec()).map_err(DomainError::unexpected))
    }
}

#[async_trait]
impl ObjectStorage for StoreStorage {
    fn new_key(&self, scope: &str) -> ObjectKey {
        let mut bytes = [0u8; 16];
        // Without randomness the key still differs by time; never from the file name.
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
            bytes = nanos.to_le_bytes();
        }
        ObjectKey::new(format!("{scope}/{}", crate::hex(&bytes)))
    }

    async fn writer(&self, key: &ObjectKey) -> DomainResult<Box<dyn ObjectWriter>> {
        let upload = self
            .store
            .put_multipart(&path_of(key)?)
            .await
            .map_err(DomainError::unexpected)?;
        Ok(Box::new(StoreWriter {
            upload: WriteMultipart::new_with_chunk_size(upload, self.part_bytes),
        }))
    }

    async fn reader(&self, key: &ObjectKey) -> DomainResult<Box<dyn ByteSource>> {
        match self.store.get(&path_of(key)?).await {
            Ok(result) => Ok(Box::new(StoreReader {
                stream: result.into_stream(),
            })),
            Err(object_store::Error::NotFound { .. }) => Err(DomainError::NotFound("Stored file")),
            Err(other) => Err(DomainError::unexpected(other)),
        }
    }

    async fn head(&self, key: &ObjectKey) -> DomainResult<Option<u64>> {
        match self.store.head(&path_of(key)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(DomainError::unexpected(other)),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> DomainResult<()> {
        match self.store.delete(&path_of(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => {
                // Callers clean up after a failure of their own and cannot do more: say
                // which object is left behind.
                tracing::warn!(key = key.as_str(), error = %other, "could not remove a stored object");
                Err(DomainError::unexpected(other))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_url_splits_into_bucket_and_prefix() {
        assert_eq!(
            split_prefix("s3://docs/zenops/prod/"),
            ("s3://docs".to_owned(), Some("zenops/prod".to_owned()))
        );
        assert_eq!(split_prefix("s3://docs"), ("s3://docs".to_owned(), None));
    }
}
