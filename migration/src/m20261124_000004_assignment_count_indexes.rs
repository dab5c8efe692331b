//! Indexes for the assignment lists: covering indexes so the common filters (open work,
//! a bank's work, a person's work) are counted from an index alone, and a partial index
//! of live work in list order, which PostgreSQL otherwise answers with a full scan and
//! a sort (SQLite's `(deleted_at, created_at)` index already carries the rowid).

use sea_orm_migration::prelude::*;

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Assignments {
    Table,
}

const INDEXES: [(&str, &[&str]); 3] = [
    (
        "ix_assignments_deleted_at_status",
        &["deleted_at", "status"],
    ),
    (
        "ix_assignments_bank_id_deleted_at_status",
        &["bank_id", "deleted_at", "status"],
    ),
    (
        "ix_assignments_assigned_to_user_id_deleted_at_status",
        &["assigned_to_user_id", "deleted_at", "status"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in INDEXES {
            m.create_index(index(name, Assignments::Table, cols))
                .await?;
        }
        // Partial indexes are the same SQL on both databases.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_assignments_live_created_at_id ON assignments (created_at, id) \
                 WHERE deleted_at IS NULL",
            )
            .await?;
        Ok(())
    }
}
