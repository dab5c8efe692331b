//! Connecting to the database: an embedded SQLite file by default, PostgreSQL when the URL
//! says so. Migrations run here.

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqlxSqliteConnector, TransactionTrait,
};
use time::{OffsetDateTime, UtcOffset};

/// [`Database::stored_time`] for code that holds only a connection or a transaction.
pub(crate) fn stored_time_on(backend: DbBackend, at: impl Into<OffsetDateTime>) -> OffsetDateTime {
    let at: OffsetDateTime = at.into();
    let at = at.to_offset(UtcOffset::UTC);
    let micros = at.microsecond() * 1_000;
    let nanos = match backend {
        DbBackend::Sqlite => micros + 1,
        _ => micros,
    };
    at.replace_nanosecond(nanos).unwrap_or(at)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub fn of_url(url: &str) -> Result<Self, DbErr> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(DbErr::Custom(format!(
                "unsupported DATABASE_URL scheme (expected sqlite: or postgres://): {}",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

/// The shared connection pool and what kind of database is behind it.
#[derive(Debug, Clone)]
pub struct Database {
    pub conn: DatabaseConnection,
    pub kind: DatabaseKind,
    /// SQLite has one writer at a time. Its own wait for the write lock (the busy
    /// timeout) polls with sleeps that grow to 100 ms, so under concurrent writes a
    /// transaction could sleep long after the lock came free: creates at 16 connections
    /// had a p99 of 260 ms at ~1 ms of work each. Write transactions in this process queue
    /// here instead, first come first served, and start the moment the previous one ends.
    write_gate: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

/// The longest a write transaction waits at the gate before it goes ahead on its own (and
/// SQLite's busy timeout takes over): a transaction begun while the same task holds
/// another would otherwise wait for itself.
const GATE_PATIENCE: Duration = Duration::from_secs(5);

/// A place in the SQLite write queue, held until its transaction ends; nothing on
/// PostgreSQL, whose transactions lock rows, not the database.
pub struct WriteTurn(#[allow(dead_code)] Option<tokio::sync::OwnedMutexGuard<()>>);

impl Database {
    /// Connects with `max_connections` in the pool, or the backend's default.
    pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<Self, DbErr> {
        let kind = DatabaseKind::of_url(url)?;
        let max_connections = max_connections.unwrap_or(match kind {
            DatabaseKind::Sqlite => 8,
            DatabaseKind::Postgres => 16,
        });
        let conn = match kind {
            DatabaseKind::Sqlite => {
                // WAL lets readers run beside the writer; the busy timeout makes concurrent
                // writers queue instead of failing; foreign keys are off by default in SQLite.
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| DbErr::Custom(format!("invalid SQLite URL: {e}")))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .connect_with(options)
                    .await
                    .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
                SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
            }
            DatabaseKind::Postgres => {
                let mut options = ConnectOptions::new(url);
                options
                    .max_connections(max_connections)
                    .connect_timeout(Duration::from_secs(10))
                    .sqlx_logging(false);
                sea_orm::Database::connect(options).await?
            }
        };
        let write_gate = (kind == DatabaseKind::Sqlite)
            .then(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));
        Ok(Self {
            conn,
            kind,
            write_gate,
        })
    }

    /// Waits for this process's turn to write (SQLite; at once on PostgreSQL). Hold the
    /// turn until the write transaction has committed or rolled back.
    pub async fn write_turn(&self) -> WriteTurn {
        let Some(gate) = &self.write_gate else {
            return WriteTurn(None);
        };
        match tokio::time::timeout(GATE_PATIENCE, std::sync::Arc::clone(gate).lock_owned()).await {
            Ok(guard) => WriteTurn(Some(guard)),
            Err(_) => {
                tracing::warn!(
                    "a write transaction waited {GATE_PATIENCE:?} for its turn and goes ahead"
                );
                WriteTurn(None)
            }
        }
    }

    /// Begins a write transaction in its turn; keep the turn beside the transaction.
    pub async fn begin_write(&self) -> Result<(DatabaseTransaction, WriteTurn), DbErr> {
        let turn = self.write_turn().await;
        let txn = self.conn.begin().await?;
        Ok((txn, turn))
    }

    /// Runs one hand-written statement (`?` placeholders, numbered for PostgreSQL) and
    /// returns its rows.
    pub(crate) async fn query_all(
        &self,
        sql: &str,
        values: Vec<sea_orm::Value>,
    ) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.conn
            .query_all_raw(crate::sql::statement(self, sql, values))
            .await
    }

    /// [`Database::query_all`] for a statement that returns at most one row.
    pub(crate) async fn query_one(
        &self,
        sql: &str,
        values: Vec<sea_orm::Value>,
    ) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.conn
            .query_one_raw(crate::sql::statement(self, sql, values))
            .await
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    /// Whether the database answers; for readiness probes.
    pub async fn ping(&self) -> bool {
        self.conn.execute_unprepared("SELECT 1").await.is_ok()
    }

    /// A timestamp as it is written to (or compared with) a column: UTC at microsecond
    /// precision, the instant itself on both backends.
    ///
    /// SQLite keeps timestamps as RFC 3339 text, whose fraction drops trailing zeros
    /// (`:00Z` would sort after `:00.5Z`); one nanosecond past the microsecond keeps the
    /// fraction nine digits wide, so text order is time order. PostgreSQL gets the exact
    /// microsecond: sqlx sends it as whole microseconds from 2000-01-01 *truncated towards
    /// zero*, so a nanosecond added before 2000 would come back one microsecond later.
    ///
    /// Values from callers arrive as bounded [`zenops_domain::instant::Instant`]s, so the
    /// SQLite text encoding always succeeds: `sea-query-sqlx` silently drops a bind value
    /// whose encoding fails (RFC 3339 has no year before 0 or after 9999), which shifted
    /// every later parameter of the statement.
    pub(crate) fn stored_time(&self, at: impl Into<OffsetDateTime>) -> OffsetDateTime {
        stored_time_on(self.conn.get_database_backend(), at)
    }

    /// Connections the pool holds now, and how many of them are idle.
    pub fn pool_use(&self) -> (u32, usize) {
        match self.kind {
            DatabaseKind::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseKind::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
        }
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}
