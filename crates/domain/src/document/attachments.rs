//! Files attached to invoices (a signed copy, a bank's acknowledgement): the same storage
//! and rules as documents (streamed, size limit, sniffed type, checksum, clean names,
//! object first and row second), seen by those who see the invoice and changed by those
//! who may modify invoices.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::service::{StagedUpload, stream_in};
use super::{ByteSource, CATEGORY_MAX_CHARS, ObjectKey, ObjectStorage};
use crate::access::{Actor, Capability};
use crate::activity::{ActivityDraft, PayloadValue};
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult};
use crate::invoice::{InvoiceId, InvoiceService};
use crate::text;
use crate::user::UserId;
use crate::work::UnitOfWork;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub invoice_id: InvoiceId,
    pub uploaded_by: UserId,
    pub original_name: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: String,
    pub category: Option<String>,
    pub object_key: ObjectKey,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub invoice_id: InvoiceId,
    pub uploaded_by: UserId,
    pub original_name: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: String,
    pub category: Option<String>,
    pub object_key: ObjectKey,
}

#[async_trait]
pub trait AttachmentRepository: Send + Sync {
    /// The invoice's attachments that are not deleted, oldest first.
    async fn list(&self, invoice: InvoiceId) -> DomainResult<Vec<Attachment>>;
    /// `NotFound("Attachment")` when missing, deleted or on another invoice.
    async fn get(&self, invoice: InvoiceId, id: i64) -> DomainResult<Attachment>;
}

/// What the invoice's audit trail says about an attachment.
fn trail_of(attachment: &Attachment) -> [(&'static str, PayloadValue); 2] {
    [
        ("attachment_id", attachment.id.into()),
        ("original_name", attachment.original_name.as_str().into()),
    ]
}

#[derive(Clone)]
pub struct AttachmentService {
    repo: Arc<dyn AttachmentRepository>,
    storage: Arc<dyn ObjectStorage>,
    work: Arc<dyn UnitOfWork>,
    invoices: InvoiceService,
    clock: Arc<dyn Clock>,
    max_bytes: u64,
}

impl AttachmentService {
    pub fn new(
        repo: Arc<dyn AttachmentRepository>,
        storage: Arc<dyn ObjectStorage>,
        work: Arc<dyn UnitOfWork>,
        invoices: InvoiceService,
        clock: Arc<dyn Clock>,
        max_bytes: u64,
    ) -> Self {
        Self {
            repo,
            storage,
            work,
            invoices,
            clock,
            max_bytes,
        }
    }

    /// The invoice's assignment, if the actor may see the invoice.
    async fn assignment_of(&self, actor: &Actor, invoice: InvoiceId) -> DomainResult<i64> {
        let detail = self.invoices.get(actor, invoice).await?;
        Ok(detail.invoice.record().assignment_id)
    }

    /// Whether the actor may attach files to the invoice (`modify_invoice`, and they see
    /// it): asked before an upload's body is read.
    pub async fn may_upload(&self, actor: &Actor, invoice: InvoiceId) -> DomainResult<()> {
        actor.require(Capability::ModifyInvoice)?;
        self.assignment_of(actor, invoice).await.map(|_| ())
    }

    pub async fn list(&self, actor: &Actor, invoice: InvoiceId) -> DomainResult<Vec<Attachment>> {
        self.assignment_of(actor, invoice).await?;
        self.repo.list(invoice).await
    }

    /// Streams a file for the invoice into storage (see documents); `modify_invoice`.
    pub async fn stage(
        &self,
        actor: &Actor,
        invoice: InvoiceId,
        file_name: &str,
        source: &mut dyn ByteSource,
    ) -> DomainResult<StagedUpload> {
        self.may_upload(actor, invoice).await?;
        let key = self.storage.new_key(&format!("invoices/{}", invoice.0));
        stream_in(
            self.storage.as_ref(),
            key,
            invoice.0,
            file_name,
            source,
            self.max_bytes,
        )
        .await
    }

    pub async fn discard(&self, staged: StagedUpload) {
        let _ = self.storage.delete(staged.key()).await;
    }

    /// Records a staged file as an attachment of its invoice, with a trail entry; on
    /// failure the object is removed.
    pub async fn record(
        &self,
        actor: &Actor,
        staged: StagedUpload,
        category: Option<String>,
    ) -> DomainResult<Attachment> {
        match self.write_row(actor, &staged, category).await {
            Ok(attachment) => Ok(attachment),
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
        category: Option<String>,
    ) -> DomainResult<Attachment> {
        let category = text::parse_optional(category.as_deref(), CATEGORY_MAX_CHARS)
            .map_err(|m| DomainError::invalid("category", m))?
            .filter(|c| !c.is_empty());
        let invoice = InvoiceId(staged.owner());
        let assignment = self.assignment_of(actor, invoice).await?;
        let new = NewAttachment {
            invoice_id: invoice,
            uploaded_by: actor.user_id,
            original_name: staged.name().to_owned(),
            mime_type: staged.mime().to_owned(),
            size: staged.size(),
            sha256: staged.sha256().to_owned(),
            category,
            object_key: staged.key().clone(),
        };
        let now = self.clock.now();
        let mut tx = self.work.begin().await?;
        let attachment = tx.documents().insert_attachment(&new, now).await?;
        // The invoice's own audit trail (the drawer's) has it too.
        tx.invoices()
            .audit(
                invoice,
                "attachment_added",
                actor.user_id,
                &trail_of(&attachment),
                now,
            )
            .await?;
        let entry = ActivityDraft::new(
            "INVOICE_ATTACHMENT_ADDED",
            actor,
            format!("Invoice attachment added: {}", attachment.original_name),
        )
        .on(assignment)
        .with("invoice_id", invoice.0)
        .with("attachment_id", attachment.id);
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        Ok(attachment)
    }

    /// The attachment and its bytes; the download is in the trail.
    pub async fn open(
        &self,
        actor: &Actor,
        invoice: InvoiceId,
        id: i64,
    ) -> DomainResult<(Attachment, Box<dyn ByteSource>)> {
        let assignment = self.assignment_of(actor, invoice).await?;
        let attachment = self.repo.get(invoice, id).await?;
        let reader = self.storage.reader(&attachment.object_key).await?;
        let entry = ActivityDraft::new(
            "INVOICE_ATTACHMENT_DOWNLOADED",
            actor,
            format!(
                "Invoice attachment downloaded: {}",
                attachment.original_name
            ),
        )
        .on(assignment)
        .with("invoice_id", invoice.0)
        .with("attachment_id", attachment.id);
        let mut tx = self.work.begin().await?;
        tx.record(&[entry], self.clock.now()).await?;
        tx.commit().await?;
        Ok((attachment, reader))
    }

    /// Removes it (`modify_invoice`); the row is soft-deleted.
    pub async fn delete(&self, actor: &Actor, invoice: InvoiceId, id: i64) -> DomainResult<()> {
        actor.require(Capability::ModifyInvoice)?;
        let assignment = self.assignment_of(actor, invoice).await?;
        let attachment = self.repo.get(invoice, id).await?;
        let now = self.clock.now();
        let entry = ActivityDraft::new(
            "INVOICE_ATTACHMENT_DELETED",
            actor,
            format!("Invoice attachment deleted: {}", attachment.original_name),
        )
        .on(assignment)
        .with("invoice_id", invoice.0)
        .with("attachment_id", attachment.id);
        let mut tx = self.work.begin().await?;
        tx.documents()
            .delete_attachment(attachment.id, actor.user_id, now)
            .await?;
        tx.invoices()
            .audit(
                invoice,
                "attachment_deleted",
                actor.user_id,
                &trail_of(&attachment),
                now,
            )
            .await?;
        tx.record(&[entry], now).await?;
        tx.commit().await
    }
}
