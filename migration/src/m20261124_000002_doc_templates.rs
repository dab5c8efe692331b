//! Document checklist rules (master data).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum DocTemplates {
    Table,
    Id,
    BankId,
    BranchId,
    PropertyTypeId,
    PropertySubtypeId,
    CaseType,
    Category,
    Required,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Banks {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Branches {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PropertyTypes {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PropertySubtypes {
    Table,
    Id,
}

fn reference(
    name: &str,
    column: DocTemplates,
    table: impl IntoIden,
    id: impl IntoIden,
) -> ForeignKeyCreateStatement {
    fk(
        name,
        DocTemplates::Table,
        column,
        table,
        id,
        ForeignKeyAction::Restrict,
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DocTemplates::Table)
                .col(big_pk_auto(DocTemplates::Id))
                .col(big_integer_null(DocTemplates::BankId))
                .col(big_integer_null(DocTemplates::BranchId))
                .col(big_integer_null(DocTemplates::PropertyTypeId))
                .col(big_integer_null(DocTemplates::PropertySubtypeId))
                .col(string_len_null(DocTemplates::CaseType, 32))
                .col(string_len(DocTemplates::Category, 100))
                .col(boolean(DocTemplates::Required).default(true))
                .col(text_null(DocTemplates::Notes))
                .col(timestamp_with_time_zone(DocTemplates::CreatedAt))
                .col(timestamp_with_time_zone(DocTemplates::UpdatedAt))
                .foreign_key(&mut reference(
                    "fk_doc_templates_bank_id_banks",
                    DocTemplates::BankId,
                    Banks::Table,
                    Banks::Id,
                ))
                .foreign_key(&mut reference(
                    "fk_doc_templates_branch_id_branches",
                    DocTemplates::BranchId,
                    Branches::Table,
                    Branches::Id,
                ))
                .foreign_key(&mut reference(
                    "fk_doc_templates_property_type_id_property_types",
                    DocTemplates::PropertyTypeId,
                    PropertyTypes::Table,
                    PropertyTypes::Id,
                ))
                .foreign_key(&mut reference(
                    "fk_doc_templates_property_subtype_id_property_subtypes",
                    DocTemplates::PropertySubtypeId,
                    PropertySubtypes::Table,
                    PropertySubtypes::Id,
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_doc_templates_category")
                .table(DocTemplates::Table)
                .col(DocTemplates::Category)
                .take(),
        )
        .await
    }
}
