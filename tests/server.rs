//! The REST API on a real server (127.0.0.1, port 0), the HTTP engine against the local one,
//! restarts, bad requests and the OpenAPI document.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use marble::analysis::AnalysisParams;
use marble::engine::*;
use marble::server::{ServerOptions, spawn};
use marble::{Params, examples};

pub(crate) fn start(dir: &std::path::Path, tweak: impl FnOnce(&mut ServerOptions)) -> String {
    let mut options = ServerOptions::new(dir);
    options.token = None;
    tweak(&mut options);
    let addr = spawn("127.0.0.1:0".parse::<SocketAddr>().unwrap(), options).unwrap();
    format!("http://{addr}")
}

fn small_params(epochs: usize) -> Params {
    Params { k: 10, epochs, ..Params::default() }
}

fn new_dataset(epochs: usize) -> NewDataset {
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0);
    NewDataset::from_conditions(Some("planar"), &conds, Some(small_params(epochs)))
}

/// The scenario a user runs, on any engine.
pub(crate) fn scenario(e: &dyn Engine) -> (DatasetInfo, ModelInfo, EmbeddingInfo, AnalysisInfo, String) {
    let d = e.create_dataset(&new_dataset(3)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    assert_eq!(job.state, JobState::Queued);
    let done = e.wait(&job.id, Duration::from_secs(120)).unwrap();
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.message);
    assert_eq!(done.epoch, 3);
    let model = e.model(&job.id).unwrap();
    let emb = e.transform(&TransformRequest { model: job.id.clone(), dataset: d.id.clone() }).unwrap();
    assert_eq!(e.embedding(&emb.id).unwrap(), emb);
    let analysis = e.analyze(&job.id, &AnalysisParams { n_clusters: 4, ..AnalysisParams::default() }).unwrap();
    let svg = e.plot(&job.id, PlotKind::Distances).unwrap();
    (d, model, emb, analysis, svg)
}

/// What a lean notebook kernel (no `server` feature) does for `server::spawn`: the same API
/// from a `marble serve` child process.
#[test]
fn a_server_in_a_child_process_serves_the_api_and_says_why_it_cannot_start() {
    use marble::internals::server_process::spawn_with;
    let marble = std::path::Path::new(env!("CARGO_BIN_EXE_marble"));
    let dir = tempfile::tempdir().unwrap();
    let mut options = ServerOptions::new(dir.path().join("data"));
    options.token = None;
    let addr = spawn_with(marble, "127.0.0.1:0".parse().unwrap(), options.clone()).unwrap();
    let (d, _, emb, analysis, svg) = scenario(&HttpEngine::with_token(&format!("http://{addr}"), None));
    assert_eq!((d.summary.n_points, emb.embedding.len(), analysis.distances.len()), (240, 240, 4));
    roxmltree::Document::parse(&svg).unwrap();
    // The child wrote into the folder it was given.
    assert!(dir.path().join("data/datasets").join(format!("{}.npz", d.id)).is_file());
    // What `marble serve` refuses comes back as the error, in its own words.
    let mut bad = options.clone();
    bad.engine.workers = 0;
    let err = spawn_with(marble, "127.0.0.1:0".parse().unwrap(), bad).unwrap_err().to_string();
    assert!(err.contains("--workers 0") && err.contains("postgres"), "{err}");
    // No program: the error says how to name one.
    let err =
        spawn_with(&dir.path().join("no-marble"), "127.0.0.1:0".parse().unwrap(), options).unwrap_err().to_string();
    assert!(err.contains("MARBLE_BIN") && err.contains("no-marble"), "{err}");
}

/// `marble serve --until-stdin-closes` stops when the process that started it goes.
#[test]
fn serve_stops_when_its_standard_input_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_marble"))
        .args(["serve", "--until-stdin-closes", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on http://"), "{line}");
    assert!(child.try_wait().unwrap().is_none(), "serving while its input is open");
    drop(child.stdin.take());
    let t0 = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "still serving 10 s after its input closed");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

pub(crate) fn raw() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

pub(crate) fn problem(resp: &mut ureq::http::Response<ureq::Body>) -> serde_json::Value {
    let ct = resp.headers().get("content-type").unwrap().to_str().unwrap().to_string();
    assert_eq!(ct, "application/problem+json");
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

#[test]
fn bad_requests_get_problem_json_4xx_never_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |o| o.max_body = 64 << 10);
    let agent = raw();
    // A fresh connection per request: a server closes the connection after a 413 (or when
    // idle), and a request sent into a pooled connection it is closing fails under load.
    let post = |path: &str, ct: &str, body: &str| {
        raw()
            .post(format!("{base}{path}"))
            .header("content-type", ct)
            .send(body.as_bytes())
            .unwrap_or_else(|e| panic!("{path} {ct} {body:.80}: {e}"))
    };
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        ("/v1/datasets", "application/json", "{\"conditions\": [".into(), 400, "bad_request"),
        // Off the schema: 400 on every route, as for /v1/jobs below (one typed extractor).
        ("/v1/datasets", "application/json", r#"{"conditions": [], "colour": 1}"#.into(), 400, "bad_request"),
        (
            "/v1/datasets",
            "application/json",
            r#"{"conditions": [{"anchor": [[0, 0], ["NaN", 1]], "vector": [[1, 0], [1, 0]]}]}"#.into(),
            400,
            "bad_request",
        ),
        (
            "/v1/datasets",
            "application/json",
            r#"{"conditions": [{"anchor": [[0, 0], [null, 1]], "vector": [[1, 0], [1, 0]]}]}"#.into(),
            400,
            "bad_request",
        ),
        (
            "/v1/datasets",
            "application/json",
            r#"{"conditions": [{"anchor": [[0, 0], [1]], "vector": [[1, 0], [1, 0]]}]}"#.into(),
            422,
            "ragged",
        ),
        (
            "/v1/datasets",
            "application/json",
            r#"{"conditions": [{"anchor": [[0, 0], [1, 1]], "vector": [[1, 0], [1, 0]]}], "params": {"kk": 3}}"#.into(),
            400,
            "bad_request",
        ),
        ("/v1/datasets", "text/plain", "hello".into(), 415, "unsupported_media_type"),
        (
            "/v1/datasets",
            "application/json",
            // Just over the limit.
            format!("{{\"name\": \"{}\"}}", "x".repeat((64 << 10) + 16)),
            413,
            "body_too_large",
        ),
        ("/v1/jobs", "application/json", r#"{"dataset": "ds_1", "epochs": 3}"#.into(), 400, "bad_request"),
        ("/v1/jobs", "application/json", r#"{"dataset": "ds_nope"}"#.into(), 404, "not_found"),
        ("/v1/jobs", "text/plain", r#"{"dataset": "ds_nope"}"#.into(), 415, "unsupported_media_type"),
        ("/v1/embeddings", "application/json", r#"{"model": "job_x", "dataset": "ds_y"}"#.into(), 404, "not_found"),
        ("/v1/models/job_x/analyses", "application/json", r#"{"n_clusters": "many"}"#.into(), 400, "bad_request"),
        ("/v1/models/job_x/analyses", "application/json", r#"{"n_clusters": 3}"#.into(), 404, "not_found"),
        // JSON Schema's integers include 3.0 and 3e0; 3.5 is not one.
        (
            "/v1/models/job_x/analyses",
            "application/json",
            r#"{"n_clusters": 3.0, "seed": 1e3}"#.into(),
            404,
            "not_found",
        ),
        ("/v1/models/job_x/analyses", "application/json", r#"{"n_clusters": 3.5}"#.into(), 400, "bad_request"),
    ];
    for (path, ct, body, status, code) in cases {
        let mut resp = post(path, ct, &body);
        assert_eq!(resp.status().as_u16(), status, "{path} {body:.80}");
        if status == 413 {
            // The rest of the body is never read: the server closes, and says so.
            assert_eq!(resp.headers().get("connection").map(|v| v.to_str().unwrap()), Some("close"));
        }
        let p = problem(&mut resp);
        assert_eq!(p["code"], code, "{path} {body:.80}: {p}");
        assert!(!p["detail"].as_str().unwrap().is_empty());
    }
    // An upload that is not an .npz speaks of the body, never of a server path.
    let garbage = problem(&mut post("/v1/datasets", "application/octet-stream", "hello"));
    assert_eq!(garbage["code"], "input_format", "{garbage}");
    let detail = garbage["detail"].as_str().unwrap();
    assert!(detail.starts_with("the uploaded body: not a readable .npz archive") && !detail.contains('/'), "{detail}");
    let misspelt =
        problem(&mut post("/v1/datasets?parameters=%7B%22epochz%22%3A3%7D", "application/octet-stream", "x"));
    assert!(misspelt["detail"].as_str().unwrap().contains(r#"did you mean "epochs"?"#), "{misspelt}");
    // The detail says where in the body the mistake is.
    let at = |body: &str| problem(&mut post("/v1/datasets", "application/json", body))["detail"].to_string();
    let null = at(r#"{"conditions": [{"anchor": [[0, 0], [null, 1]], "vector": [[1, 0], [1, 0]]}]}"#);
    assert!(null.contains("conditions[0].anchor[1][0]"), "{null}");
    let unknown = at(r#"{"conditions": [{"anchor": [[0, 0]], "vektor": [[1, 0]]}]}"#);
    assert!(unknown.contains("conditions[0]") && unknown.contains("`vektor`"), "{unknown}");
    // Trajectories are taken as in JSON files.
    let traj = r#"{"conditions": [{"trajectories": [[[0, 0], [1, 0], [2, 1], [3, 3], [4, 6], [5, 10], [6, 15]]]}],
                   "params": {"k": 3}}"#;
    let mut resp = post("/v1/datasets", "application/json", traj);
    assert_eq!(resp.status().as_u16(), 201, "{}", resp.body_mut().read_to_string().unwrap());
    for path in ["/v1/datasets/ds_x", "/v1/jobs/job_x", "/v1/models/job_x", "/v1/embeddings/emb_x", "/v1/nothing"] {
        let mut resp = agent.get(format!("{base}{path}")).call().unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{path}");
        assert_eq!(problem(&mut resp)["code"], "not_found");
    }
    let mut resp = agent.get(format!("{base}/v1/models/job_x/plots/pie")).call().unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    assert_eq!(problem(&mut resp)["code"], "unknown_name");
}

#[test]
fn a_token_guards_every_route_but_healthz_and_progress_streams() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |o| o.token = Some("s3cret".into()));
    let agent = raw();
    assert_eq!(agent.get(format!("{base}/healthz")).call().unwrap().status().as_u16(), 200);
    for path in ["/v1/datasets", "/openapi.json", "/docs/"] {
        let mut resp = agent.get(format!("{base}{path}")).call().unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{path}");
        assert_eq!(problem(&mut resp)["code"], "unauthorized");
    }
    let e = HttpEngine::with_token(&base, Some("s3cret".into()));
    assert!(e.list_datasets().unwrap().is_empty());
    assert_eq!(HttpEngine::with_token(&base, None).list_datasets().unwrap_err().code(), "unauthorized");
    // Progress as server-sent events, ending with the terminal state.
    let d = e.create_dataset(&new_dataset(2)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id, params: None }).unwrap();
    let mut resp =
        agent.get(format!("{base}/v1/jobs/{}/events", job.id)).header("Authorization", "Bearer s3cret").call().unwrap();
    assert_eq!(resp.headers().get("content-type").unwrap(), "text/event-stream");
    let text = resp.body_mut().read_to_string().unwrap();
    let last = text.lines().rfind(|l| l.starts_with("data:")).unwrap();
    let last: JobInfo = serde_json::from_str(last.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(last.state, JobState::Succeeded);
    assert!(text.contains("event: progress"));
}

/// A `marble` process (`serve` or `worker`), killed on drop.
pub(crate) struct Process {
    pub(crate) child: Child,
    /// The first line it printed: the address it serves, or the worker's name.
    pub(crate) first: String,
}

impl Process {
    /// Run `marble ARGS` with `env` (and no MARBLE_TOKEN) until it has said its first line.
    pub(crate) fn spawn(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_marble"))
            .args(args)
            .env_remove("MARBLE_TOKEN")
            // Warnings only: a line per request would drown the test's own output.
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        Process { child, first }
    }

    /// The base URL a `serve` process said it listens on.
    pub(crate) fn url(&self) -> String {
        let url = self.first.split_whitespace().nth(2).unwrap_or_default().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{}", self.first);
        url
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `marble serve` on a free port of 127.0.0.1, with its store in `dir`.
pub(crate) fn serve_process(dir: &std::path::Path) -> Process {
    let args = ["serve", "--addr", "127.0.0.1:0", "--data-dir"].map(std::ffi::OsStr::new);
    Process::spawn(&[&args[..], &[dir.as_os_str()]].concat(), &[])
}

#[test]
fn a_killed_server_keeps_its_data_and_resumes_the_interrupted_job() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_process(dir.path());
    let e = HttpEngine::with_token(&server.url(), None);
    let d = e.create_dataset(&new_dataset(2)).unwrap();
    let finished = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    assert_eq!(e.wait(&finished.id, Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
    let before = e.transform(&TransformRequest { model: finished.id.clone(), dataset: d.id.clone() }).unwrap();
    let long = e.start_fit(&FitRequest { dataset: d.id.clone(), params: Some(small_params(100_000)) }).unwrap();
    let epoch = loop {
        let j = e.job(&long.id).unwrap();
        if j.epoch >= 2 {
            break j.epoch;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();

    let again = serve_process(dir.path());
    let e = HttpEngine::with_token(&again.url(), None);
    assert_eq!(e.dataset(&d.id).unwrap(), d);
    let after = e.transform(&TransformRequest { model: finished.id.clone(), dataset: d.id.clone() }).unwrap();
    assert_eq!(after.embedding, before.embedding, "the finished model is intact");
    assert_eq!(e.embedding(&before.id).unwrap(), before, "kept embeddings stay readable");
    let j = e.job(&long.id).unwrap();
    assert!(matches!(j.state, JobState::Queued | JobState::Running), "{j:?}");
    assert!(j.message.as_deref().unwrap_or("").contains("resumed from the checkpoint"), "{j:?}");
    // It goes on from its checkpoint, not from zero.
    loop {
        let j = e.job(&long.id).unwrap();
        if j.state == JobState::Running && j.epoch > epoch {
            break;
        }
        assert!(j.epoch >= epoch.saturating_sub(1), "restarted from scratch: {j:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let cancelled = e.cancel_job(&long.id).unwrap();
    let done = e.wait(&cancelled.id, Duration::from_secs(60)).unwrap();
    assert_eq!(done.state, JobState::Cancelled);
}

#[test]
fn the_openapi_file_is_generated_from_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/marble.json");
    let current = marble::server::openapi().to_pretty_json().unwrap() + "\n";
    if std::env::var_os("MARBLE_UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &current).unwrap();
    }
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        saved == current,
        "openapi/marble.json differs from the code; regenerate it with `cargo run --release -- openapi > openapi/marble.json`"
    );
    let doc: serde_json::Value = serde_json::from_str(&current).unwrap();
    for path in
        ["/datasets", "/jobs", "/jobs/{id}/events", "/models/{id}/analyses", "/embeddings", "/models/{id}/plots/{kind}"]
    {
        assert!(doc["paths"][path].is_object(), "{path} undocumented");
    }
    for schema in ["Params", "NewDataset", "JobInfo", "Problem", "AnalysisParams", "Summary"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} missing");
    }
}

#[test]
fn a_network_too_large_to_allocate_fails_its_job_and_the_server_lives() {
    // Schema-valid widths and orders can ask for more memory than exists: the job fails with
    // the numbers, instead of the allocation aborting the server.
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |_| {});
    let e = HttpEngine::with_token(&base, None);
    let d = e.create_dataset(&new_dataset(1)).unwrap();
    for params in [
        Params { out_channels: 1 << 40, ..small_params(1) },
        Params { hidden_channels: vec![1 << 20, 1 << 20], ..small_params(1) },
        Params { order: 8, hidden_channels: vec![1 << 18], ..small_params(1) },
    ] {
        let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: Some(params) }).unwrap();
        let done = e.wait(&job.id, Duration::from_secs(60)).unwrap();
        assert_eq!(done.state, JobState::Failed);
        let message = done.message.unwrap();
        assert!(message.contains("parameters (at most 268435456 fit)"), "{message}");
    }
    // Order 8 on the plane is 2^9 - 1 feature columns: small enough to train.
    let fine = Params { order: 8, ..small_params(1) };
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: Some(fine) }).unwrap();
    assert_eq!(e.wait(&job.id, Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
}

#[test]
fn null_optional_arrays_are_absent_and_a_diverging_fit_names_lr() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |_| {});
    // The schema makes label and mask nullable: null means "not given".
    let mut body = serde_json::to_value(new_dataset(2)).unwrap();
    body["conditions"][0]["label"] = serde_json::Value::Null;
    body["conditions"][1]["mask"] = serde_json::Value::Null;
    let resp = raw().post(format!("{base}/v1/datasets")).send_json(&body).unwrap();
    assert_eq!(resp.status(), 201);
    // A learning rate that overflows the loss fails the job with the field to change.
    let e = HttpEngine::with_token(&base, None);
    let d = e.create_dataset(&new_dataset(2)).unwrap();
    let wild = Params { lr: 1e200, ..small_params(3) };
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: Some(wild) }).unwrap();
    let done = e.wait(&job.id, Duration::from_secs(60)).unwrap();
    assert_eq!(done.state, JobState::Failed);
    let message = done.message.unwrap();
    assert!(message.contains("training diverged") && message.contains("lower lr"), "{message}");
}
