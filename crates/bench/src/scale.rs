//! The scale scenario's seeding: assignments copied with SQL from one the API made, straight
//! into the server's database (SQLite or PostgreSQL) while the server runs, so that the
//! read scenarios can be run again over a table of a million rows. Each copy gets its own
//! code (year 2099, so the server's own numbering is untouched), borrower name and search
//! document; the triggers the migrations made keep the search index and the tallies.

use anyhow::{Context, Result, bail};
use sqlx::{Connection, Row};

/// Rows per statement.
const BATCH: i64 = 50_000;

/// Columns set per copy; every other column is copied from the template row.
fn value_of(column: &str) -> Option<&'static str> {
    Some(match column {
        "id" => return Some(""),
        "assignment_code" => "'SCALE/2099/' || g.n",
        "code_year" => "2099",
        "code_number" => "g.n",
        "borrower_name" => "'Scale Borrower ' || g.n",
        "search_text" => {
            "lower('SCALE/2099/' || g.n) || $sep || 'scale borrower ' || g.n || $sep || \
             lower(COALESCE(t.address, '')) || $sep || lower(COALESCE(t.bank_name, '')) || $sep || \
             lower(COALESCE(t.valuer_client_name, ''))"
        }
        _ => return None,
    })
}

/// The INSERT … SELECT that copies the template `rows` times, numbered from `from`.
fn insert_sql(columns: &[String], placeholder: impl Fn(usize) -> String) -> String {
    let names: Vec<&str> = columns
        .iter()
        .map(String::as_str)
        .filter(|c| value_of(c) != Some(""))
        .collect();
    let values: Vec<String> = names
        .iter()
        .map(|c| match value_of(c) {
            Some(v) => v.replace("$sep", &placeholder(4)),
            None => format!("t.{c}"),
        })
        .collect();
    format!(
        "WITH RECURSIVE g(n) AS (SELECT {from} UNION ALL SELECT n + 1 FROM g WHERE n < {to}) \
         INSERT INTO assignments ({}) SELECT {} FROM assignments t, g WHERE t.id = {template}",
        names.join(", "),
        values.join(", "),
        from = placeholder(1),
        to = placeholder(2),
        template = placeholder(3),
    )
}

/// Adds `extra` copies of assignment `template` to the database at `database_url`.
pub async fn seed(database_url: &str, template: i64, extra: i64) -> Result<()> {
    if extra <= 0 {
        return Ok(());
    }
    if template <= 0 {
        bail!("no template assignment");
    }
    let separator = "\u{1f}";
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url)
            .await
            .context("opening the server's SQLite database")?;
        sqlx::query("PRAGMA busy_timeout = 30000")
            .execute(&mut conn)
            .await?;
        let cols: Vec<String> =
            sqlx::query("SELECT name FROM pragma_table_info('assignments') ORDER BY cid")
                .fetch_all(&mut conn)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?;
        let sql = insert_sql(&cols, |i| format!("?{i}"));
        let mut from = 1;
        while from <= extra {
            let to = (from + BATCH - 1).min(extra);
            // Built from the table's own column names and fixed text; values are bound.
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(from)
                .bind(to)
                .bind(template)
                .bind(separator)
                .execute(&mut conn)
                .await
                .context("copying assignments (SQLite)")?;
            from = to + 1;
        }
        sqlx::query("ANALYZE").execute(&mut conn).await?;
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url)
            .await
            .context("connecting to the server's PostgreSQL database")?;
        let cols: Vec<String> = sqlx::query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = 'assignments' ORDER BY ordinal_position",
        )
        .fetch_all(&mut conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
        let sql = insert_sql(&cols, |i| format!("${i}"))
            .replace("SELECT $1 UNION", "SELECT $1::bigint UNION");
        let mut from = 1;
        while from <= extra {
            let to = (from + BATCH - 1).min(extra);
            // Built from the table's own column names and fixed text; values are bound.
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(from)
                .bind(to)
                .bind(template)
                .bind(separator)
                .execute(&mut conn)
                .await
                .context("copying assignments (PostgreSQL)")?;
            from = to + 1;
        }
        sqlx::query("VACUUM ANALYZE assignments")
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}
