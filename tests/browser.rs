//! A real browser on another origin: headless Chromium loads a page from a small static
//! server here, whose script uses the generated TypeScript SDK (clients/typescript, compiled
//! to dist/) to upload an .npz, fit, and fetch a figure from `marble serve` with
//! `--cors-origin` set to the page's origin and a bearer token. Every call is cross-origin
//! with an `Authorization` header, so each is preflighted, as a lab's web page would be.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use marble::engine::*;
use marble::examples;

use crate::sdk_typescript::{compile, node, sdk};
use crate::server::start;

/// Chromium (Debian's `chromium`), named by `MARBLE_CHROMIUM` or found on PATH. The test runs
/// when `MARBLE_REQUIRE_BROWSER` is set (as in CI, which installs it) or `MARBLE_CHROMIUM`
/// names one; otherwise it says so and is skipped.
fn chromium() -> Option<PathBuf> {
    let required = std::env::var_os("MARBLE_REQUIRE_BROWSER").is_some_and(|v| v == "1");
    if let Some(p) = std::env::var_os("MARBLE_CHROMIUM") {
        return Some(p.into());
    }
    if !required {
        eprintln!("skipped: set MARBLE_REQUIRE_BROWSER=1 with Debian's chromium installed (.ci/run does)");
        return None;
    }
    let found = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|name| std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file()));
    assert!(found.is_some(), "MARBLE_REQUIRE_BROWSER is set, so chromium must be on PATH: apt-get install chromium");
    found
}

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>marble in a browser</title>
<script type="module">
import { client, createDataset, getJob, plot, startFit } from '/dist/index.js';

const report = (r) => fetch('/result', { method: 'POST', body: JSON.stringify(r) });
try {
  const api = new URLSearchParams(location.search).get('api');
  client.setConfig({ baseUrl: `${api}/v1`, headers: { Authorization: 'Bearer s3cret' } });
  const npz = await (await fetch('/data.npz')).arrayBuffer();
  const { data: ds } = await createDataset({
    body: new Blob([npz]),
    bodySerializer: null,
    headers: { 'Content-Type': 'application/octet-stream' },
    query: { name: 'from a browser', parameters: JSON.stringify({ k: 10, epochs: 2 }) },
  });
  const started = await startFit({ body: { dataset: ds.id } });
  let job = started.data;
  const deadline = Date.now() + 120000;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.state) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    ({ data: job } = await getJob({ path: { id: job.id } }));
  }
  const { data: svg, response } = await plot({ path: { id: job.id, kind: 'distances' }, parseAs: 'text' });
  report({
    ok: true,
    origin: location.origin,
    dataset: ds.id,
    n_points: ds.summary.n_points,
    model: job.id,
    state: job.state,
    location: started.response.headers.get('Location'),
    request_id: response.headers.get('X-Request-Id'),
    svg_bytes: new TextEncoder().encode(svg).length,
  });
} catch (e) {
  report({ ok: false, error: String((e && e.stack) || JSON.stringify(e)) });
}
</script>
"#;

/// Answers one request of the page's origin: the page, the compiled SDK, the data, and the
/// result the page posts back (sent to `results`).
fn answer(mut stream: TcpStream, dist: &Path, npz: &[u8], results: &mpsc::Sender<String>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/");
    let (status, kind, content) = match path {
        "/" => ("200 OK", "text/html; charset=utf-8", PAGE.as_bytes().to_vec()),
        "/data.npz" => ("200 OK", "application/octet-stream", npz.to_vec()),
        "/result" => {
            let _ = results.send(String::from_utf8_lossy(&body).into_owned());
            ("200 OK", "text/plain", b"thanks".to_vec())
        }
        p if p.starts_with("/dist/") && !p.contains("..") => match std::fs::read(dist.join(&p[6..])) {
            Ok(js) => ("200 OK", "text/javascript; charset=utf-8", js),
            Err(_) => ("404 Not Found", "text/plain", b"no such file".to_vec()),
        },
        _ => ("404 Not Found", "text/plain", b"no such page".to_vec()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        content.len()
    )?;
    stream.write_all(&content)
}

#[test]
fn a_page_on_another_origin_uploads_fits_and_draws_through_the_typescript_sdk() {
    let Some(chromium) = chromium() else { return };
    let node = node().expect("the browser test needs the TypeScript SDK: set MARBLE_NODE");
    compile(&node);
    let npz_file = tempfile::NamedTempFile::new().unwrap();
    marble::dataset::io::write_npz(npz_file.path(), &examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0)).unwrap();
    let npz = std::fs::read(npz_file.path()).unwrap();
    // The page's origin: a port of its own.
    let pages = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", pages.local_addr().unwrap());
    let (results, result) = mpsc::channel();
    let dist = sdk().join("dist");
    std::thread::spawn(move || {
        for stream in pages.incoming().map_while(Result::ok) {
            let _ = answer(stream, &dist, &npz, &results);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let api = start(dir.path(), |o| {
        o.token = Some("s3cret".into());
        o.cors_origins = vec![origin.clone()];
    });
    let profile = tempfile::tempdir().unwrap();
    let mut browser = Command::new(&chromium)
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .args(["--disable-extensions", "--remote-debugging-port=0"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("{origin}/?api={api}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let said = result.recv_timeout(Duration::from_secs(240));
    let _ = browser.kill();
    let _ = browser.wait();
    let said = said.expect("the page reported nothing within 240 s");
    let r: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(r["ok"], true, "the page failed: {}", r["error"]);
    assert_eq!(r["origin"], origin.as_str(), "the page ran on its own origin");
    assert_eq!(r["n_points"], 240);
    assert_eq!(r["state"], "succeeded");
    // Headers a script reads only when the server exposes them.
    let model = r["model"].as_str().unwrap();
    assert_eq!(r["location"], format!("/v1/jobs/{model}"));
    assert!(r["request_id"].as_str().is_some_and(|id| id.len() == 16), "{r}");
    // The figure the page got is the server's.
    let e = HttpEngine::with_token(&api, Some("s3cret".into()));
    assert_eq!(e.dataset(r["dataset"].as_str().unwrap()).unwrap().name.as_deref(), Some("from a browser"));
    let svg = e.plot(model, PlotKind::Distances).unwrap();
    assert_eq!(r["svg_bytes"].as_u64().unwrap() as usize, svg.len());
}
