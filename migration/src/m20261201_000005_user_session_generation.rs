//! Ending a user's sessions when their credentials change: a generation on the user row
//! that every token names. Changing or resetting the password, or deactivating the user,
//! moves it on, and tokens of older generations stop working (reactivating does not move
//! it back). `session_kept_id` is the one session that survives a change the user made
//! themself: the one that made it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    SessionGeneration,
    SessionKeptId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(big_integer(Users::SessionGeneration).default(0))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(string_len_null(Users::SessionKeptId, 64))
                .take(),
        )
        .await
    }
}
