//! Users, sessions, the login throttle and master data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    FullName,
    Phone,
    Roles,
    CapabilityOverrides,
    IsActive,
    LastLoginAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RevokedSessions {
    Table,
    SessionId,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginFailures {
    Table,
    Id,
    Account,
    Address,
    FailedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Banks {
    Table,
    Id,
    Name,
    Code,
    IsActive,
    AccountName,
    AccountNumber,
    Ifsc,
    AccountBankName,
    AccountBranchName,
    UpiId,
    InvoiceNotes,
}

#[derive(DeriveIden, Clone, Copy)]
enum Branches {
    Table,
    Id,
    BankId,
    Name,
    Code,
    City,
    State,
    IsActive,
}

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    Id,
    Name,
    ClientType,
    ContactName,
    ContactPhone,
    ContactEmail,
    IsActive,
}

#[derive(DeriveIden, Clone, Copy)]
enum PropertyTypes {
    Table,
    Id,
    Name,
    Description,
    IsActive,
}

#[derive(DeriveIden, Clone, Copy)]
enum PropertySubtypes {
    Table,
    Id,
    PropertyTypeId,
    Name,
    Description,
    IsActive,
}

#[derive(DeriveIden, Clone, Copy)]
enum CompanyAccounts {
    Table,
    Id,
    BankId,
    AccountName,
    AccountNumber,
    IfscCode,
    BankName,
    BranchName,
    UpiId,
    IsPrimary,
    IsActive,
    Notes,
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarLabels {
    Table,
    Id,
    Name,
    Description,
    DefaultEventType,
    IsActive,
}

/// `created_at` / `updated_at`, UTC, on every entity table.
fn stamped(mut table: TableCreateStatement) -> TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Alias::new("created_at")))
        .col(timestamp_with_time_zone(Alias::new("updated_at")));
    table
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(stamped(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_len(Users::Email, 255))
                .col(string_len(Users::PasswordHash, 255))
                .col(string_len_null(Users::FullName, 255))
                .col(string_len_null(Users::Phone, 50))
                // JSON text: ["ADMIN","HR"], primary role first.
                .col(text(Users::Roles))
                // JSON text: {"capability_key": bool}.
                .col(text(Users::CapabilityOverrides))
                .col(boolean(Users::IsActive).default(true))
                .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                .take(),
        ))
        .await?;
        m.create_index(unique_index("uq_users_email", Users::Table, &["email"]))
            .await?;

        m.create_table(
            Table::create()
                .table(RevokedSessions::Table)
                .col(string_len(RevokedSessions::SessionId, 64).primary_key())
                .col(timestamp_with_time_zone(RevokedSessions::ExpiresAt))
                .col(timestamp_with_time_zone(RevokedSessions::RevokedAt))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_revoked_sessions_expires_at",
            RevokedSessions::Table,
            &["expires_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                .col(big_pk_auto(LoginFailures::Id))
                .col(string_len(LoginFailures::Account, 255))
                .col(string_len(LoginFailures::Address, 64))
                .col(timestamp_with_time_zone(LoginFailures::FailedAt))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_login_failures_account_address",
            LoginFailures::Table,
            &["account", "address", "failed_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_login_failures_address",
            LoginFailures::Table,
            &["address", "failed_at"],
        ))
        .await?;

        m.create_table(stamped(
            Table::create()
                .table(Banks::Table)
                .col(big_pk_auto(Banks::Id))
                .col(string_len(Banks::Name, 255))
                .col(string_len_null(Banks::Code, 50))
                .col(boolean(Banks::IsActive).default(true))
                .col(string_len_null(Banks::AccountName, 255))
                .col(string_len_null(Banks::AccountNumber, 100))
                .col(string_len_null(Banks::Ifsc, 11))
                .col(string_len_null(Banks::AccountBankName, 255))
                .col(string_len_null(Banks::AccountBranchName, 255))
                .col(string_len_null(Banks::UpiId, 255))
                .col(text_null(Banks::InvoiceNotes))
                .take(),
        ))
        .await?;
        m.create_index(unique_index("uq_banks_name", Banks::Table, &["name"]))
            .await?;
        m.create_index(unique_index("uq_banks_code", Banks::Table, &["code"]))
            .await?;

        m.create_table(stamped(
            Table::create()
                .table(Branches::Table)
                .col(big_pk_auto(Branches::Id))
                .col(big_integer(Branches::BankId))
                .col(string_len(Branches::Name, 255))
                .col(string_len_null(Branches::Code, 50))
                .col(string_len_null(Branches::City, 100))
                .col(string_len_null(Branches::State, 100))
                .col(boolean(Branches::IsActive).default(true))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_branches_bank_id_banks")
                        .from(Branches::Table, Branches::BankId)
                        .to(Banks::Table, Banks::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .take(),
        ))
        .await?;
        m.create_index(unique_index(
            "uq_branches_bank_id_name",
            Branches::Table,
            &["bank_id", "name"],
        ))
        .await?;

        m.create_table(stamped(
            Table::create()
                .table(Clients::Table)
                .col(big_pk_auto(Clients::Id))
                .col(string_len(Clients::Name, 255))
                .col(string_len_null(Clients::ClientType, 100))
                .col(string_len_null(Clients::ContactName, 255))
                .col(string_len_null(Clients::ContactPhone, 50))
                .col(string_len_null(Clients::ContactEmail, 255))
                .col(boolean(Clients::IsActive).default(true))
                .take(),
        ))
        .await?;
        m.create_index(unique_index("uq_clients_name", Clients::Table, &["name"]))
            .await?;

        m.create_table(stamped(
            Table::create()
                .table(PropertyTypes::Table)
                .col(big_pk_auto(PropertyTypes::Id))
                .col(string_len(PropertyTypes::Name, 255))
                .col(text_null(PropertyTypes::Description))
                .col(boolean(PropertyTypes::IsActive).default(true))
                .take(),
        ))
        .await?;
        m.create_index(unique_index(
            "uq_property_types_name",
            PropertyTypes::Table,
            &["name"],
        ))
        .await?;

        m.create_table(stamped(
            Table::create()
                .table(PropertySubtypes::Table)
                .col(big_pk_auto(PropertySubtypes::Id))
                .col(big_integer(PropertySubtypes::PropertyTypeId))
                .col(string_len(PropertySubtypes::Name, 255))
                .col(text_null(PropertySubtypes::Description))
                .col(boolean(PropertySubtypes::IsActive).default(true))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_property_subtypes_property_type_id_property_types")
                        .from(PropertySubtypes::Table, PropertySubtypes::PropertyTypeId)
                        .to(PropertyTypes::Table, PropertyTypes::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .take(),
        ))
        .await?;
        m.create_index(unique_index(
            "uq_property_subtypes_property_type_id_name",
            PropertySubtypes::Table,
            &["property_type_id", "name"],
        ))
        .await?;

        m.create_table(stamped(
            Table::create()
                .table(CompanyAccounts::Table)
                .col(big_pk_auto(CompanyAccounts::Id))
                .col(big_integer_null(CompanyAccounts::BankId))
                .col(string_len(CompanyAccounts::AccountName, 255))
                .col(string_len(CompanyAccounts::AccountNumber, 100))
                .col(string_len_null(CompanyAccounts::IfscCode, 11))
                .col(string_len(CompanyAccounts::BankName, 255))
                .col(string_len_null(CompanyAccounts::BranchName, 255))
                .col(string_len_null(CompanyAccounts::UpiId, 255))
                .col(boolean(CompanyAccounts::IsPrimary).default(false))
                .col(boolean(CompanyAccounts::IsActive).default(true))
                .col(text_null(CompanyAccounts::Notes))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_company_accounts_bank_id_banks")
                        .from(CompanyAccounts::Table, CompanyAccounts::BankId)
                        .to(Banks::Table, Banks::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .take(),
        ))
        .await?;
        m.create_index(unique_index(
            "uq_company_accounts_account_number",
            CompanyAccounts::Table,
            &["account_number"],
        ))
        .await?;
        m.create_index(index(
            "ix_company_accounts_bank_id",
            CompanyAccounts::Table,
            &["bank_id"],
        ))
        .await?;

        m.create_table(stamped(
            Table::create()
                .table(CalendarLabels::Table)
                .col(big_pk_auto(CalendarLabels::Id))
                .col(string_len(CalendarLabels::Name, 255))
                .col(text_null(CalendarLabels::Description))
                .col(string_len(CalendarLabels::DefaultEventType, 32))
                .col(boolean(CalendarLabels::IsActive).default(true))
                .take(),
        ))
        .await?;
        m.create_index(unique_index(
            "uq_calendar_labels_name",
            CalendarLabels::Table,
            &["name"],
        ))
        .await?;
        Ok(())
    }
}
