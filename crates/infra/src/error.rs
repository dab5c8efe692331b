//! Mapping database errors into the domain's error.

use sea_orm::{DbErr, SqlErr};
use zenops_domain::DomainError;

/// A database failure the rules cannot explain; the API logs it once, with its request.
/// A transaction the database gave up on because of other transactions (PostgreSQL
/// broke a deadlock or a serialisation conflict; SQLite waited out its busy timeout) is
/// not a fault but contention: a 409 `busy` that the caller may simply retry.
pub(crate) fn unexpected(err: DbErr) -> DomainError {
    if is_contention(&err) {
        return DomainError::conflict(
            "busy",
            "The database was busy with a conflicting change; try again",
        );
    }
    DomainError::unexpected(err)
}

fn is_contention(err: &DbErr) -> bool {
    let text = err.to_string();
    [
        "deadlock detected",
        "could not serialize access",
        "database is locked",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// A unique constraint, named as PostgreSQL reports it and as SQLite reports it
/// (`table.column[, table.column]`), with the message to report.
pub(crate) struct UniqueRule {
    pub constraint: &'static str,
    pub sqlite_columns: &'static str,
    /// Names the field, since a conflict carries no field list.
    pub detail: &'static str,
}

pub(crate) enum Violation {
    Unique(String),
    ForeignKey,
}

pub(crate) fn violation(err: &DbErr) -> Option<Violation> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => Some(Violation::Unique(message)),
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => Some(Violation::ForeignKey),
        // SQLite reports an ON DELETE RESTRICT violation with the extended code
        // SQLITE_CONSTRAINT_TRIGGER (1811), which SeaORM does not classify.
        _ if err.to_string().contains("FOREIGN KEY constraint failed") => {
            Some(Violation::ForeignKey)
        }
        _ => None,
    }
}

/// Finds which unique rule a violation message is about.
pub(crate) fn duplicate(message: &str, rules: &[UniqueRule]) -> DomainError {
    match rules
        .iter()
        .find(|r| message.contains(r.constraint) || message.ends_with(r.sqlite_columns))
    {
        Some(rule) => DomainError::conflict("duplicate", rule.detail),
        None => DomainError::conflict("duplicate", "A record with these values already exists"),
    }
}
