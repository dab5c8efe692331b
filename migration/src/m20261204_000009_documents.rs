//! Documents on assignments and attachments of invoices: the rows that point at objects in
//! storage, and the counters that number document versions per assignment and category
//! without gaps.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveIden, Clone, Copy)]
enum AssignmentDocuments {
    Table,
    Id,
    AssignmentId,
    UploadedByUserId,
    OriginalName,
    ObjectKey,
    MimeType,
    Size,
    Sha256,
    Category,
    VersionNumber,
    IsFinal,
    ReviewStatus,
    Visibility,
    ReviewedByUserId,
    ReviewedAt,
    ReviewNote,
    DeletedAt,
    DeletedByUserId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DocumentVersionCounters {
    Table,
    AssignmentId,
    Category,
    LastVersion,
}

#[derive(DeriveIden, Clone, Copy)]
enum InvoiceAttachments {
    Table,
    Id,
    InvoiceId,
    UploadedByUserId,
    OriginalName,
    ObjectKey,
    MimeType,
    Size,
    Sha256,
    Category,
    DeletedAt,
    DeletedByUserId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invoices {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Assignments {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};
        m.create_table(
            Table::create()
                .table(AssignmentDocuments::Table)
                .col(big_pk_auto(AssignmentDocuments::Id))
                .col(big_integer(AssignmentDocuments::AssignmentId))
                .col(big_integer(AssignmentDocuments::UploadedByUserId))
                .col(string_len(AssignmentDocuments::OriginalName, 255))
                .col(string_len(AssignmentDocuments::ObjectKey, 255))
                .col(string_len(AssignmentDocuments::MimeType, 255))
                .col(big_integer(AssignmentDocuments::Size))
                .col(string_len(AssignmentDocuments::Sha256, 64))
                .col(string_len_null(AssignmentDocuments::Category, 100))
                .col(integer(AssignmentDocuments::VersionNumber))
                .col(boolean(AssignmentDocuments::IsFinal).default(false))
                .col(string_len(AssignmentDocuments::ReviewStatus, 32))
                .col(string_len(AssignmentDocuments::Visibility, 32))
                .col(big_integer_null(AssignmentDocuments::ReviewedByUserId))
                .col(timestamp_with_time_zone_null(
                    AssignmentDocuments::ReviewedAt,
                ))
                .col(text_null(AssignmentDocuments::ReviewNote))
                .col(timestamp_with_time_zone_null(
                    AssignmentDocuments::DeletedAt,
                ))
                .col(big_integer_null(AssignmentDocuments::DeletedByUserId))
                .col(timestamp_with_time_zone(AssignmentDocuments::CreatedAt))
                .col(timestamp_with_time_zone(AssignmentDocuments::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_assignment_documents_assignment_id_assignments",
                    AssignmentDocuments::Table,
                    AssignmentDocuments::AssignmentId,
                    Assignments::Table,
                    Assignments::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_assignment_documents_uploaded_by_user_id_users",
                    AssignmentDocuments::Table,
                    AssignmentDocuments::UploadedByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_assignment_documents_reviewed_by_user_id_users",
                    AssignmentDocuments::Table,
                    AssignmentDocuments::ReviewedByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_assignment_documents_deleted_by_user_id_users",
                    AssignmentDocuments::Table,
                    AssignmentDocuments::DeletedByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "uq_assignment_documents_object_key",
            AssignmentDocuments::Table,
            &["object_key"],
        ))
        .await?;
        m.create_index(index(
            "ix_assignment_documents_assignment",
            AssignmentDocuments::Table,
            &["assignment_id", "category", "deleted_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(InvoiceAttachments::Table)
                .col(big_pk_auto(InvoiceAttachments::Id))
                .col(big_integer(InvoiceAttachments::InvoiceId))
                .col(big_integer(InvoiceAttachments::UploadedByUserId))
                .col(string_len(InvoiceAttachments::OriginalName, 255))
                .col(string_len(InvoiceAttachments::ObjectKey, 255))
                .col(string_len(InvoiceAttachments::MimeType, 255))
                .col(big_integer(InvoiceAttachments::Size))
                .col(string_len(InvoiceAttachments::Sha256, 64))
                .col(string_len_null(InvoiceAttachments::Category, 100))
                .col(timestamp_with_time_zone_null(InvoiceAttachments::DeletedAt))
                .col(big_integer_null(InvoiceAttachments::DeletedByUserId))
                .col(timestamp_with_time_zone(InvoiceAttachments::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_invoice_attachments_invoice_id_invoices",
                    InvoiceAttachments::Table,
                    InvoiceAttachments::InvoiceId,
                    Invoices::Table,
                    Invoices::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_invoice_attachments_uploaded_by_user_id_users",
                    InvoiceAttachments::Table,
                    InvoiceAttachments::UploadedByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_invoice_attachments_deleted_by_user_id_users",
                    InvoiceAttachments::Table,
                    InvoiceAttachments::DeletedByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "uq_invoice_attachments_object_key",
            InvoiceAttachments::Table,
            &["object_key"],
        ))
        .await?;
        m.create_index(index(
            "ix_invoice_attachments_invoice",
            InvoiceAttachments::Table,
            &["invoice_id", "deleted_at"],
        ))
        .await?;

        // One row per assignment and category ('' for none): the last version given out.
        m.create_table(
            Table::create()
                .table(DocumentVersionCounters::Table)
                .col(big_integer(DocumentVersionCounters::AssignmentId))
                .col(string_len(DocumentVersionCounters::Category, 100))
                .col(integer(DocumentVersionCounters::LastVersion))
                .primary_key(
                    Index::create()
                        .col(DocumentVersionCounters::AssignmentId)
                        .col(DocumentVersionCounters::Category),
                )
                .foreign_key(&mut fk(
                    "fk_document_version_counters_assignment_id_assignments",
                    DocumentVersionCounters::Table,
                    DocumentVersionCounters::AssignmentId,
                    Assignments::Table,
                    Assignments::Id,
                    Cascade,
                ))
                .take(),
        )
        .await
    }
}

#[derive(DeriveMigrationName)]
pub struct Migration;
