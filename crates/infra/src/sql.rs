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

/// Rows of `table` whose `search_text` (a `text::search_document`) contains `text`, served
/// by the table's trigram index: on SQLite its FTS5 table `{table}_search` (a quoted phrase
/// is a substring query there; terms under three characters have no trigram and scan),
/// on PostgreSQL `pg_trgm`'s GIN index, which serves the `LIKE` itself.
pub(crate) fn substring_search(
    kind: crate::DatabaseKind,
    table: &'static str,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    let text = text.to_lowercase();
    if kind == crate::DatabaseKind::Sqlite && text.chars().count() >= 3 {
        let phrase = format!("\"{}\"", text.replace('"', "\"\""));
        return Expr::cust_with_values(
            format!(
                "\"{table}\".\"id\" IN (SELECT rowid FROM {table}_search WHERE {table}_search MATCH ?)"
            ),
            [phrase],
        );
    }
    Expr::col((Alias::new(table), Alias::new("search_text"))).like(contains_pattern(&text))
}

/// `n` placeholders for an `IN (…)` list: `?, ?, ?`.
pub(crate) fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Alias, PostgresQueryBuilder, Query, SqliteQueryBuilder};

    use super::substring_search;
    use crate::DatabaseKind;

    fn sql(kind: DatabaseKind, term: &str) -> String {
        let query = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("assignments"))
            .and_where(substring_search(kind, "assignments", term))
            .to_owned();
        match kind {
            DatabaseKind::Sqlite => query.to_string(SqliteQueryBuilder),
            DatabaseKind::Postgres => query.to_string(PostgresQueryBuilder),
        }
    }

    /// Terms of three characters or more go through SQLite's FTS5 trigram table as a quoted
    /// phrase (quotes doubled); shorter ones, and every term on PostgreSQL (whose GIN index
    /// serves `LIKE`), are a `LIKE` on the lower-cased search document.
    #[test]
    fn searches_take_the_trigram_index() {
        let fts = sql(DatabaseKind::Sqlite, "Rao \"Q\"");
        assert!(
            fts.contains("IN (SELECT rowid FROM assignments_search WHERE assignments_search MATCH '\"rao \"\"q\"\"\"')"),
            "{fts}"
        );
        let short = sql(DatabaseKind::Sqlite, "Ra");
        assert!(short.contains("\"search_text\" LIKE '%ra%'"), "{short}");
        assert!(!short.contains("MATCH"), "{short}");
        let pg = sql(DatabaseKind::Postgres, "50%_X");
        assert!(
            pg.contains("\"search_text\" LIKE E'%50\\\\%\\\\_x%'"),
            "{pg}"
        );
    }
}
