//! What a backend gives the store rules ([`super::rules`]): how it runs statements
//! ([`Backend::run`] on a [`Conn`]), and how its SQL differs ([`Dialect`]: placeholders, the
//! clock, the lock clauses). Values cross the boundary as [`Arg`]s and [`Row`]s of
//! [`Value`]s, so the rules never see a driver's types.

use crate::error::{Error, Result};

/// Where the backends' SQL differs. The rules write `$n` for parameters and `{now}`, `{seq}`,
/// `{for_update}`, `{for_share}`, `{skip_locked}` for the rest (see `rules::Sql`).
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    /// "sqlite" or "postgres", for messages.
    pub name: &'static str,
    /// What stands before a parameter's number: `$` or `?`.
    pub placeholder: &'static str,
    /// Milliseconds since the Unix epoch by the database's clock, as an SQL expression. Leases
    /// are timed by it, so the clocks of the machines sharing a database need not agree.
    pub now_ms: &'static str,
    /// The column that orders rows created in the same second.
    pub seq: &'static str,
    /// Row locks for a row read to be changed or deleted, read to be kept as it is, and read
    /// to be claimed by one of several workers; empty where the transaction is alone anyway.
    pub for_update: &'static str,
    /// See `for_update`.
    pub for_share: &'static str,
    /// See `for_update`.
    pub skip_locked: &'static str,
    /// The statement that makes job inserters take turns within their transactions, so that
    /// the count of queued jobs and the insert agree; None where transactions take turns.
    pub lock_queue: Option<&'static str>,
    /// The database belongs to one process, so jobs left running when it opens were this
    /// process's, stopped with it ([`super::Store::expire_leases`] queues them again). Where
    /// processes share it, running jobs are left to their leases.
    pub one_process: bool,
}

/// How a rule's statements run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Each on its own.
    Auto,
    /// All or nothing: committed when the rule returns `Ok`, rolled back on `Err`.
    Transaction,
    /// A heartbeat: on a connection of its own where the backend has several, so that busy
    /// requests cannot starve it into losing a lease.
    Beat,
}

/// A backend: a database connection with its dialect. Every backend is a [`super::Store`]
/// (the rules are written once, in `rules.rs`).
pub trait Backend: Send + Sync {
    /// Its dialect.
    const DIALECT: Dialect;

    /// Run `f` on a connection, as `mode` says.
    fn run<T>(&self, mode: Mode, f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T>;
}

/// A connection (or a transaction on one), running SQL in the backend's own dialect.
pub trait Conn {
    /// The rows a statement returns.
    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>>;
    /// Run a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64>;
    /// Run several statements without parameters (a migration).
    fn batch(&mut self, sql: &str) -> Result<()>;
}

/// A statement's parameter.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    /// Text, or NULL.
    Text(Option<&'a str>),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Real(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Some(s))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(Some(s))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(s: Option<&'a str>) -> Self {
        Arg::Text(s)
    }
}

impl From<i64> for Arg<'_> {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}

impl From<f64> for Arg<'_> {
    fn from(x: f64) -> Self {
        Arg::Real(x)
    }
}

/// A value in a row (booleans come as integers 0 and 1).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer or a boolean.
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
}

/// One row a query returned.
#[derive(Clone, Debug)]
pub struct Row {
    /// The backend, for messages.
    pub backend: &'static str,
    /// Its values, in the order of the query's columns.
    pub values: Vec<Value>,
}

impl Row {
    /// Column `i` as a `T`; a value of another type is a database error (a column written by
    /// something other than marble).
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T> {
        let v = self.values.get(i).unwrap_or(&Value::Null);
        T::from_value(v).ok_or_else(|| Error::Database {
            backend: self.backend,
            message: format!("column {i} holds {v:?}, not {}", std::any::type_name::<T>()),
        })
    }
}

/// A type a [`Value`] can be read as.
pub trait FromValue: Sized {
    /// The value as `Self`, or None when it is of another type.
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).map(|i| i != 0)
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(x) => Some(*x),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// Refuse a database whose schema is at `found`, when this build knows versions up to `known`.
pub fn check_schema(backend: &'static str, found: usize, known: usize) -> Result<()> {
    if found <= known {
        return Ok(());
    }
    Err(Error::Database {
        backend,
        message: format!(
            "the database's schema version {found} is newer than this build knows ({known}); use a newer marble"
        ),
    })
}
