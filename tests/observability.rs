//! What the person running `marble serve` for months sees: one JSON log line per request
//! and per job event, `/metrics` in the Prometheus format, CORS for browser pages, and a
//! SIGTERM that lets requests finish within a bound. Log lines and counters are read back
//! and checked field by field.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use marble::engine::*;
use marble::{Params, examples};

use crate::server::{raw, start};

/// `marble serve` with JSON logs, its standard error collected line by line.
struct Served {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Served {
    fn spawn(dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_marble"))
            .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--data-dir"])
            .arg(dir)
            .args(extra)
            .env_remove("MARBLE_TOKEN")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let url = first.split_whitespace().nth(2).unwrap_or_default().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{first}");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (sink, stderr) = (log.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Served { child, url, log }
    }

    /// The JSON log lines so far.
    fn lines(&self) -> Vec<serde_json::Value> {
        let raw = self.log.lock().unwrap().clone();
        raw.iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {l}")))
            .collect()
    }

    /// Waits (up to 10 s) for a log line that `pick` accepts.
    fn wait_for(&self, what: &str, pick: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self.lines().into_iter().find(|l| pick(l)) {
                return l;
            }
            assert!(Instant::now() < deadline, "no log line {what} in:\n{}", self.log.lock().unwrap().join("\n"));
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The samples of a Prometheus text page, by name with labels as written
/// (`marble_jobs{state="queued"}`).
fn scrape(base: &str, token: Option<&str>) -> HashMap<String, f64> {
    let mut req = raw().get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = req.call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp.headers().get("content-type").unwrap().to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = resp.body_mut().read_to_string().unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {l}"));
            (name.to_string(), value.parse::<f64>().unwrap_or_else(|_| panic!("not a number: {l}")))
        })
        .collect()
}

fn sample(page: &HashMap<String, f64>, key: &str) -> f64 {
    page.get(key).copied().unwrap_or(0.0)
}

fn requests(method: &str, route: &str, status: u16) -> String {
    format!("marble_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}")
}

fn small_dataset(epochs: usize) -> NewDataset {
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0);
    NewDataset::from_conditions(Some("planar"), &conds, Some(Params { k: 10, epochs, ..Params::default() }))
}

#[test]
fn each_request_is_one_log_line_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::spawn(dir.path(), &[], &[("MARBLE_TOKEN", "s3cret")]);
    let base = &server.url;
    // Open like /healthz: no token needed.
    let before = scrape(base, None);
    let agent = raw();
    let resp = agent
        .get(format!("{base}/v1/datasets"))
        .header("Authorization", "Bearer s3cret")
        .header("X-Request-Id", "lab-run-42")
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers().get("x-request-id").unwrap(), "lab-run-42", "the client's id comes back");
    let missing =
        agent.get(format!("{base}/v1/datasets/ds_nope")).header("Authorization", "Bearer s3cret").call().unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let made = missing.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
    assert!(made.len() == 16 && made.bytes().all(|b| b.is_ascii_hexdigit()), "a new id: {made}");
    let after = scrape(base, None);
    for (key, rose) in [
        (requests("GET", "/v1/datasets", 200), 1.0),
        (requests("GET", "/v1/datasets/{id}", 404), 1.0),
        // The first scrape is counted once it has answered.
        (requests("GET", "/metrics", 200), 1.0),
    ] {
        assert_eq!(sample(&after, &key) - sample(&before, &key), rose, "{key}");
    }
    let timed = "marble_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/datasets\",status=\"200\"}";
    assert_eq!(sample(&after, timed) - sample(&before, timed), 1.0);

    let line = server.wait_for("for lab-run-42", |l| l["request_id"] == "lab-run-42");
    assert_eq!(line["message"], "request");
    assert_eq!(line["target"], "marble::http");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/v1/datasets");
    assert_eq!(line["status"], 200);
    assert_eq!(line["bytes"], 2, "`[]`");
    assert!(line["duration_ms"].as_f64().unwrap() >= 0.0, "{line}");
    let token = line["token"].as_str().unwrap();
    assert!(token.len() == 8 && token.bytes().all(|b| b.is_ascii_hexdigit()), "{line}");
    let line = server.wait_for("for the 404", |l| l["request_id"] == made.as_str());
    assert_eq!(
        (line["route"].as_str(), line["status"].as_u64(), line["code"].as_str()),
        (Some("/v1/datasets/{id}"), Some(404), Some("not_found"))
    );
    assert_eq!(line["token"], token, "the same token, the same id");
    let unauthorized = agent.get(format!("{base}/v1/jobs")).header("X-Request-Id", "no-token").call().unwrap();
    assert_eq!(unauthorized.status().as_u16(), 401);
    let line = server.wait_for("for the 401", |l| l["request_id"] == "no-token");
    assert_eq!((line["status"].as_u64(), line["code"].as_str()), (Some(401), Some("unauthorized")));
    assert!(line.get("token").is_none(), "{line}");
    assert!(!server.log.lock().unwrap().iter().any(|l| l.contains("s3cret")), "the token is never logged");

    // The gauges read at the scrape.
    assert_eq!(sample(&after, "marble_workers_alive"), 1.0);
    assert_eq!(sample(&after, "marble_queue_length"), 0.0);
    assert_eq!(sample(&after, "marble_disk_min_free_bytes"), (defaults::MIN_FREE_MIB << 20) as f64);
    assert!(sample(&after, "marble_disk_free_bytes") > 0.0);
    assert_eq!(sample(&after, "marble_writable"), 1.0);
}

#[test]
fn a_job_logs_its_life_and_its_durations_are_measured() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::spawn(dir.path(), &[], &[]);
    let e = HttpEngine::with_token(&server.url, None);
    let d = e.create_dataset(&small_dataset(3)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id, params: None }).unwrap();
    assert_eq!(e.wait(&job.id, Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
    let id = job.id.as_str();
    for event in ["job queued", "job started", "job succeeded"] {
        server.wait_for(event, |l| l["message"] == event && l["job"] == id);
    }
    let epochs: Vec<u64> = server
        .lines()
        .iter()
        .filter(|l| l["message"] == "job epoch" && l["job"] == id)
        .map(|l| l["epoch"].as_u64().unwrap())
        .collect();
    assert_eq!(epochs, [1, 2, 3], "3 epochs: each is a tenth or more");
    let page = scrape(&server.url, None);
    assert_eq!(sample(&page, "marble_job_duration_seconds_count{state=\"succeeded\"}"), 1.0);
    assert_eq!(sample(&page, "marble_epoch_duration_seconds_count"), 3.0);
    assert_eq!(sample(&page, "marble_jobs_started_total{how=\"claimed\"}"), 1.0);
    assert_eq!(sample(&page, "marble_jobs{state=\"succeeded\"}"), 1.0);
    assert_eq!(sample(&page, "marble_jobs{state=\"running\"}"), 0.0);
}

#[test]
fn sigterm_lets_requests_finish_within_the_bound_and_the_job_resumes() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing in flight: it stops at once, and says so.
    let mut idle = Served::spawn(dir.path(), &[], &[]);
    let started = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &idle.pid()]).status().unwrap().success());
    let status = idle.child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let line =
        idle.wait_for("shutting down", |l| l["message"].as_str().is_some_and(|m| m.starts_with("shutting down")));
    assert_eq!((line["signal"].as_str(), line["in_flight"].as_u64()), (Some("SIGTERM"), Some(0)));
    idle.wait_for("stopped", |l| l["message"].as_str().is_some_and(|m| m.starts_with("stopped: every request")));
    drop(idle);

    // An event stream open and a fit running: it waits for the stream no longer than the bound.
    let busy = Served::spawn(dir.path(), &["--shutdown-timeout-s", "2"], &[]);
    let e = HttpEngine::with_token(&busy.url, None);
    let d = e.create_dataset(&small_dataset(100_000)).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id, params: None }).unwrap();
    while e.job(&job.id).unwrap().epoch < 2 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let events = format!("{}/v1/jobs/{}/events", busy.url, job.id);
    let stream =
        std::thread::spawn(move || raw().get(events).call().map(|mut r| r.body_mut().read_to_string().is_ok()));
    busy.wait_for("the stream's request", |l| l["route"] == "/v1/jobs/{id}/events");
    let mut busy = busy;
    let started = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &busy.pid()]).status().unwrap().success());
    let status = busy.child.wait().unwrap();
    let took = started.elapsed();
    assert!(status.success(), "{status}");
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_secs(8), "{took:?}");
    let line =
        busy.wait_for("shutting down", |l| l["message"].as_str().is_some_and(|m| m.starts_with("shutting down")));
    assert_eq!((line["in_flight"].as_u64(), line["grace_s"].as_f64()), (Some(1), Some(2.0)), "{line}");
    let line =
        busy.wait_for("the bound", |l| l["message"].as_str().is_some_and(|m| m.contains("grace period with requests")));
    assert_eq!(line["level"], "WARN");
    assert!(line["message"].as_str().unwrap().contains("resume from their last checkpoint"), "{line}");
    let _ = stream.join();
    drop(busy);

    // The next start resumes the fit from its checkpoint, as after any stop.
    let again = Served::spawn(dir.path(), &[], &[]);
    let e = HttpEngine::with_token(&again.url, None);
    let j = e.job(&job.id).unwrap();
    assert!(j.message.as_deref().unwrap_or("").contains("resumed from the checkpoint"), "{j:?}");
    let line = again.wait_for("the takeover", |l| l["message"] == "job taken over" && l["job"] == job.id.as_str());
    assert!(line["epoch"].as_u64().unwrap() >= 2, "{line}");
    e.cancel_job(&job.id).unwrap();
    assert_eq!(e.wait(&job.id, Duration::from_secs(60)).unwrap().state, JobState::Cancelled);
}

#[test]
fn metrics_behind_the_token_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |o| {
        o.token = Some("s3cret".into());
        o.metrics_token = true;
    });
    assert_eq!(raw().get(format!("{base}/metrics")).call().unwrap().status().as_u16(), 401);
    scrape(&base, Some("s3cret"));
    // The probes stay open.
    assert_eq!(raw().get(format!("{base}/healthz")).call().unwrap().status().as_u16(), 200);
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers().get(name).map(|v| v.to_str().unwrap().to_ascii_lowercase())
}

fn preflight(base: &str, origin: &str) -> ureq::http::Response<ureq::Body> {
    let req = ureq::http::Request::options(format!("{base}/v1/datasets"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .body(())
        .unwrap();
    raw().run(req).unwrap()
}

#[test]
fn cors_answers_preflights_for_listed_origins_only() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |o| {
        o.token = Some("s3cret".into());
        o.cors_origins = vec!["http://lab.test:8000".into()];
    });
    // The preflight carries no token, and needs none.
    let ok = preflight(&base, "http://lab.test:8000");
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(header(&ok, "access-control-allow-origin").as_deref(), Some("http://lab.test:8000"));
    assert_eq!(header(&ok, "access-control-allow-credentials").as_deref(), Some("true"));
    assert!(header(&ok, "access-control-allow-methods").unwrap().contains("post"));
    let allowed = header(&ok, "access-control-allow-headers").unwrap();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
    // The answers expose what a page's script reads.
    let resp = raw()
        .get(format!("{base}/v1/jobs"))
        .header("Origin", "http://lab.test:8000")
        .header("Authorization", "Bearer s3cret")
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(header(&resp, "access-control-allow-origin").as_deref(), Some("http://lab.test:8000"));
    let exposed = header(&resp, "access-control-expose-headers").unwrap();
    for h in ["retry-after", "location", "x-request-id"] {
        assert!(exposed.contains(h), "{h} in {exposed}");
    }
    // A 401 too, so that the page can read why.
    let denied = raw().get(format!("{base}/v1/jobs")).header("Origin", "http://lab.test:8000").call().unwrap();
    assert_eq!(denied.status().as_u16(), 401);
    assert!(header(&denied, "access-control-allow-origin").is_some());
    // Another origin gets no grant.
    let other = preflight(&base, "http://elsewhere.test");
    assert_eq!(header(&other, "access-control-allow-origin"), None);

    // `*`: any origin, never with credentials.
    let dir = tempfile::tempdir().unwrap();
    let any = start(dir.path(), |o| o.cors_origins = vec!["*".into()]);
    let resp = preflight(&any, "http://elsewhere.test");
    assert_eq!(header(&resp, "access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(header(&resp, "access-control-allow-credentials"), None);

    // Off by default: no CORS headers at all.
    let dir = tempfile::tempdir().unwrap();
    let off = start(dir.path(), |_| {});
    let resp = preflight(&off, "http://lab.test:8000");
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    let resp = raw().get(format!("{off}/v1/jobs")).header("Origin", "http://lab.test:8000").call().unwrap();
    assert_eq!(header(&resp, "access-control-allow-origin"), None);

    // A mistaken origin is refused at start, saying how to write one.
    for bad in ["lab.test", "http://lab.test/", "*,http://lab.test"] {
        let dir = tempfile::tempdir().unwrap();
        let mut o = marble::server::ServerOptions::new(dir.path());
        o.cors_origins = bad.split(',').map(String::from).collect();
        let e = marble::server::spawn("127.0.0.1:0".parse().unwrap(), o).unwrap_err().to_string();
        assert!(e.contains("cors_origin"), "{bad}: {e}");
    }
}

#[test]
fn a_library_warning_is_a_log_line_and_the_disk_gauges_say_why() {
    let dir = tempfile::tempdir().unwrap();
    // A floor no disk reaches: every write is refused, and the library warns.
    let server = Served::spawn(dir.path(), &["--min-free-mib", "1000000000"], &[]);
    // A JSON body reaches the engine, whose disk check warns from the library.
    let body = serde_json::to_vec(&small_dataset(1)).unwrap();
    let resp = raw()
        .post(format!("{}/v1/datasets", server.url))
        .header("content-type", "application/json")
        .send(&body[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 507);
    let line = server.wait_for("the library's warning", |l| l["target"] == "marble::engine::artifacts");
    assert_eq!(line["level"], "WARN");
    assert!(line["message"].as_str().unwrap().starts_with("refusing writes:"), "{line}");
    // An .npz upload is refused by the server before its body is read, and says so too.
    let e = HttpEngine::with_token(&server.url, None);
    assert_eq!(e.create_dataset(&small_dataset(1)).unwrap_err().code(), "disk_full");
    let line = server.wait_for("the upload's warning", |l| l["target"] == "marble::server::upload");
    assert!(line["message"].as_str().unwrap().starts_with("refusing an upload:"), "{line}");
    let line = server.wait_for("the 507", |l| l["route"] == "/v1/datasets");
    assert_eq!((line["status"].as_u64(), line["code"].as_str()), (Some(507), Some("disk_full")));
    let page = scrape(&server.url, None);
    assert_eq!(sample(&page, "marble_writable"), 0.0);
    assert_eq!(sample(&page, "marble_disk_min_free_bytes"), 1e9 * (1u64 << 20) as f64);
    assert!(sample(&page, "marble_disk_free_bytes") < sample(&page, "marble_disk_min_free_bytes"));
}
