//! Exact totals without counting: live assignments by status and bank, kept by triggers in
//! the transaction of every write to `assignments` (so they are never stale, on any
//! instance). The assignment list reads its `X-Total-Count` from here when it is filtered by
//! nothing but completion, status and bank for someone who sees all work; any other list
//! still counts its rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Live rows by status and bank; `bank_id` 0 stands for "no bank" (ids start at 1).
const TABLE: &str = "CREATE TABLE assignment_tallies (\
     status VARCHAR(32) NOT NULL, \
     bank_id BIGINT NOT NULL, \
     n BIGINT NOT NULL, \
     PRIMARY KEY (status, bank_id))";

const BACK_FILL: &str = "INSERT INTO assignment_tallies (status, bank_id, n) \
     SELECT status, COALESCE(bank_id, 0), COUNT(*) FROM assignments \
     WHERE deleted_at IS NULL GROUP BY status, COALESCE(bank_id, 0)";

const SQLITE: [&str; 3] = [
    "CREATE TRIGGER assignment_tallies_insert AFTER INSERT ON assignments \
     WHEN new.deleted_at IS NULL BEGIN \
     INSERT INTO assignment_tallies (status, bank_id, n) VALUES (new.status, COALESCE(new.bank_id, 0), 1) \
     ON CONFLICT (status, bank_id) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER assignment_tallies_delete AFTER DELETE ON assignments \
     WHEN old.deleted_at IS NULL BEGIN \
     UPDATE assignment_tallies SET n = n - 1 WHERE status = old.status AND bank_id = COALESCE(old.bank_id, 0); END",
    "CREATE TRIGGER assignment_tallies_update AFTER UPDATE OF status, bank_id, deleted_at ON assignments \
     WHEN old.status IS NOT new.status OR old.bank_id IS NOT new.bank_id \
       OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) BEGIN \
     UPDATE assignment_tallies SET n = n - 1 \
       WHERE old.deleted_at IS NULL AND status = old.status AND bank_id = COALESCE(old.bank_id, 0); \
     INSERT INTO assignment_tallies (status, bank_id, n) \
       SELECT new.status, COALESCE(new.bank_id, 0), 1 WHERE new.deleted_at IS NULL \
       ON CONFLICT (status, bank_id) DO UPDATE SET n = n + 1; END",
];

/// PostgreSQL locks the tally rows it changes until commit; a change that moves a row from
/// one tally to another takes the two in key order, so two such changes never wait on each
/// other crosswise.
const POSTGRES: [&str; 2] = [
    r#"CREATE FUNCTION assignment_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_live boolean := false;
    new_live boolean := false;
    old_status text;
    new_status text;
    old_bank bigint;
    new_bank bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_live := OLD.deleted_at IS NULL;
        old_status := OLD.status;
        old_bank := COALESCE(OLD.bank_id, 0);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_live := NEW.deleted_at IS NULL;
        new_status := NEW.status;
        new_bank := COALESCE(NEW.bank_id, 0);
    END IF;
    IF old_live AND new_live AND old_status = new_status AND old_bank = new_bank THEN
        RETURN NULL;
    END IF;
    IF new_live AND (NOT old_live OR (new_status, new_bank) < (old_status, old_bank)) THEN
        INSERT INTO assignment_tallies (status, bank_id, n) VALUES (new_status, new_bank, 1)
            ON CONFLICT (status, bank_id) DO UPDATE SET n = assignment_tallies.n + 1;
        new_live := false;
    END IF;
    IF old_live THEN
        UPDATE assignment_tallies SET n = n - 1 WHERE status = old_status AND bank_id = old_bank;
    END IF;
    IF new_live THEN
        INSERT INTO assignment_tallies (status, bank_id, n) VALUES (new_status, new_bank, 1)
            ON CONFLICT (status, bank_id) DO UPDATE SET n = assignment_tallies.n + 1;
    END IF;
    RETURN NULL;
END
$$"#,
    "CREATE TRIGGER assignment_tallies AFTER INSERT OR DELETE OR UPDATE OF status, bank_id, deleted_at \
     ON assignments FOR EACH ROW EXECUTE FUNCTION assignment_tally()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        if postgres {
            // Migrations run in a transaction on PostgreSQL: writers to `assignments` (other
            // instances) wait for its commit, so none falls between the back-fill's count
            // and the triggers. SQLite has one writer anyway.
            db.execute_unprepared("LOCK TABLE assignments IN SHARE ROW EXCLUSIVE MODE")
                .await?;
        }
        db.execute_unprepared(TABLE).await?;
        let triggers: &[&str] = if postgres { &POSTGRES } else { &SQLITE };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared(BACK_FILL).await?;
        Ok(())
    }
}
