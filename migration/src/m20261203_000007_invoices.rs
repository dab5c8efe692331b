//! Invoicing: the firm's company profile (one row), invoices with their lines, payments,
//! adjustments (credit notes numbered in a series of their own) and audit trail, and the
//! idempotency keys that make retried reminders safe. Amounts
//! are whole paise, rates and quantities hundredths: exact on both databases. The amount
//! columns of an invoice are written from the domain's arithmetic on every change, for
//! the ledger's filters and sums.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveIden, Clone, Copy)]
enum CompanyProfiles {
    Table,
    Id,
    LegalName,
    Tagline,
    Address,
    StateName,
    StateCode,
    Gstin,
    Pan,
    ContactEmail,
    ContactPhone,
    Website,
    DefaultGstRate,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invoices {
    Table,
    Id,
    AssignmentId,
    AssignmentCode,
    SearchText,
    InvoiceNumber,
    Status,
    Stage,
    Currency,
    IssuedDate,
    DueDate,
    TaxRate,
    DiscountPaise,
    SubtotalPaise,
    TaxablePaise,
    TaxPaise,
    TotalPaise,
    PaidPaise,
    CreditedPaise,
    DuePaise,
    IsPaid,
    CgstPaise,
    SgstPaise,
    IgstPaise,
    BillToName,
    BillToAddress,
    BillToGstin,
    PlaceOfSupply,
    Terms,
    Notes,
    CompanyAccountId,
    BankId,
    BranchId,
    ClientId,
    IssuedAt,
    SentAt,
    PaidAt,
    VoidedAt,
    VoidReason,
    VoidedByUserId,
    CreatedByUserId,
    CreatedAt,
    UpdatedAt,
    RowVersion,
}

#[derive(DeriveIden, Clone, Copy)]
enum InvoiceItems {
    Table,
    Id,
    InvoiceId,
    Description,
    Quantity,
    UnitPricePaise,
    TaxRate,
    LineTotalPaise,
    OrderIndex,
}

#[derive(DeriveIden, Clone, Copy)]
enum InvoicePayments {
    Table,
    Id,
    InvoiceId,
    AmountPaise,
    Mode,
    PaidAt,
    ReferenceNo,
    Notes,
    CreatedByUserId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum InvoiceAdjustments {
    Table,
    Id,
    InvoiceId,
    AmountPaise,
    AdjustmentType,
    Reason,
    IssuedAt,
    CreditNoteNumber,
    CreatedByUserId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum InvoiceAuditLogs {
    Table,
    Id,
    InvoiceId,
    EventType,
    ActorUserId,
    DiffJson,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKeys {
    Table,
    Id,
    Key,
    Scope,
    UserId,
    Fingerprint,
    Response,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CreditNoteCounters {
    Table,
    Year,
    LastNumber,
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

#[derive(DeriveIden, Clone, Copy)]
enum CompanyAccounts {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        m.create_table(
            Table::create()
                .table(CompanyProfiles::Table)
                .col(big_pk_auto(CompanyProfiles::Id))
                .col(string_len(CompanyProfiles::LegalName, 255))
                .col(string_len_null(CompanyProfiles::Tagline, 255))
                .col(text_null(CompanyProfiles::Address))
                .col(string_len_null(CompanyProfiles::StateName, 100))
                .col(string_len_null(CompanyProfiles::StateCode, 50))
                .col(string_len_null(CompanyProfiles::Gstin, 50))
                .col(string_len_null(CompanyProfiles::Pan, 50))
                .col(string_len_null(CompanyProfiles::ContactEmail, 255))
                .col(string_len_null(CompanyProfiles::ContactPhone, 50))
                .col(string_len_null(CompanyProfiles::Website, 255))
                .col(integer(CompanyProfiles::DefaultGstRate))
                .col(timestamp_with_time_zone(CompanyProfiles::UpdatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Invoices::Table)
                .col(big_pk_auto(Invoices::Id))
                .col(big_integer(Invoices::AssignmentId))
                // A copy of the assignment's code (it never changes), so the ledger
                // searches it without a join.
                .col(string_len(Invoices::AssignmentCode, 50))
                // The number, the assignment code and the party's name, lowercased in one
                // column: the ledger's search is one LIKE per row.
                .col(text(Invoices::SearchText))
                .col(string_len_null(Invoices::InvoiceNumber, 100))
                .col(string_len(Invoices::Status, 16))
                .col(string_len(Invoices::Stage, 16))
                .col(string_len(Invoices::Currency, 3))
                .col(date(Invoices::IssuedDate))
                .col(date_null(Invoices::DueDate))
                .col(integer(Invoices::TaxRate))
                .col(big_integer(Invoices::DiscountPaise))
                .col(big_integer(Invoices::SubtotalPaise))
                .col(big_integer(Invoices::TaxablePaise))
                .col(big_integer(Invoices::TaxPaise))
                .col(big_integer(Invoices::TotalPaise))
                .col(big_integer(Invoices::PaidPaise))
                .col(big_integer(Invoices::CreditedPaise))
                .col(big_integer(Invoices::DuePaise))
                .col(boolean(Invoices::IsPaid))
                .col(big_integer_null(Invoices::CgstPaise))
                .col(big_integer_null(Invoices::SgstPaise))
                .col(big_integer_null(Invoices::IgstPaise))
                .col(string_len_null(Invoices::BillToName, 255))
                .col(text_null(Invoices::BillToAddress))
                .col(string_len_null(Invoices::BillToGstin, 50))
                .col(string_len_null(Invoices::PlaceOfSupply, 100))
                .col(text_null(Invoices::Terms))
                .col(text_null(Invoices::Notes))
                .col(big_integer_null(Invoices::CompanyAccountId))
                .col(big_integer_null(Invoices::BankId))
                .col(big_integer_null(Invoices::BranchId))
                .col(big_integer_null(Invoices::ClientId))
                .col(timestamp_with_time_zone_null(Invoices::IssuedAt))
                .col(timestamp_with_time_zone_null(Invoices::SentAt))
                .col(timestamp_with_time_zone_null(Invoices::PaidAt))
                .col(timestamp_with_time_zone_null(Invoices::VoidedAt))
                .col(text_null(Invoices::VoidReason))
                .col(big_integer_null(Invoices::VoidedByUserId))
                .col(big_integer(Invoices::CreatedByUserId))
                .col(timestamp_with_time_zone(Invoices::CreatedAt))
                .col(timestamp_with_time_zone(Invoices::UpdatedAt))
                .col(big_integer(Invoices::RowVersion))
                .foreign_key(&mut fk(
                    "fk_invoices_assignment_id_assignments",
                    Invoices::Table,
                    Invoices::AssignmentId,
                    Assignments::Table,
                    Assignments::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_invoices_company_account_id_company_accounts",
                    Invoices::Table,
                    Invoices::CompanyAccountId,
                    CompanyAccounts::Table,
                    CompanyAccounts::Id,
                    SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_invoices_created_by_user_id_users",
                    Invoices::Table,
                    Invoices::CreatedByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_invoices_invoice_number",
            Invoices::Table,
            &["invoice_number"],
        ))
        .await?;
        for (name, cols) in [
            ("ix_invoices_assignment", &["assignment_id"][..]),
            ("ix_invoices_status_due", &["status", "due_date"][..]),
            ("ix_invoices_issued_date", &["issued_date", "id"][..]),
            ("ix_invoices_due_date", &["due_date", "id"][..]),
        ] {
            m.create_index(index(name, Invoices::Table, cols)).await?;
        }
        // One live invoice per assignment, enforced by the database too: a partial
        // unique index (both SQLite and PostgreSQL have them).
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_invoices_one_live_per_assignment \
                 ON invoices (assignment_id) WHERE stage <> 'VOID'",
            )
            .await?;
        m.create_table(
            Table::create()
                .table(InvoiceItems::Table)
                .col(big_pk_auto(InvoiceItems::Id))
                .col(big_integer(InvoiceItems::InvoiceId))
                .col(string_len(InvoiceItems::Description, 255))
                .col(big_integer(InvoiceItems::Quantity))
                .col(big_integer(InvoiceItems::UnitPricePaise))
                .col(integer_null(InvoiceItems::TaxRate))
                .col(big_integer(InvoiceItems::LineTotalPaise))
                .col(integer(InvoiceItems::OrderIndex))
                .foreign_key(&mut fk(
                    "fk_invoice_items_invoice_id_invoices",
                    InvoiceItems::Table,
                    InvoiceItems::InvoiceId,
                    Invoices::Table,
                    Invoices::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_invoice_items_invoice",
            InvoiceItems::Table,
            &["invoice_id", "order_index"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(InvoicePayments::Table)
                .col(big_pk_auto(InvoicePayments::Id))
                .col(big_integer(InvoicePayments::InvoiceId))
                .col(big_integer(InvoicePayments::AmountPaise))
                .col(string_len(InvoicePayments::Mode, 16))
                .col(timestamp_with_time_zone(InvoicePayments::PaidAt))
                .col(string_len_null(InvoicePayments::ReferenceNo, 100))
                .col(text_null(InvoicePayments::Notes))
                .col(big_integer(InvoicePayments::CreatedByUserId))
                .col(timestamp_with_time_zone(InvoicePayments::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_invoice_payments_invoice_id_invoices",
                    InvoicePayments::Table,
                    InvoicePayments::InvoiceId,
                    Invoices::Table,
                    Invoices::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_invoice_payments_invoice",
            InvoicePayments::Table,
            &["invoice_id", "paid_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(InvoiceAdjustments::Table)
                .col(big_pk_auto(InvoiceAdjustments::Id))
                .col(big_integer(InvoiceAdjustments::InvoiceId))
                .col(big_integer(InvoiceAdjustments::AmountPaise))
                .col(string_len(InvoiceAdjustments::AdjustmentType, 16))
                .col(text_null(InvoiceAdjustments::Reason))
                .col(timestamp_with_time_zone(InvoiceAdjustments::IssuedAt))
                .col(string_len_null(InvoiceAdjustments::CreditNoteNumber, 50))
                .col(big_integer(InvoiceAdjustments::CreatedByUserId))
                .col(timestamp_with_time_zone(InvoiceAdjustments::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_invoice_adjustments_invoice_id_invoices",
                    InvoiceAdjustments::Table,
                    InvoiceAdjustments::InvoiceId,
                    Invoices::Table,
                    Invoices::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_invoice_adjustments_invoice",
            InvoiceAdjustments::Table,
            &["invoice_id"],
        ))
        .await?;
        m.create_index(unique_index(
            "ux_invoice_adjustments_credit_note_number",
            InvoiceAdjustments::Table,
            &["credit_note_number"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(InvoiceAuditLogs::Table)
                .col(big_pk_auto(InvoiceAuditLogs::Id))
                .col(big_integer(InvoiceAuditLogs::InvoiceId))
                .col(string_len(InvoiceAuditLogs::EventType, 50))
                .col(big_integer_null(InvoiceAuditLogs::ActorUserId))
                .col(text(InvoiceAuditLogs::DiffJson))
                .col(timestamp_with_time_zone(InvoiceAuditLogs::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_invoice_audit_logs_invoice_id_invoices",
                    InvoiceAuditLogs::Table,
                    InvoiceAuditLogs::InvoiceId,
                    Invoices::Table,
                    Invoices::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_invoice_audit_logs_invoice",
            InvoiceAuditLogs::Table,
            &["invoice_id", "id"],
        ))
        .await?;
        // Reminders are audit entries: counted per sender and per invoice.
        m.create_index(index(
            "ix_invoice_audit_logs_event_actor",
            InvoiceAuditLogs::Table,
            &["event_type", "actor_user_id", "created_at"],
        ))
        .await?;
        // A retried request with the same key gets the first answer again.
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(big_pk_auto(IdempotencyKeys::Id))
                .col(string_len(IdempotencyKeys::Key, 128))
                .col(string_len(IdempotencyKeys::Scope, 64))
                .col(big_integer(IdempotencyKeys::UserId))
                .col(string_len(IdempotencyKeys::Fingerprint, 128))
                .col(text(IdempotencyKeys::Response))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_idempotency_keys_user_id_users",
                    IdempotencyKeys::Table,
                    IdempotencyKeys::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_idempotency_keys_key_scope_user",
            IdempotencyKeys::Table,
            &["key", "scope", "user_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(CreditNoteCounters::Table)
                .col(integer(CreditNoteCounters::Year).primary_key())
                .col(big_integer(CreditNoteCounters::LastNumber))
                .take(),
        )
        .await
    }
}
