//! One conformance suite for the job and dataset store ([`Store`]): every rule, run against
//! SQLite (always) and PostgreSQL (a private server, see tests/pg.rs), so a backend that
//! diverges fails it. Then each backend's migrations.

use std::sync::OnceLock;
use std::time::Duration;

use marble::dataset::Summary;
use marble::engine::{DatasetInfo, JobInfo, JobState};
use marble::internals::engine::store::{Beat, PostgresStore, SqliteStore, Store};
use marble::progress::Silent;
use marble::{Dataset, Error, Params, examples};

use crate::pg::Postgres;

/// A lease no test outlives.
const LONG: Duration = Duration::from_secs(600);
/// A lease over before the next statement.
const SHORT: Duration = Duration::from_millis(1);

fn expire() {
    std::thread::sleep(Duration::from_millis(50));
}

fn summary() -> Summary {
    static SUMMARY: OnceLock<Summary> = OnceLock::new();
    SUMMARY
        .get_or_init(|| {
            let conds = examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0);
            let p = Params { k: 10, ..Params::default() }.check().unwrap();
            Dataset::build(&conds, &p, &Silent).unwrap().summary
        })
        .clone()
}

fn dataset(id: &str, created: u64) -> DatasetInfo {
    DatasetInfo { id: id.into(), name: Some(format!("{id}'s name")), created, params: params(), summary: summary() }
}

fn params() -> Params {
    Params { k: 10, epochs: 10, seed: 7, ..Params::default() }
}

fn job(id: &str, dataset: &str, created: u64) -> JobInfo {
    JobInfo {
        id: id.into(),
        dataset: dataset.into(),
        state: JobState::Queued,
        epoch: 0,
        epochs: 10,
        train_loss: None,
        val_loss: None,
        message: None,
        created,
        worker: None,
        attempts: 0,
    }
}

#[track_caller]
fn not_found<T: std::fmt::Debug>(r: marble::Result<T>, kind: &str, id: &str) {
    match r {
        Err(Error::NotFound { kind: k, id: i }) if k == kind && i == id => {}
        other => panic!("expected {kind} {id} not found, got {other:?}"),
    }
}

#[track_caller]
fn database_error(s: &dyn Store, r: marble::Result<()>) {
    let e = r.unwrap_err();
    assert!(matches!(&e, Error::Database { backend, .. } if *backend == s.backend()), "{e:?}");
    assert_eq!(e.code(), "database");
}

/// Every rule of [`Store`], on `s` and `other`: two connections to one empty database, as
/// two processes would have.
fn store_contract(s: &dyn Store, other: &dyn Store) {
    datasets(s, other);
    queue(s, other);
    fencing(s);
    leases(s, other);
    cancels(s, other);
    expiry(s);
    embeddings(s, other);
}

fn datasets(s: &dyn Store, other: &dyn Store) {
    let (a, b, c) = (dataset("ds_a", 10), dataset("ds_b", 20), dataset("ds_c", 20));
    for d in [&a, &b, &c] {
        s.insert_dataset(d).unwrap();
    }
    assert_eq!(other.dataset("ds_a").unwrap(), a);
    // Newest first; of the same second, the later first.
    let ids: Vec<String> = s.datasets().unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["ds_c", "ds_b", "ds_a"]);
    database_error(s, s.insert_dataset(&a));
    not_found(s.dataset("ds_nope"), "dataset", "ds_nope");
    not_found(s.delete_dataset("ds_nope"), "dataset", "ds_nope");
    s.delete_dataset("ds_c").unwrap();
    not_found(other.dataset("ds_c"), "dataset", "ds_c");
    assert_eq!(other.datasets().unwrap(), [b, a]);
}

fn queue(s: &dyn Store, other: &dyn Store) {
    let (late, early) = (job("job_late", "ds_a", 200), job("job_early", "ds_a", 100));
    s.insert_job(&late, &params(), 2).unwrap();
    assert_eq!(other.job("job_late").unwrap(), late);
    assert_eq!(other.job_params("job_late").unwrap(), params());
    let busy = s.delete_dataset("ds_a").unwrap_err();
    assert_eq!(
        (busy.code(), busy.to_string().as_str()),
        ("conflict", "dataset ds_a is used by 1 unfinished job(s); cancel them first")
    );
    s.insert_job(&early, &params(), 2).unwrap();
    // The limit counts queued jobs.
    match s.insert_job(&job("job_over", "ds_b", 300), &params(), 2) {
        Err(Error::QueueFull { queued: 2 }) => {}
        other => panic!("expected a full queue, got {other:?}"),
    }
    not_found(s.job("job_over"), "job", "job_over");
    not_found(s.job_params("job_nope"), "job", "job_nope");
    // A job needs its dataset, also one deleted meanwhile.
    s.insert_dataset(&dataset("ds_gone", 30)).unwrap();
    s.delete_dataset("ds_gone").unwrap();
    not_found(s.insert_job(&job("job_orphan", "ds_gone", 300), &params(), 16), "dataset", "ds_gone");
    let ids: Vec<String> = other.jobs().unwrap().into_iter().map(|j| j.id).collect();
    assert_eq!(ids, ["job_late", "job_early"], "newest first");
    // The oldest is claimed first, each by one worker, and comes back as it is now.
    let first = s.claim("w1", LONG).unwrap().unwrap();
    let running =
        |j: &JobInfo, w: &str| JobInfo { state: JobState::Running, worker: Some(w.into()), attempts: 1, ..j.clone() };
    assert_eq!(first, running(&early, "w1"));
    assert_eq!(other.claim("w2", LONG).unwrap().unwrap(), running(&late, "w2"));
    assert_eq!(s.claim("w3", LONG).unwrap(), None, "both are held");
    assert!(s.delete_dataset("ds_a").unwrap_err().to_string().contains("used by 2 unfinished job(s)"));
}

/// Only the worker holding a job reports progress, finishes it or gives it back.
fn fencing(s: &dyn Store) {
    s.set_progress("job_early", "w2", 5, 9.0, 9.0).unwrap();
    s.set_progress("job_early", "w1", 3, 0.5, 0.25).unwrap();
    let j = s.job("job_early").unwrap();
    assert_eq!((j.epoch, j.train_loss, j.val_loss), (3, Some(0.5), Some(0.25)));
    assert!(!s.finish("job_early", "w2", JobState::Succeeded, None).unwrap());
    assert!(s.finish("job_early", "w1", JobState::Succeeded, Some("done")).unwrap());
    assert!(!s.finish("job_early", "w1", JobState::Failed, None).unwrap(), "finished already");
    s.set_progress("job_early", "w1", 9, 9.0, 9.0).unwrap();
    assert!(!s.requeue("job_early", "w1").unwrap());
    let j = s.job("job_early").unwrap();
    assert_eq!((j.state, j.message.as_deref(), j.epoch), (JobState::Succeeded, Some("done"), 3));
    // Given back, a job keeps its progress and is claimed afresh.
    s.set_progress("job_late", "w2", 2, 0.5, 0.5).unwrap();
    assert!(!s.requeue("job_late", "w1").unwrap());
    assert!(s.requeue("job_late", "w2").unwrap());
    let j = s.job("job_late").unwrap();
    assert_eq!((j.state, j.worker, j.epoch), (JobState::Queued, None, 2));
    let j = s.claim("w3", LONG).unwrap().unwrap();
    assert_eq!(
        (j.id.as_str(), j.worker.as_deref(), j.attempts, j.epoch, j.message),
        ("job_late", Some("w3"), 2, 2, None)
    );
    assert!(s.finish("job_late", "w3", JobState::Failed, Some("boom")).unwrap());
    s.delete_dataset("ds_a").unwrap();
}

fn leases(s: &dyn Store, other: &dyn Store) {
    // Workers on both connections at once: each job is claimed once.
    let ids: Vec<String> = (0..6).map(|i| format!("job_many{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        s.insert_job(&job(id, "ds_b", 400 + i as u64), &params(), 16).unwrap();
    }
    let mut claimed: Vec<JobInfo> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let on = if t % 2 == 0 { s } else { other };
                scope
                    .spawn(move || std::iter::from_fn(|| on.claim(&format!("t{t}"), LONG).unwrap()).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    claimed.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(claimed.iter().map(|j| &j.id).collect::<Vec<_>>(), ids.iter().collect::<Vec<_>>());
    for j in &claimed {
        assert!(s.finish(&j.id, j.worker.as_deref().unwrap(), JobState::Succeeded, None).unwrap());
    }
    // A lease not renewed expires, and the job is taken over where its checkpoint is.
    s.insert_job(&job("job_lost", "ds_b", 500), &params(), 16).unwrap();
    assert_eq!(s.claim("w1", SHORT).unwrap().unwrap().id, "job_lost");
    s.set_progress("job_lost", "w1", 3, 0.5, 0.5).unwrap();
    assert_eq!(s.heartbeat("job_lost", "w1", SHORT).unwrap(), Beat { owned: true, cancel: false });
    expire();
    let j = other.claim("w2", LONG).unwrap().unwrap();
    assert_eq!(
        (j.id.as_str(), j.state, j.worker.as_deref(), j.attempts, j.epoch),
        ("job_lost", JobState::Running, Some("w2"), 2, 3)
    );
    assert_eq!(j.message.as_deref(), Some("worker w1 stopped during epoch 4; resumed from the checkpoint of epoch 3"));
    // The worker that lost it learns so, and can change nothing.
    assert_eq!(s.heartbeat("job_lost", "w1", LONG).unwrap(), Beat { owned: false, cancel: false });
    s.set_progress("job_lost", "w1", 9, 9.0, 9.0).unwrap();
    assert!(!s.finish("job_lost", "w1", JobState::Failed, None).unwrap());
    assert!(!s.requeue("job_lost", "w1").unwrap());
    assert_eq!(s.heartbeat("job_lost", "w2", LONG).unwrap(), Beat { owned: true, cancel: false });
    assert_eq!(s.job("job_lost").unwrap(), j);
    assert_eq!(s.claim("w3", LONG).unwrap(), None, "a renewed lease holds");
    // Before the first checkpoint.
    s.insert_job(&job("job_fresh", "ds_b", 501), &params(), 16).unwrap();
    assert_eq!(s.claim("w1", SHORT).unwrap().unwrap().id, "job_fresh");
    expire();
    let j = other.claim("w2", LONG).unwrap().unwrap();
    assert_eq!((j.id.as_str(), j.attempts), ("job_fresh", 2));
    assert_eq!(j.message.as_deref(), Some("worker w1 stopped before the first checkpoint; started again"));
    assert_eq!(s.heartbeat("job_nope", "w1", LONG).unwrap(), Beat { owned: false, cancel: false });
}

fn cancels(s: &dyn Store, other: &dyn Store) {
    // Queued: cancelled at once.
    s.insert_job(&job("job_queued", "ds_b", 600), &params(), 16).unwrap();
    let j = other.request_cancel("job_queued").unwrap();
    assert_eq!((j.state, j.message.as_deref()), (JobState::Cancelled, Some("cancelled by a user before it started")));
    assert!(!s.cancel_requested("job_queued").unwrap());
    // Running: through its worker's next heartbeat.
    assert_eq!(other.request_cancel("job_lost").unwrap().state, JobState::Running);
    assert!(s.cancel_requested("job_lost").unwrap());
    assert_eq!(s.heartbeat("job_lost", "w2", LONG).unwrap(), Beat { owned: true, cancel: true });
    assert!(s.finish("job_lost", "w2", JobState::Cancelled, Some("cancelled by a user")).unwrap());
    // Finished: left as it is.
    let done = s.job("job_early").unwrap();
    assert_eq!(s.request_cancel("job_early").unwrap(), done);
    not_found(s.request_cancel("job_nope"), "job", "job_nope");
    assert!(!s.cancel_requested("job_nope").unwrap());
    // Running, when its worker stopped: cancelled by the next claim instead of taken over.
    s.insert_job(&job("job_stopped", "ds_b", 700), &params(), 16).unwrap();
    assert_eq!(s.claim("w1", SHORT).unwrap().unwrap().id, "job_stopped");
    s.request_cancel("job_stopped").unwrap();
    expire();
    assert_eq!(other.claim("w2", LONG).unwrap(), None);
    let j = s.job("job_stopped").unwrap();
    assert_eq!((j.state, j.message.as_deref(), j.worker), (JobState::Cancelled, Some("cancelled by a user"), None));
    // Resumed: a failed or cancelled job is queued again, within the queue's limit, and
    // keeps its progress for the checkpoint; other states are a conflict.
    assert!(matches!(s.resume("job_lost", 0), Err(Error::QueueFull { .. })));
    let epoch = s.job("job_lost").unwrap().epoch;
    let j = other.resume("job_lost", 16).unwrap();
    assert_eq!((j.state, j.epoch, j.worker.as_deref()), (JobState::Queued, epoch, None));
    let expected = match epoch {
        0 => "resumed by a user: started again".to_string(),
        e => format!("resumed by a user from the checkpoint of epoch {e}"),
    };
    assert_eq!(j.message.as_deref(), Some(expected.as_str()));
    assert!(!s.cancel_requested("job_lost").unwrap());
    assert!(matches!(s.resume("job_early", 16), Err(Error::Conflict(_))));
    assert!(matches!(s.resume("job_lost", 16), Err(Error::Conflict(_))), "queued already");
    not_found(s.resume("job_nope", 16), "job", "job_nope");
    assert_eq!(s.request_cancel("job_lost").unwrap().state, JobState::Cancelled);
}

/// Jobs left running when a store opens: its own (SQLite, one process) are queued again;
/// on a shared store (PostgreSQL) they are other processes', left to their leases.
fn expiry(s: &dyn Store) {
    s.set_progress("job_fresh", "w2", 2, 0.5, 0.5).unwrap();
    s.expire_leases().unwrap();
    let j = s.job("job_fresh").unwrap();
    match s.backend() {
        "sqlite" => {
            assert_eq!((j.state, j.worker.as_deref(), j.epoch), (JobState::Queued, None, 2));
            let message = "the server stopped during epoch 3; resumed from the checkpoint of epoch 2";
            assert_eq!(j.message.as_deref(), Some(message));
        }
        "postgres" => assert_eq!((j.state, j.worker.as_deref()), (JobState::Running, Some("w2"))),
        other => panic!("unknown backend {other}"),
    }
}

fn embeddings(s: &dyn Store, other: &dyn Store) {
    s.insert_embedding("emb_1", "job_early", "ds_b").unwrap();
    assert_eq!(other.embedding("emb_1").unwrap(), ("job_early".to_string(), "ds_b".to_string()));
    not_found(s.embedding("emb_nope"), "embedding", "emb_nope");
    database_error(s, s.insert_embedding("emb_1", "job_x", "ds_x"));
}

#[test]
fn the_store_contract_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (SqliteStore::open(dir.path()).unwrap(), SqliteStore::open(dir.path()).unwrap());
    assert_eq!(a.backend(), "sqlite");
    store_contract(&a, &b);
}

#[test]
fn the_store_contract_holds_on_postgres() {
    let Some(pg) = Postgres::start() else { return };
    // The second finds the schema there already.
    let (a, b) = (PostgresStore::open(&pg.url).unwrap(), PostgresStore::open(&pg.url).unwrap());
    assert_eq!(a.backend(), "postgres");
    store_contract(&a, &b);
}

#[track_caller]
fn schema_too_new(e: Error, backend: &str) {
    match &e {
        Error::Database { backend: b, message } if *b == backend => {
            let (head, tail) =
                ("the database's schema version 99 is newer than this build knows (", "); use a newer marble");
            assert!(message.starts_with(head) && message.ends_with(tail), "{message}");
        }
        other => panic!("expected a {backend} database error, got {other:?}"),
    }
    assert_eq!(e.code(), "database");
}

#[test]
fn a_schema_newer_than_this_build_is_the_same_error_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let file = dir.path().join("marble.sqlite3");
    rusqlite::Connection::open(&file).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
    schema_too_new(SqliteStore::open(dir.path()).err().expect("refused"), "sqlite");
    let Some(pg) = Postgres::start() else { return };
    drop(PostgresStore::open(&pg.url).unwrap());
    let mut client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    client.execute("INSERT INTO marble_schema_migrations (version) VALUES (99)", &[]).unwrap();
    schema_too_new(PostgresStore::open(&pg.url).err().expect("refused"), "postgres");
}

#[test]
fn an_sqlite_store_from_before_versioning_is_upgraded_in_place() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The schema as the first release wrote it: no user_version, no lease columns.
        let c = rusqlite::Connection::open(dir.path().join("marble.sqlite3")).unwrap();
        c.execute_batch(
            "CREATE TABLE datasets (id TEXT PRIMARY KEY, name TEXT, created INTEGER NOT NULL,
                 params TEXT NOT NULL, summary TEXT NOT NULL);
             CREATE TABLE jobs (id TEXT PRIMARY KEY, dataset TEXT NOT NULL, state TEXT NOT NULL,
                 epoch INTEGER NOT NULL, epochs INTEGER NOT NULL, train_loss REAL, val_loss REAL,
                 message TEXT, created INTEGER NOT NULL, params TEXT NOT NULL);
             CREATE TABLE embeddings (id TEXT PRIMARY KEY, model TEXT NOT NULL, dataset TEXT NOT NULL,
                 created INTEGER NOT NULL);
             INSERT INTO jobs VALUES ('job_old', 'ds_old', 'running', 7, 10, 1.0, 1.0, NULL, 1, '{}');",
        )
        .unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    store.expire_leases().unwrap();
    let j = store.job("job_old").unwrap();
    assert_eq!((j.state, j.epoch, j.attempts, j.worker.clone()), (JobState::Queued, 7, 0, None));
    assert!(j.message.unwrap().contains("resumed from the checkpoint of epoch 7"));
    let claim = store.claim("w", Duration::from_secs(5)).unwrap().unwrap();
    assert_eq!((claim.id.as_str(), claim.attempts), ("job_old", 1));
    drop(store);
    let version: i64 = rusqlite::Connection::open(dir.path().join("marble.sqlite3"))
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
}
