//! The scale scenario's seeding: assignments copied with SQL from one the API made, straight
//! into the server's database (SQLite or PostgreSQL) while the server runs, so that the
//! read scenarios can be run again over a table of a million rows. Each copy gets its own
//! code (year 2099, so the server's own numbering is untouched), borrower name and search
//! document; the triggers the migrations made keep the search index and the tallies. The
//! copies' borrowers ("Copy Holder n") do not contain the search scenario's terms, so a
//! search matches as many rows as before and its figures show whether its cost grows with
//! the table rather than with its result.

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
        "borrower_name" => "'Copy Holder ' || g.n",
        "search_text" => {
            "lower('SCALE/2099/' || g.n) || $sep || 'copy holder ' || g.n || $sep || \
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

/// Runs the copy statement (`insert_sql`) for copies 1 to `extra`, `BATCH` at a time.
async fn copy_in_batches<DB>(
    conn: &mut DB::Connection,
    sql: &str,
    template: i64,
    extra: i64,
) -> Result<()>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let mut from = 1;
    while from <= extra {
        let to = (from + BATCH - 1).min(extra);
        // Built from the table's own column names and fixed text; values are bound.
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .bind(template)
            .bind(SEPARATOR)
            .execute(&mut *conn)
            .await
            .context("copying assignments")?;
        from = to + 1;
    }
    Ok(())
}

/// Between the parts of a search document (`text::search_document` in the server).
const SEPARATOR: &str = "\u{1f}";

/// Adds `extra` copies of assignment `template` to the database at `database_url`.
pub async fn seed(database_url: &str, template: i64, extra: i64) -> Result<()> {
    if extra <= 0 {
        return Ok(());
    }
    if template <= 0 {
        bail!("no template assignment");
    }
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
        copy_in_batches::<sqlx::Sqlite>(&mut conn, &sql, template, extra).await?;
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
        // The tally trigger would rewrite the same few rows once per copied row inside one
        // statement, and PostgreSQL walks every earlier version of a row it updates again
        // in the same transaction: the copies go in with triggers off and the tallies are
        // counted afresh after.
        sqlx::query("SET session_replication_role = replica")
            .execute(&mut conn)
            .await?;
        copy_in_batches::<sqlx::Postgres>(&mut conn, &sql, template, extra).await?;
        sqlx::query("SET session_replication_role = DEFAULT")
            .execute(&mut conn)
            .await?;
        let mut recount = conn.begin().await?;
        sqlx::query("DELETE FROM assignment_tallies")
            .execute(&mut *recount)
            .await?;
        sqlx::query(
            "INSERT INTO assignment_tallies (status, bank_id, n) \
             SELECT status, COALESCE(bank_id, 0), COUNT(*) FROM assignments \
             WHERE deleted_at IS NULL GROUP BY status, COALESCE(bank_id, 0)",
        )
        .execute(&mut *recount)
        .await?;
        recount.commit().await?;
        vacuum(&mut conn).await?;
    }
    Ok(())
}

/// What autovacuum does on a PostgreSQL that runs it (this project's test machine runs
/// PostgreSQL with autovacuum off): clears the row versions the writes left and refreshes
/// the planner's statistics. Without it, the totals' few tally rows, rewritten by every
/// create, sit among tens of thousands of dead versions.
pub async fn vacuum_postgres(database_url: &str) -> Result<()> {
    let mut conn = sqlx::PgConnection::connect(database_url)
        .await
        .context("connecting to the server's PostgreSQL database")?;
    vacuum(&mut conn).await
}

async fn vacuum(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query("VACUUM ANALYZE")
        .execute(conn)
        .await
        .context("VACUUM ANALYZE")?;
    Ok(())
}
