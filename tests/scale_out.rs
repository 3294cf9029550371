//! Many processes on one PostgreSQL store (a private server per test, see tests/pg.rs):
//! the engine on PostgreSQL as on SQLite, two workers and an API process sharing a queue, a
//! killed worker's fit taken over from its checkpoint, and two API processes sharing datasets.
//! The store's own rules are checked on both backends by tests/store.rs.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use marble::engine::*;
use marble::{Params, examples};

use crate::pg::Postgres;
use crate::server::{Process, scenario};

fn spawn(args: &[&str], store: &str, data: &std::path::Path) -> Process {
    spawn_with(args, store, data, &[])
}

fn spawn_with(args: &[&str], store: &str, data: &std::path::Path, env: &[(&str, &str)]) -> Process {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    all.extend(["--store", store, "--data-dir"].map(std::ffi::OsStr::new));
    all.push(data.as_os_str());
    Process::spawn(&all, env)
}

fn api(store: &str, data: &std::path::Path) -> (Process, HttpEngine) {
    let p = spawn(&["serve", "--addr", "127.0.0.1:0", "--workers", "0"], store, data);
    let e = HttpEngine::with_token(&p.url(), None);
    (p, e)
}

/// The name in leases of a worker process's first worker thread.
fn worker_name(p: &Process) -> String {
    format!("{}-0", p.first.split_whitespace().nth(1).unwrap())
}

/// What [`kill_the_runner`] saw.
struct Takeover {
    /// The job just after the takeover.
    job: JobInfo,
    /// The killed worker's name.
    killed: String,
    /// From the kill to the takeover.
    after: Duration,
    /// The worker that took the job over, alive as long as this is.
    _survivor: Process,
}

/// Waits until `job` has 3 epochs done on one of `workers`, kills that worker with SIGKILL
/// (no goodbye: its lease has to expire) and waits until the other has taken the job over
/// and gone past the epoch of the kill, checking all along that the epoch never goes back.
fn kill_the_runner(e: &HttpEngine, job: &str, workers: [(Process, String); 2]) -> Takeover {
    let (running, epoch) = loop {
        let j = e.job(job).unwrap();
        if j.epoch >= 3 {
            break (j.worker.unwrap(), j.epoch);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let [(w1, name1), (w2, name2)] = workers;
    let ((mut victim, _), (alive, survivor)) =
        if running == name1 { ((w1, name1), (w2, name2)) } else { ((w2, name2), (w1, name1)) };
    victim.child.kill().unwrap();
    victim.child.wait().unwrap();
    let killed = Instant::now();
    loop {
        let j = e.job(job).unwrap();
        assert!(j.epoch >= epoch, "the epoch went back from {epoch} to {}", j.epoch);
        if j.worker.as_deref() == Some(survivor.as_str()) && j.epoch > epoch {
            return Takeover { job: j, killed: running, after: killed.elapsed(), _survivor: alive };
        }
        assert!(killed.elapsed() < Duration::from_secs(60), "not taken over: {j:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A worker process and its name in leases.
fn worker(store: &str, data: &std::path::Path, lease_s: &str) -> (Process, String) {
    let p = spawn(&["worker", "--lease-s", lease_s], store, data);
    let name = worker_name(&p);
    (p, name)
}

fn dataset(epochs: usize) -> NewDataset {
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0);
    NewDataset::from_conditions(Some("planar"), &conds, Some(Params { k: 10, epochs, ..Params::default() }))
}

#[test]
fn the_engine_gives_the_same_results_on_postgres_as_on_sqlite() {
    let Some(pg) = Postgres::start() else { return };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let on_pg = LocalEngine::open(LocalOptions { store: Some(pg.url.clone()), ..LocalOptions::new(a.path()) }).unwrap();
    assert_eq!(on_pg.backend(), "postgres");
    let on_sqlite = LocalEngine::open(LocalOptions::new(b.path())).unwrap();
    let (d1, m1, e1, a1, s1) = scenario(&on_pg);
    let (d2, m2, e2, a2, s2) = scenario(&on_sqlite);
    let untimed = |d: &DatasetInfo| marble::dataset::Summary { timings: vec![], ..d.summary.clone() };
    assert_eq!(untimed(&d1), untimed(&d2));
    assert_eq!(m1.losses, m2.losses);
    assert_eq!(e1.embedding, e2.embedding);
    assert_eq!(a1.distances, a2.distances);
    assert_eq!(s1.len(), s2.len());
}

#[test]
fn two_workers_and_an_api_process_run_each_queued_fit_once() {
    let Some(pg) = Postgres::start() else { return };
    let shared = tempfile::tempdir().unwrap();
    let (_api, e) = api(&pg.url, shared.path());
    let (_w1, name1) = worker(&pg.url, shared.path(), "5");
    let (_w2, name2) = worker(&pg.url, shared.path(), "5");
    let d = e.create_dataset(&dataset(3)).unwrap();
    let params = |seed: u64| Params { k: 10, epochs: 3, seed, ..Params::default() };
    let jobs: Vec<JobInfo> = (0..8)
        .map(|seed| e.start_fit(&FitRequest { dataset: d.id.clone(), params: Some(params(seed)) }).unwrap())
        .collect();
    let mut ran_on = std::collections::BTreeMap::new();
    for j in &jobs {
        let done = e.wait(&j.id, Duration::from_secs(300)).unwrap();
        assert_eq!(done.state, JobState::Succeeded, "{done:?}");
        assert_eq!(done.attempts, 1, "claimed once: {done:?}");
        let w = done.worker.clone().unwrap();
        assert!(w == name1 || w == name2, "{w} is neither {name1} nor {name2}");
        *ran_on.entry(w).or_insert(0) += 1;
    }
    eprintln!("jobs per worker: {ran_on:?}");
    // The same seeds in one process give the same models.
    let single = tempfile::tempdir().unwrap();
    let local = LocalEngine::open(LocalOptions::new(single.path())).unwrap();
    let d0 = local.create_dataset(&dataset(3)).unwrap();
    for (seed, j) in jobs.iter().enumerate().step_by(3) {
        let here = local.start_fit(&FitRequest { dataset: d0.id.clone(), params: Some(params(seed as u64)) }).unwrap();
        local.wait(&here.id, Duration::from_secs(120)).unwrap();
        assert_eq!(local.model(&here.id).unwrap().losses, e.model(&j.id).unwrap().losses, "seed {seed}");
    }
}

#[test]
fn a_killed_worker_s_fit_is_taken_over_from_its_checkpoint() {
    let Some(pg) = Postgres::start() else { return };
    let shared = tempfile::tempdir().unwrap();
    let (_api, e) = api(&pg.url, shared.path());
    let workers = [worker(&pg.url, shared.path(), "2"), worker(&pg.url, shared.path(), "2")];
    let d = e.create_dataset(&dataset(100_000)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    let taken = kill_the_runner(&e, &job.id, workers);
    eprintln!("taken over {:.2} s after the kill (lease 2 s)", taken.after.as_secs_f64());
    assert_eq!(taken.job.state, JobState::Running);
    assert_eq!(taken.job.attempts, 2);
    let message = taken.job.message.unwrap();
    assert!(message.contains(&taken.killed) && message.contains("resumed from the checkpoint of epoch"), "{message}");
    // Cancel reaches the worker that now runs it, in another process.
    e.cancel_job(&job.id).unwrap();
    let j = e.wait(&job.id, Duration::from_secs(30)).unwrap();
    assert_eq!(j.state, JobState::Cancelled, "{j:?}");
}

#[test]
fn two_api_processes_share_datasets_and_jobs() {
    let Some(pg) = Postgres::start() else { return };
    let shared = tempfile::tempdir().unwrap();
    let (_a, one) = api(&pg.url, shared.path());
    let (_b, two) = api(&pg.url, shared.path());
    let (_w, _) = worker(&pg.url, shared.path(), "5");
    let d = one.create_dataset(&dataset(2)).unwrap();
    assert_eq!(two.dataset(&d.id).unwrap(), d);
    let job = two.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    assert_eq!(one.wait(&job.id, Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
    let emb = one.transform(&TransformRequest { model: job.id.clone(), dataset: d.id.clone() }).unwrap();
    assert_eq!(two.embedding(&emb.id).unwrap(), emb);
    assert_eq!(two.plot(&job.id, PlotKind::Distances).unwrap(), one.plot(&job.id, PlotKind::Distances).unwrap());
}

/// An S3-compatible server for a test: moto's `moto_server` (`MARBLE_S3_SERVER` names it;
/// .ci/run installs it), on a free port, with one bucket.
struct S3 {
    child: Child,
    env: Vec<(&'static str, String)>,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3 {
    fn start(bucket: &str) -> Option<S3> {
        let server = crate::external_tool("MARBLE_S3_SERVER", "MARBLE_REQUIRE_S3", "moto's moto_server command")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let endpoint = format!("http://127.0.0.1:{port}");
        let agent = crate::server::raw();
        let start = Instant::now();
        while agent.put(format!("{endpoint}/{bucket}")).send_empty().map(|r| r.status().as_u16() >= 300).unwrap_or(true)
        {
            assert!(start.elapsed() < Duration::from_secs(30), "moto_server did not start on {endpoint}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let env = vec![
            ("AWS_ENDPOINT", endpoint),
            ("AWS_ALLOW_HTTP", "true".to_string()),
            ("AWS_ACCESS_KEY_ID", "marble".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "marble".to_string()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
        ];
        Some(S3 { child, env })
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

#[test]
fn machines_sharing_no_folder_work_through_an_object_store() {
    let Some(pg) = Postgres::start() else { return };
    let Some(s3) = S3::start("marble-test") else { return };
    let env = s3.env();
    let bucket = "s3://marble-test/lab";
    // Every process has a folder of its own: only PostgreSQL and the bucket are shared.
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let api = spawn_with(
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0", "--artifacts", bucket],
        &pg.url,
        a.path(),
        &env,
    );
    let e = HttpEngine::with_token(&api.url(), None);
    let w1 = spawn_with(&["worker", "--lease-s", "2", "--artifacts", bucket], &pg.url, b.path(), &env);
    let w2 = spawn_with(&["worker", "--lease-s", "2", "--artifacts", bucket], &pg.url, c.path(), &env);
    let (name1, name2) = (worker_name(&w1), worker_name(&w2));

    let d = e.create_dataset(&dataset(2)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    let done = e.wait(&job.id, Duration::from_secs(120)).unwrap();
    assert_eq!(done.state, JobState::Succeeded, "{done:?}");
    // The API process never ran the fit, yet serves its model, figures and embeddings.
    assert!(e.model(&job.id).unwrap().losses.train_loss.len() == 2);
    assert!(e.plot(&job.id, PlotKind::Distances).unwrap().contains("<svg"));
    let emb = e.transform(&TransformRequest { model: job.id.clone(), dataset: d.id.clone() }).unwrap();
    assert_eq!(e.embedding(&emb.id).unwrap(), emb);
    let local = a.path().join("runs").join(&job.id);
    assert!(local.join("model.npz").exists(), "the API process fetched the model");
    assert!(!local.join("checkpoint.json").exists(), "reading a finished model fetches no checkpoint");
    let ran = if done.worker.as_deref() == Some(name1.as_str()) { b.path() } else { c.path() };
    assert!(ran.join("datasets").join(format!("{}.npz", d.id)).exists(), "the worker fetched the dataset");

    // A worker killed mid-fit: the other one, on its own folder, resumes from the checkpoint
    // the first published.
    let long = e
        .start_fit(&FitRequest {
            dataset: d.id.clone(),
            params: Some(Params { k: 10, epochs: 100_000, ..Params::default() }),
        })
        .unwrap();
    let taken = kill_the_runner(&e, &long.id, [(w1, name1), (w2, name2)]);
    assert!(taken.job.message.unwrap().contains("resumed from the checkpoint of epoch"));
    e.cancel_job(&long.id).unwrap();
    assert_eq!(e.wait(&long.id, Duration::from_secs(30)).unwrap().state, JobState::Cancelled);

    // Deleting a dataset removes its object too: another process cannot fetch it any more.
    let spare = e.create_dataset(&dataset(2)).unwrap();
    let key = format!("{}/marble-test/lab/datasets/{}.npz", s3.env[0].1, spare.id);
    // Unsigned, moto answers 403 for a private object that exists and 404 for a missing one.
    assert_eq!(crate::server::raw().get(&key).call().unwrap().status().as_u16(), 403, "{key} was not uploaded");
    e.delete_dataset(&spare.id).unwrap();
    let resp = crate::server::raw().get(&key).call().unwrap();
    assert_eq!(resp.status().as_u16(), 404, "{key} is still there");
}

fn terminate(p: &mut Process) -> std::process::ExitStatus {
    let ok = Command::new("kill").args(["-TERM", &p.child.id().to_string()]).status().unwrap().success();
    assert!(ok);
    let start = Instant::now();
    loop {
        if let Some(status) = p.child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_stopped_worker_gives_its_fit_back_and_processes_stop_cleanly() {
    let Some(pg) = Postgres::start() else { return };
    let shared = tempfile::tempdir().unwrap();
    let (mut api, e) = api(&pg.url, shared.path());
    // Long leases: the hand-over below must not wait for one to expire.
    let (w1, name1) = worker(&pg.url, shared.path(), "60");
    let d = e.create_dataset(&dataset(100_000)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    let epoch = loop {
        let j = e.job(&job.id).unwrap();
        if j.epoch >= 2 {
            assert_eq!(j.worker.as_deref(), Some(name1.as_str()));
            break j.epoch;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut w1 = w1;
    assert!(terminate(&mut w1).success(), "the worker stops cleanly on SIGTERM");
    let j = e.job(&job.id).unwrap();
    assert_eq!(j.state, JobState::Queued, "given back to the queue: {j:?}");
    let (_w2, name2) = worker(&pg.url, shared.path(), "60");
    let start = Instant::now();
    loop {
        let j = e.job(&job.id).unwrap();
        if j.worker.as_deref() == Some(name2.as_str()) && j.epoch > epoch {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not picked up again: {j:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    e.cancel_job(&job.id).unwrap();
    assert_eq!(e.wait(&job.id, Duration::from_secs(30)).unwrap().state, JobState::Cancelled);
    // The API process, on PostgreSQL, stops cleanly too.
    assert!(terminate(&mut api).success());
}

#[test]
fn workers_and_api_only_servers_need_a_shared_store() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["worker"][..], &["serve", "--workers", "0"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_marble"))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("MARBLE_STORE")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--store postgres://"), "{err}");
    }
}

#[test]
fn a_fit_taken_over_after_its_last_epoch_trains_no_more() {
    // A worker that stops after training but before its job is marked done (saving, the
    // analysis): the next one restores the best model from the checkpoint instead of training
    // all the epochs again.
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let e = LocalEngine::open(LocalOptions::new(dir.path())).unwrap();
        let d = e.create_dataset(&dataset(4)).unwrap();
        let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
        assert_eq!(e.wait(&job.id, Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
        e.shutdown();
        job.id
    };
    let before = std::fs::read(dir.path().join("runs").join(&id).join("model.npz")).unwrap();
    rusqlite::Connection::open(dir.path().join("marble.sqlite3"))
        .unwrap()
        .execute("UPDATE jobs SET state = 'running' WHERE id = ?1", [&id])
        .unwrap();
    let e = LocalEngine::open(LocalOptions::new(dir.path())).unwrap();
    let j = e.wait(&id, Duration::from_secs(120)).unwrap();
    assert_eq!((j.state, j.epoch, j.attempts), (JobState::Succeeded, 4, 2), "{j:?}");
    let m = e.model(&id).unwrap();
    assert_eq!(m.losses.train_loss.len(), 4, "trained again: {:?}", m.losses);
    let after = std::fs::read(dir.path().join("runs").join(&id).join("model.npz")).unwrap();
    assert_eq!(before, after, "the restored model is the one the first run saved");
}

#[test]
fn a_paused_worker_that_lost_its_lease_stands_down() {
    // SIGSTOP stands for a worker cut off (a long GC pause, a network partition): its lease
    // expires and the job moves on; when it wakes up it must not write over the new owner.
    let Some(pg) = Postgres::start() else { return };
    let shared = tempfile::tempdir().unwrap();
    let (_api, e) = api(&pg.url, shared.path());
    let (w1, name1) = worker(&pg.url, shared.path(), "2");
    let d = e.create_dataset(&dataset(100_000)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    while e.job(&job.id).unwrap().epoch < 2 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let signal = |sig: &str, p: &Process| {
        assert!(Command::new("kill").args([sig, &p.child.id().to_string()]).status().unwrap().success())
    };
    signal("-STOP", &w1);
    let (_w2, name2) = worker(&pg.url, shared.path(), "2");
    let start = Instant::now();
    let epoch = loop {
        let j = e.job(&job.id).unwrap();
        if j.worker.as_deref() == Some(name2.as_str()) && j.epoch >= 1 {
            break j.epoch;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not taken over: {j:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    signal("-CONT", &w1);
    // For several of the old owner's heartbeats, the job stays the new owner's and goes on.
    let mut last = epoch;
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(3) {
        let j = e.job(&job.id).unwrap();
        assert_eq!(j.worker.as_deref(), Some(name2.as_str()), "{name1} took it back: {j:?}");
        assert!(j.epoch >= last, "the epoch went back from {last} to {}", j.epoch);
        assert_eq!(j.state, JobState::Running);
        last = j.epoch;
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(last > epoch, "the new owner made progress");
    e.cancel_job(&job.id).unwrap();
    assert_eq!(e.wait(&job.id, Duration::from_secs(30)).unwrap().state, JobState::Cancelled);
}
