//! The embedded store: SQLite (bundled, through rusqlite) in `DIR/marble.sqlite3`, for one
//! process. Its schema version is SQLite's `user_version`; [`MIGRATIONS`] bring older files
//! up to date when they are opened. One connection, behind a mutex, and transactions that
//! begin IMMEDIATE (taking the write lock at once): no rows need locking.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use super::dialect::{Arg, Backend, Conn, Dialect, Mode, Row, Value, check_schema};
use crate::error::{Error, Result};

/// Schema versions: entry v brings version v to v + 1.
const MIGRATIONS: &[&str] = &[
    // 1: datasets, jobs and embeddings.
    "CREATE TABLE IF NOT EXISTS datasets (
         id TEXT PRIMARY KEY, name TEXT, created INTEGER NOT NULL,
         params TEXT NOT NULL, summary TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS jobs (
         id TEXT PRIMARY KEY, dataset TEXT NOT NULL, state TEXT NOT NULL,
         epoch INTEGER NOT NULL, epochs INTEGER NOT NULL, train_loss REAL, val_loss REAL,
         message TEXT, created INTEGER NOT NULL, params TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS embeddings (
         id TEXT PRIMARY KEY, model TEXT NOT NULL, dataset TEXT NOT NULL, created INTEGER NOT NULL);",
    // 2: leases (the worker holding a job, until when, in ms), attempts and cancel requests.
    "ALTER TABLE jobs ADD COLUMN worker TEXT;
     ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created);",
];

/// The store of one process, in SQLite.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> Error {
    Error::Database { backend: "sqlite", message: e.to_string() }
}

impl SqliteStore {
    /// Open (or create) `DIR/marble.sqlite3` and bring its schema up to date.
    pub fn open(root: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(root).map_err(|e| Error::io("cannot create", root, e))?;
        let conn = Connection::open(root.join("marble.sqlite3")).map_err(db)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").map_err(db)?;
        let store = SqliteStore { conn: Mutex::new(conn) };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<()> {
        let version: i64 = self.run(Mode::Auto, |c| c.query("PRAGMA user_version", &[])?[0].get(0))?;
        // Files from before versioning have the tables of version 1 and user_version 0.
        let has_jobs: i64 = self.run(Mode::Auto, |c| {
            c.query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'jobs'", &[])?[0].get(0)
        })?;
        let from = if version == 0 && has_jobs > 0 { 1 } else { version as usize };
        check_schema("sqlite", from, MIGRATIONS.len())?;
        for (v, sql) in MIGRATIONS.iter().enumerate().skip(from) {
            self.run(Mode::Transaction, |c| c.batch(&format!("{sql}; PRAGMA user_version = {}", v + 1)))?;
        }
        Ok(())
    }
}

impl Backend for SqliteStore {
    const DIALECT: Dialect = Dialect {
        name: "sqlite",
        placeholder: "?",
        now_ms: "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
        seq: "rowid",
        for_update: "",
        for_share: "",
        skip_locked: "",
        lock_queue: None,
        one_process: true,
    };

    fn run<T>(&self, mode: Mode, mut f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if mode != Mode::Transaction {
            return f(&mut Lite(&conn));
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
        let value = f(&mut Lite(&tx))?;
        tx.commit().map_err(db)?;
        Ok(value)
    }
}

/// A connection (or transaction: it derefs to one) seen as a [`Conn`].
struct Lite<'c>(&'c Connection);

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Text(Some(s)) => ValueRef::Text(s.as_bytes()),
            Arg::Text(None) => ValueRef::Null,
            Arg::Int(i) => ValueRef::Integer(i),
            Arg::Real(x) => ValueRef::Real(x),
        }))
    }
}

fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

impl Conn for Lite<'_> {
    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        let mut st = self.0.prepare(sql).map_err(db)?;
        let width = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(args)).map_err(db)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(db)? {
            let values = (0..width).map(|i| r.get_ref(i).map(value)).collect::<rusqlite::Result<_>>().map_err(db)?;
            out.push(Row { backend: "sqlite", values });
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        Ok(self.0.execute(sql, rusqlite::params_from_iter(args)).map_err(db)? as u64)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.0.execute_batch(sql).map_err(db)
    }
}
