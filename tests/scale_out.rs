//! Many processes on one PostgreSQL store (a private server per test, see tests/pg.rs):
//! the contract suite on PostgreSQL, two workers and an API process sharing a queue, a killed
//! worker's fit taken over from its checkpoint, and two API processes sharing datasets.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use marble::engine::*;
use marble::{Params, examples};

use crate::pg::Postgres;
use crate::server::scenario;

/// A `marble serve` or `marble worker` process, killed on drop.
struct Process {
    child: Child,
    /// The first line it printed (the address, or the worker's name).
    first: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str], store: &str, data: &std::path::Path) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_marble"))
        .args(args)
        .args(["--store", store, "--data-dir"])
        .arg(data)
        .env_remove("MARBLE_TOKEN")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    Process { child, first }
}

fn api(store: &str, data: &std::path::Path) -> (Process, HttpEngine) {
    let p = spawn(&["serve", "--addr", "127.0.0.1:0", "--workers", "0"], store, data);
    let url = p.first.split_whitespace().nth(2).unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{}", p.first);
    let e = HttpEngine::with_token(&url, None);
    (p, e)
}

/// A worker process; its name in leases is `host-pid-0`.
fn worker(store: &str, data: &std::path::Path, lease_s: &str) -> (Process, String) {
    let p = spawn(&["worker", "--lease-s", lease_s], store, data);
    let name = p.first.split_whitespace().nth(1).unwrap().to_string();
    (p, format!("{name}-0"))
}

fn dataset(epochs: usize) -> NewDataset {
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0);
    NewDataset::from_conditions(Some("planar"), &conds, Some(Params { k: 10, epochs, ..Params::default() }))
}

#[test]
fn the_contract_suite_passes_on_postgres_as_on_sqlite() {
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
    // Listing, deleting and the errors behave the same.
    assert_eq!(on_pg.list_datasets().unwrap().len(), 1);
    assert_eq!(on_pg.delete_dataset("ds_nope").unwrap_err().code(), "not_found");
    let busy = on_pg
        .start_fit(&FitRequest {
            dataset: d1.id.clone(),
            params: Some(Params { epochs: 100_000, k: 10, ..Params::default() }),
        })
        .unwrap();
    assert_eq!(on_pg.delete_dataset(&d1.id).unwrap_err().code(), "conflict");
    on_pg.cancel_job(&busy.id).unwrap();
    let j = on_pg.wait(&busy.id, Duration::from_secs(60)).unwrap();
    assert_eq!(j.state, JobState::Cancelled);
    on_pg.delete_dataset(&d1.id).unwrap();
    assert_eq!(on_pg.dataset(&d1.id).unwrap_err().code(), "not_found");
    // A second engine on the same database sees the same records (schema already there).
    let again =
        LocalEngine::open(LocalOptions { store: Some(pg.url.clone()), workers: 0, ..LocalOptions::new(a.path()) })
            .unwrap();
    assert_eq!(again.job(&busy.id).unwrap().state, JobState::Cancelled);
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
    let (w1, name1) = worker(&pg.url, shared.path(), "2");
    let (w2, name2) = worker(&pg.url, shared.path(), "2");
    let d = e.create_dataset(&dataset(100_000)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    let (running, epoch) = loop {
        let j = e.job(&job.id).unwrap();
        if j.epoch >= 3 {
            break (j.worker.unwrap(), j.epoch);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut victim, survivor) = if running == name1 { (w1, name2) } else { (w2, name1) };
    victim.child.kill().unwrap(); // SIGKILL: no goodbye, the lease has to expire
    victim.child.wait().unwrap();
    let killed = Instant::now();
    let mut lowest_after = usize::MAX;
    let taken = loop {
        let j = e.job(&job.id).unwrap();
        lowest_after = lowest_after.min(j.epoch);
        if j.worker.as_deref() == Some(survivor.as_str()) && j.epoch > epoch {
            break j;
        }
        assert!(killed.elapsed() < Duration::from_secs(60), "not taken over: {j:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!("taken over {:.2} s after the kill (lease 2 s)", killed.elapsed().as_secs_f64());
    assert!(lowest_after >= epoch, "the epoch went back from {epoch} to {lowest_after}");
    assert_eq!(taken.state, JobState::Running);
    assert_eq!(taken.attempts, 2);
    let message = taken.message.unwrap();
    assert!(message.contains(&running) && message.contains("resumed from the checkpoint of epoch"), "{message}");
    // Cancel reaches the worker that now runs it, in another process.
    e.cancel_job(&job.id).unwrap();
    let j = e.wait(&job.id, Duration::from_secs(30)).unwrap();
    assert_eq!(j.state, JobState::Cancelled, "{j:?}");
    drop(victim);
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
