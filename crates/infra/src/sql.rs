//! Hand-written SQL for the few queries an ORM builder would only obscure (counters,
//! aggregates). Written with `?` placeholders; PostgreSQL gets `$1, $2, …`.

use sea_orm::{DbBackend, Statement, Value};

use crate::{Database, DatabaseKind};

pub(crate) fn statement(db: &Database, sql: &str, values: Vec<Value>) -> Statement {
    let backend = match db.kind {
        DatabaseKind::Sqlite => DbBackend::Sqlite,
        DatabaseKind::Postgres => DbBackend::Postgres,
    };
    statement_on(backend, sql, values)
}

/// [`statement`] for code that holds only a connection or a transaction.
pub(crate) fn statement_on(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    match backend {
        DbBackend::Postgres => {
            let mut numbered = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push('$');
                    numbered.push_str(&n.to_string());
                } else {
                    numbered.push(c);
                }
            }
            Statement::from_sql_and_values(DbBackend::Postgres, numbered, values)
        }
        other => Statement::from_sql_and_values(other, sql, values),
    }
}

/// A `LIKE` that finds `text` anywhere, lower-cased, its wildcards escaped with `\\` (to
/// be used with `.escape('\\')`: PostgreSQL assumes that escape and SQLite has none).
pub(crate) fn contains_pattern(text: &str) -> sea_orm::sea_query::LikeExpr {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// `n` placeholders for an `IN (…)` list: `?, ?, ?`.
pub(crate) fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}
