//! The data folder as an operator meets it: one owner per embedded store, a full queue that
//! says when to come back, and a full disk (a small tmpfs the test mounts) that refuses
//! writes with 507, leaves no partial file, lets deletes through and recovers without a
//! restart.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use marble::engine::*;
use marble::{Params, examples};

use crate::server::{problem, raw, serve_process, start};

fn marble_serve(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_marble"));
    c.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"]).arg(dir).env_remove("MARBLE_TOKEN");
    c
}

#[test]
fn a_second_process_on_one_data_folder_is_refused_and_a_killed_holder_releases_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = serve_process(dir.path());
    let url = first.url();
    let out = marble_serve(dir.path()).stdout(Stdio::piped()).stderr(Stdio::piped()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let pid = first.child.id();
    assert!(err.contains(&format!("pid {pid} on host")), "{err}");
    assert!(err.contains("--store postgres://"), "{err}");
    assert_eq!(err.matches("in use by").count(), 1, "said once: {err}");
    // The first is unaffected.
    assert_eq!(raw().get(format!("{url}/healthz")).call().unwrap().status().as_u16(), 200);
    let e = HttpEngine::with_token(&url, None);
    assert!(e.list_datasets().unwrap().is_empty());
    // kill -9: the OS releases the lock, and a new server starts on the folder.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let second = serve_process(dir.path());
    assert_eq!(raw().get(format!("{}/healthz", second.url())).call().unwrap().status().as_u16(), 200);
    // In one process, engines on one folder share the lock (a notebook cell run twice).
    drop(second);
    let a = LocalEngine::open(LocalOptions::new(dir.path())).unwrap();
    let b = LocalEngine::open(LocalOptions::new(dir.path())).unwrap();
    assert!(a.list_datasets().unwrap().is_empty() && b.list_datasets().unwrap().is_empty());
}

fn planar(n: usize, epochs: usize) -> NewDataset {
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS, n, 0);
    NewDataset::from_conditions(Some("planar"), &conds, Some(Params { k: 10, epochs, ..Params::default() }))
}

#[test]
fn a_full_queue_answers_429_with_retry_after_and_the_http_engine_waits_it_out() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |o| o.engine.max_queued = 1);
    let e = HttpEngine::with_token(&base, None);
    let d = e.create_dataset(&planar(60, 10_000)).unwrap();
    let fit = || FitRequest { dataset: d.id.clone(), params: None };
    let running = e.start_fit(&fit()).unwrap();
    while e.job(&running.id).unwrap().state == JobState::Queued {
        std::thread::sleep(Duration::from_millis(20));
    }
    let queued = e.start_fit(&fit()).unwrap();
    // Raw: 429, problem+json, Retry-After in seconds.
    let mut resp = raw()
        .post(format!("{base}/v1/jobs"))
        .header("content-type", "application/json")
        .send(format!(r#"{{"dataset": "{}"}}"#, d.id).as_bytes())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let wait: u64 = resp.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(problem(&mut resp)["code"], "queue_full");
    // Without a budget the engine gives up at once ...
    let impatient = HttpEngine::with_token(&base, None).with_retry_budget(Duration::ZERO);
    assert!(matches!(impatient.start_fit(&fit()), Err(marble::Error::QueueFull { queued: 1 })));
    // ... with one it waits, and gets in once the queue has room.
    let canceller = {
        let e = e.clone();
        let id = queued.id.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            e.cancel_job(&id).unwrap();
        })
    };
    let start = std::time::Instant::now();
    let third = e.start_fit(&fit()).unwrap();
    canceller.join().unwrap();
    assert!(start.elapsed() >= Duration::from_secs(wait), "waited {:?}", start.elapsed());
    assert_eq!(third.state, JobState::Queued);
    for id in [&running.id, &third.id] {
        e.cancel_job(id).unwrap();
    }
}

/// A tmpfs of `mib` MiB mounted on a temporary folder for the test, unmounted on drop; None
/// (with a note) where mounting is not allowed, unless MARBLE_REQUIRE_TMPFS is set (CI).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mib: u64) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            other => {
                let why = format!("{other:?}");
                assert!(std::env::var_os("MARBLE_REQUIRE_TMPFS").is_none(), "cannot mount a tmpfs: {why}");
                eprintln!("skipped: cannot mount a tmpfs here (needs root): {why}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

fn free_mib(p: &Path) -> u64 {
    marble::internals::disk::free_bytes(p).unwrap() >> 20
}

/// Fill the disk of `dir` with a ballast file until `leave` MiB are free.
fn ballast(dir: &Path, name: &str, leave: u64) -> PathBuf {
    use std::io::Write;
    let path = dir.join(name);
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
    let chunk = vec![7u8; 64 << 10];
    while marble::internals::disk::free_bytes(dir).unwrap() > (leave << 20) + chunk.len() as u64 {
        if f.write_all(&chunk).is_err() {
            break;
        }
    }
    f.sync_all().ok();
    path
}

/// A dataset of `n` random points per condition (incompressible: about n x 4 x 8 x 2 bytes).
fn noisy(n: usize) -> NewDatasetJson {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(n as u64);
    let conditions = (0..2)
        .map(|_| {
            let mut rows = |n: usize| Rows::from(ndarray::Array2::from_shape_fn((n, 2), |_| rng.random::<f64>()));
            ConditionData { anchor: Some(rows(n)), vector: Some(rows(n)), ..ConditionData::default() }
        })
        .collect();
    let params = serde_json::to_value(Params { k: 5, epochs: 1, ..Params::default() }).unwrap();
    NewDatasetJson { name: None, conditions, params: Some(params) }
}

fn post_dataset(base: &str, d: &NewDatasetJson) -> (u16, serde_json::Value) {
    let mut resp = raw()
        .post(format!("{base}/v1/datasets"))
        .header("content-type", "application/json")
        .send(serde_json::to_vec(d).unwrap().as_slice())
        .unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    (status, body)
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for sub in ["datasets", "runs", "embeddings"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            if name.contains("tmp") {
                found.push(format!("{sub}/{name}"));
            }
        }
    }
    found
}

#[test]
fn a_full_disk_answers_507_leaves_nothing_behind_and_recovers_after_a_delete() {
    let Some(fs) = Tmpfs::mount(24) else { return };
    let data = fs.path().join("data");
    let floor = 4;
    let base = start(&data, |o| o.engine.min_free_mib = floor);
    let ready = |base: &str| raw().get(format!("{base}/readyz")).call().unwrap().status().as_u16();
    assert_eq!(ready(&base), 200);
    // Fill to just above the floor, then upload until refused.
    let ballast = ballast(fs.path(), "ballast", floor + 2);
    let mut ids = Vec::new();
    let refused = loop {
        let (status, body) = post_dataset(&base, &noisy(4_000));
        match status {
            201 => ids.push(body["id"].as_str().unwrap().to_string()),
            _ => break (status, body),
        }
        assert!(ids.len() < 20, "never refused; {} MiB free", free_mib(fs.path()));
    };
    assert_eq!(refused.0, 507, "{}", refused.1);
    assert_eq!(refused.1["code"], "disk_full");
    let detail = refused.1["detail"].as_str().unwrap();
    assert!(detail.contains("MiB free") && detail.contains(&format!("at least {floor} MiB")), "{detail}");
    assert!(!detail.contains('/'), "no server path: {detail}");
    assert_eq!(ready(&base), 503);
    assert!(leftovers(&data).is_empty(), "{:?}", leftovers(&data));
    // Nothing below the floor: a fit is refused too.
    let e = HttpEngine::with_token(&base, None);
    if let Some(id) = ids.first() {
        let err = e.start_fit(&FitRequest { dataset: id.clone(), params: None }).unwrap_err();
        assert_eq!(err.code(), "disk_full", "{err}");
    }
    // Fill the disk to the last byte: a delete still goes through.
    let brim = self::ballast(fs.path(), "brim", 0);
    assert!(free_mib(fs.path()) < 1);
    for id in ids.drain(..) {
        e.delete_dataset(&id).unwrap();
    }
    std::fs::remove_file(&brim).unwrap();
    // After the deletes, writes work again without a restart.
    assert_eq!(ready(&base), 200, "{} MiB free", free_mib(fs.path()));
    let (status, body) = post_dataset(&base, &noisy(500));
    assert_eq!(status, 201, "{body}");
    // An upload larger than the space left fails as 507 mid-write, with no partial file.
    let _ = self::ballast(fs.path(), "more", floor + 1);
    let (status, body) = post_dataset(&base, &noisy(100_000));
    assert_eq!((status, body["code"].as_str()), (507, Some("disk_full")), "{body}");
    assert!(leftovers(&data).is_empty(), "{:?}", leftovers(&data));
    // An .npz streamed with no length fails as 507 once the disk nears the floor, and its
    // temporary file goes; one whose length does not fit is refused before it is sent.
    let npz = marble::dataset::io::npz_bytes(&NewDataset::try_from(noisy(70_000)).unwrap().conditions).unwrap();
    assert!(npz.len() as u64 > (free_mib(fs.path()) - floor) << 20, "{} bytes", npz.len());
    let sent = raw()
        .post(format!("{base}/v1/datasets"))
        .header("content-type", "application/octet-stream")
        .send(ureq::SendBody::from_reader(&mut &npz[..]));
    match sent {
        Ok(mut resp) => {
            let body: serde_json::Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
            assert_eq!((resp.status().as_u16(), body["code"].as_str()), (507, Some("disk_full")), "{body}");
        }
        // The server answers 507 and closes as soon as it stops reading; a client still
        // sending may see the connection go before it reads the answer (a known race).
        Err(ureq::Error::Io(e)) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {}
        Err(e) => panic!("the upload failed otherwise: {e}"),
    }
    assert!(leftovers(&data).is_empty(), "{:?}", leftovers(&data));
    let (status, answer) = crate::uploads::send_head(&base, npz.len());
    assert!(status == 507 && answer.contains("disk_full"), "{answer}");
    std::fs::remove_file(&ballast).unwrap();
}

#[test]
fn a_server_restarted_on_a_full_disk_comes_up_and_serves_reads() {
    let Some(fs) = Tmpfs::mount(16) else { return };
    let data = fs.path().join("data");
    let first = {
        let e = LocalEngine::open(LocalOptions { min_free_mib: 2, ..LocalOptions::new(&data) }).unwrap();
        e.create_dataset(&NewDataset::try_from(noisy(200)).unwrap()).unwrap()
    };
    let _brim = ballast(fs.path(), "brim", 0);
    let base = start(&data, |o| o.engine.min_free_mib = 2);
    let e = HttpEngine::with_token(&base, None);
    assert_eq!(e.dataset(&first.id).unwrap().id, first.id);
    assert_eq!(e.create_dataset(&NewDataset::try_from(noisy(200)).unwrap()).unwrap_err().code(), "disk_full");
}

#[test]
fn cli_errors_say_each_cause_once_and_name_the_key_meant() {
    let dir = tempfile::tempdir().unwrap();
    let marble = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_marble")).args(args).output().unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let missing = dir.path().join("missing.npz");
    let out = dir.path().join("out");
    let err = marble(&["dataset".as_ref(), "--data".as_ref(), missing.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
    let params = dir.path().join("p.json");
    std::fs::write(&params, r#"{"epocs": 5}"#).unwrap();
    let err = marble(&[
        "fit".as_ref(),
        "--example".as_ref(),
        "planar-fields".as_ref(),
        "--params".as_ref(),
        params.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(err.contains(r#"unknown field `epocs`; did you mean "epochs"?"#), "{err}");
    assert!(!err.contains("`delta`"), "the list of every key is gone: {err}");
}

#[test]
fn a_fit_stopped_by_a_full_disk_fails_clearly_and_resumes_once_space_is_freed() {
    let Some(fs) = Tmpfs::mount(24) else { return };
    let data = fs.path().join("data");
    let base = start(&data, |o| o.engine.min_free_mib = 2);
    let e = HttpEngine::with_token(&base, None);
    let d = e.create_dataset(&planar(60, 100_000)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    let at = |pred: &dyn Fn(&JobInfo) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let j = e.job(&job.id).unwrap();
            if pred(&j) {
                break j;
            }
            assert!(std::time::Instant::now() < deadline, "still {j:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    at(&|j| j.epoch >= 2);
    // The disk fills up under the running fit: its next checkpoint cannot be written.
    let brim = ballast(fs.path(), "brim", 0);
    let failed = at(&|j| j.state.is_terminal());
    assert_eq!(failed.state, JobState::Failed, "{failed:?}");
    let message = failed.message.clone().unwrap();
    assert!(message.contains("disk has") && message.contains("(disk_full)") && !message.contains('/'), "{message}");
    // The last good checkpoint is intact, and nothing half-written is left.
    let run = data.join("runs").join(&job.id);
    let ck: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("checkpoint.json")).unwrap()).unwrap();
    let done = ck["epochs_done"].as_u64().unwrap() as usize;
    assert!(done >= 2, "{ck}");
    assert!(
        leftovers(&data).is_empty()
            && !std::fs::read_dir(&run).unwrap().any(|f| { f.unwrap().file_name().to_string_lossy().contains("tmp") })
    );
    // Resuming is refused while the disk is full, and works once space is freed.
    assert_eq!(e.resume_job(&job.id).unwrap_err().code(), "disk_full");
    std::fs::remove_file(brim).unwrap();
    let resumed = e.resume_job(&job.id).unwrap();
    assert_eq!(resumed.state, JobState::Queued);
    let again = at(&|j| j.state == JobState::Running && j.epoch > done);
    assert!(again.message.unwrap().contains(&format!("from the checkpoint of epoch {}", failed.epoch)));
    assert_eq!(again.attempts, failed.attempts + 1);
    e.cancel_job(&job.id).unwrap();
}
