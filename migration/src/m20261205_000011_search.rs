//! Substring search served by an index: each assignment gets the lower-cased text the list's
//! `q` looks in (code, borrower, address, bank and client names; `text::search_document`),
//! and that text, like the invoice ledger's, is indexed by trigrams: `pg_trgm`'s GIN on
//! PostgreSQL, an FTS5 table with the trigram tokenizer on SQLite (kept by triggers).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use zenops_domain::text::search_document;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Assignments {
    Table,
    SearchText,
}

/// Rows back-filled per statement.
const BATCH: u64 = 1_000;

/// The FTS5 table over `table.search_text` (external content: it stores only the index)
/// and the triggers that keep it in step with the table.
fn sqlite_index(table: &str) -> Vec<String> {
    let fts = format!("{table}_search");
    vec![
        format!(
            "CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', \
             content_rowid='id', tokenize='trigram')"
        ),
        format!(
            "CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN \
             INSERT INTO {fts} (rowid, search_text) VALUES (new.id, new.search_text); END"
        ),
        format!(
            "CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN \
             INSERT INTO {fts} ({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END"
        ),
        format!(
            "CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} \
             WHEN old.search_text IS NOT new.search_text BEGIN \
             INSERT INTO {fts} ({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); \
             INSERT INTO {fts} (rowid, search_text) VALUES (new.id, new.search_text); END"
        ),
        format!("INSERT INTO {fts} ({fts}) VALUES ('rebuild')"),
    ]
}

/// Fills `search_text` of the assignments that existed before this migration.
async fn back_fill(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let backend = db.get_database_backend();
    let mut after = 0_i64;
    loop {
        let select = Statement::from_sql_and_values(
            backend,
            match backend {
                DbBackend::Postgres => {
                    "SELECT id, assignment_code, borrower_name, address, bank_name, valuer_client_name \
                     FROM assignments WHERE id > $1 ORDER BY id LIMIT $2"
                }
                _ => {
                    "SELECT id, assignment_code, borrower_name, address, bank_name, valuer_client_name \
                     FROM assignments WHERE id > ? ORDER BY id LIMIT ?"
                }
            },
            [Value::from(after), Value::from(BATCH as i64)],
        );
        let rows = db.query_all_raw(select).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get("", "id")?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let code: String = row.try_get("", "assignment_code")?;
            let mut parts = vec![code];
            for column in [
                "borrower_name",
                "address",
                "bank_name",
                "valuer_client_name",
            ] {
                let part: Option<String> = row.try_get("", column)?;
                parts.push(part.unwrap_or_default());
            }
            let text = search_document(parts.iter().map(String::as_str));
            let update = Statement::from_sql_and_values(
                backend,
                match backend {
                    DbBackend::Postgres => "UPDATE assignments SET search_text = $1 WHERE id = $2",
                    _ => "UPDATE assignments SET search_text = ? WHERE id = ?",
                },
                [Value::from(text), Value::from(id)],
            );
            db.execute_raw(update).await?;
        }
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Assignments::Table)
                .add_column(
                    ColumnDef::new(Assignments::SearchText)
                        .text()
                        .not_null()
                        .default(""),
                )
                .to_owned(),
        )
        .await?;
        back_fill(m).await?;
        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                for sql in [
                    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                    "CREATE INDEX ix_assignments_search_trgm ON assignments USING gin (search_text gin_trgm_ops)",
                    "CREATE INDEX ix_invoices_search_trgm ON invoices USING gin (search_text gin_trgm_ops)",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
            _ => {
                for sql in sqlite_index("assignments")
                    .into_iter()
                    .chain(sqlite_index("invoices"))
                {
                    db.execute_unprepared(&sql).await?;
                }
            }
        }
        Ok(())
    }
}
