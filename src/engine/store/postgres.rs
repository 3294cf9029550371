//! The shared store: PostgreSQL through the `postgres` crate (synchronous: every caller is a
//! blocking thread already), for several processes on several machines. Jobs are claimed
//! with `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never take the same job, and
//! leases are timed by the database's clock, so the machines' clocks need not agree.
//! [`MIGRATIONS`] run once each, in order, under an advisory lock, recorded in
//! `marble_schema_migrations`.

use std::sync::Mutex;
use std::time::Duration;

use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, NoTls};

use super::dialect::{Arg, Backend, Conn, Dialect, Mode, Row, Value, check_schema};
use super::redact;
use super::tls::Target;
use crate::error::{Error, Result};

/// Schema versions, applied in order; entry v is version v + 1.
const MIGRATIONS: &[&str] = &[
    // 1: datasets, jobs with their leases, embeddings.
    "CREATE TABLE datasets (
         id TEXT PRIMARY KEY, name TEXT, created BIGINT NOT NULL, seq BIGSERIAL,
         params TEXT NOT NULL, summary TEXT NOT NULL);
     CREATE TABLE jobs (
         id TEXT PRIMARY KEY, dataset TEXT NOT NULL, state TEXT NOT NULL,
         epoch BIGINT NOT NULL, epochs BIGINT NOT NULL, train_loss DOUBLE PRECISION,
         val_loss DOUBLE PRECISION, message TEXT, created BIGINT NOT NULL, seq BIGSERIAL,
         params TEXT NOT NULL, worker TEXT, lease_until BIGINT NOT NULL DEFAULT 0,
         cancel_requested BOOLEAN NOT NULL DEFAULT FALSE, attempts BIGINT NOT NULL DEFAULT 0);
     CREATE INDEX jobs_by_state ON jobs (state, created, seq);
     CREATE TABLE embeddings (
         id TEXT PRIMARY KEY, model TEXT NOT NULL, dataset TEXT NOT NULL, created BIGINT NOT NULL);",
];

/// Any 64-bit key for `pg_advisory_xact_lock`, the same in every process.
const MIGRATION_LOCK: i64 = 0x6d61_7262_6c65;

/// The error with its cause: tokio-postgres's own text is only "db error" and the like.
fn detail(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    if let Some(d) = e.as_db_error() {
        text = format!("{text}: {} ({})", d.message(), d.code().code());
    } else {
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
    }
    text
}

fn db(e: postgres::Error) -> Error {
    Error::Database { backend: "postgres", message: detail(&e) }
}

/// The store of a deployment, in PostgreSQL.
pub struct PostgresStore {
    url: String,
    /// The URL read: what tokio-postgres gets, and the TLS it asks for.
    target: Target,
    /// The TLS connector, made once (it holds the CAs read); None for `sslmode=disable`.
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    client: Mutex<Option<Client>>,
    /// Heartbeats have a connection of their own, so that busy API requests cannot starve
    /// them into losing a lease.
    beats: Mutex<Option<Client>>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // A client closes through its own runtime, which cannot run on an async thread
        // (the server drops the engine on one): close them on a thread of their own.
        let clients: Vec<Client> = [&self.client, &self.beats]
            .into_iter()
            .filter_map(|m| m.lock().unwrap_or_else(|p| p.into_inner()).take())
            .collect();
        if !clients.is_empty() {
            let _ = std::thread::spawn(move || drop(clients)).join();
        }
    }
}

impl PostgresStore {
    /// Connect to `url` (`postgres://USER[:PASSWORD]@HOST:PORT/DB[?sslmode=...&sslrootcert=...]`,
    /// TLS as in `tls.rs`) and bring the schema up to date.
    pub fn open(url: &str) -> Result<PostgresStore> {
        let target = Target::parse(url)?;
        let tls = target.connector()?;
        let store =
            PostgresStore { url: url.to_string(), target, tls, client: Mutex::new(None), beats: Mutex::new(None) };
        store.run(Mode::Transaction, |c| {
            c.execute("SELECT pg_advisory_xact_lock($1)", &[Arg::Int(MIGRATION_LOCK)])?;
            c.batch(
                "CREATE TABLE IF NOT EXISTS marble_schema_migrations (
                     version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )?;
            let done: i64 =
                c.query("SELECT COALESCE(MAX(version), 0) FROM marble_schema_migrations", &[])?[0].get(0)?;
            check_schema("postgres", done as usize, MIGRATIONS.len())?;
            for (v, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
                c.batch(&format!("{sql}; INSERT INTO marble_schema_migrations (version) VALUES ({})", v + 1))?;
            }
            Ok(())
        })?;
        Ok(store)
    }

    fn connect(&self) -> Result<Client> {
        let cannot = |e: postgres::Error| Error::Database {
            backend: "postgres",
            message: format!(
                "cannot connect to {}: {}",
                redact(&self.url),
                self.target.explain(&e).unwrap_or_else(|| detail(&e))
            ),
        };
        let mut config = self.target.config().map_err(cannot)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        match &self.tls {
            Some(tls) => config.connect(tls.clone()),
            None => config.connect(NoTls),
        }
        .map_err(cannot)
    }

    /// Run `f` on `connection`, connecting first when there is none, and once more on a
    /// fresh connection when the old one was closed under it (a database restart).
    fn on<T>(&self, connection: &Mutex<Option<Client>>, mut f: impl FnMut(&mut Client) -> Result<T>) -> Result<T> {
        let mut guard = connection.lock().unwrap_or_else(|p| p.into_inner());
        for attempt in 0..2 {
            if guard.as_ref().is_none_or(Client::is_closed) {
                *guard = Some(self.connect()?);
            }
            let client = guard.as_mut().expect("connected above");
            match f(client) {
                Err(_) if attempt == 0 && client.is_closed() => continue,
                result => return result,
            }
        }
        unreachable!("the second attempt returns")
    }
}

impl Backend for PostgresStore {
    const DIALECT: Dialect = Dialect {
        name: "postgres",
        placeholder: "$",
        now_ms: "(extract(epoch from clock_timestamp()) * 1000)::bigint",
        seq: "seq",
        for_update: "FOR UPDATE",
        for_share: "FOR SHARE",
        skip_locked: "FOR UPDATE SKIP LOCKED",
        // One inserter at a time (SHARE ROW EXCLUSIVE conflicts with itself).
        lock_queue: Some("LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE"),
        one_process: false,
    };

    fn run<T>(&self, mode: Mode, mut f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let connection = if mode == Mode::Beat { &self.beats } else { &self.client };
        self.on(connection, |client| match mode {
            Mode::Transaction => {
                let mut tx = client.transaction().map_err(db)?;
                let value = f(&mut Pg(&mut tx))?;
                tx.commit().map_err(db)?;
                Ok(value)
            }
            Mode::Auto | Mode::Beat => f(&mut Pg(client)),
        })
    }
}

/// A client or a transaction seen as a [`Conn`].
struct Pg<'c, C>(&'c mut C);

fn args<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter()
        .map(|a| match a {
            Arg::Text(s) => s as &(dyn ToSql + Sync),
            Arg::Int(i) => i,
            Arg::Real(x) => x,
        })
        .collect()
}

fn value(r: &postgres::Row, i: usize) -> std::result::Result<Value, postgres::Error> {
    let ty = r.columns()[i].type_();
    let v = if *ty == Type::BOOL {
        r.try_get::<_, Option<bool>>(i)?.map(|b| Value::Int(b.into()))
    } else if *ty == Type::INT8 {
        r.try_get::<_, Option<i64>>(i)?.map(Value::Int)
    } else if *ty == Type::INT4 {
        r.try_get::<_, Option<i32>>(i)?.map(|n| Value::Int(n.into()))
    } else if *ty == Type::FLOAT8 {
        r.try_get::<_, Option<f64>>(i)?.map(Value::Real)
    } else {
        r.try_get::<_, Option<String>>(i)?.map(Value::Text)
    };
    Ok(v.unwrap_or(Value::Null))
}

impl<C: GenericClient> Conn for Pg<'_, C> {
    fn query(&mut self, sql: &str, a: &[Arg<'_>]) -> Result<Vec<Row>> {
        let rows = self.0.query(sql, &args(a)).map_err(db)?;
        let row = |r: &postgres::Row| (0..r.len()).map(|i| value(r, i)).collect::<std::result::Result<_, _>>();
        rows.iter().map(|r| Ok(Row { backend: "postgres", values: row(r).map_err(db)? })).collect()
    }

    fn execute(&mut self, sql: &str, a: &[Arg<'_>]) -> Result<u64> {
        self.0.execute(sql, &args(a)).map_err(db)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.0.batch_execute(sql).map_err(db)
    }
}
