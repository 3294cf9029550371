//! `.npz` uploads streamed to the data folder: bounded by `--max-body-mib` (on disk), not by
//! the JSON limit (in memory), and no temporary file left behind by a client that goes away.
//! Memory itself is measured by `scripts/upload-bench`, not here.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use marble::engine::*;
use marble::examples;

use crate::server::{problem, raw, start};

/// 4 planar fields of `n` points each, as the bytes of an .npz (about 128 n bytes).
fn npz(n: usize) -> Vec<u8> {
    marble::dataset::io::npz_bytes(&examples::planar_fields(&examples::PLANAR_FIELDS, n, 0)).unwrap()
}

fn post(base: &str, ct: &str, body: &[u8]) -> ureq::http::Response<ureq::Body> {
    raw()
        .post(format!("{base}/v1/datasets?parameters=%7B%22k%22%3A5%7D"))
        .header("content-type", ct)
        .send(body)
        .unwrap()
}

/// The temporary uploads in a data folder.
fn temporary(data: &Path) -> Vec<(String, u64)> {
    std::fs::read_dir(data.join("datasets"))
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().to_string(), e.metadata().map_or(0, |m| m.len())))
        .filter(|(name, _)| name.ends_with(".tmp"))
        .collect()
}

/// Wait up to 10 s for `ok`.
fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < Duration::from_secs(10), "{what}: not after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_npz_larger_than_the_json_limit_is_streamed_and_stored() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |o| {
        o.max_json_body = 256 << 10;
        o.max_body = 4 << 20;
    });
    let body = npz(4_000);
    assert!(body.len() > 256 << 10 && body.len() < 4 << 20, "{}", body.len());
    // Never read by the buffered extractor, whose limit is the JSON one.
    let mut resp = post(&base, "application/octet-stream", &body);
    let text = resp.body_mut().read_to_string().unwrap();
    assert_eq!(resp.status().as_u16(), 201, "{text}");
    let info: DatasetInfo = serde_json::from_str(&text).unwrap();
    assert_eq!((info.summary.n_points, info.params.k), (16_000, 5));
    // The stored file is the dataset's; the upload's temporary file is gone.
    assert!(dir.path().join("datasets").join(format!("{}.npz", info.id)).is_file());
    assert!(temporary(dir.path()).is_empty(), "{:?}", temporary(dir.path()));
    // A JSON body that size is over the JSON limit (just over: a client told 413 before it
    // has sent its body may find the connection closed).
    let json = format!("{{\"name\": \"{}\"}}", "x".repeat((256 << 10) + 16));
    let mut resp = post(&base, "application/json", json.as_bytes());
    assert_eq!(resp.status().as_u16(), 413);
    let p = problem(&mut resp);
    assert!(p["code"] == "body_too_large" && p["detail"].as_str().unwrap().contains("--max-json-mib"), "{p}");
    // An .npz over --max-body-mib: 413 from its Content-Length, before its body is read.
    let (status, answer) = send_head(&base, 5 << 20);
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("body_too_large") && answer.contains("--max-body-mib"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    // And one sent without a length (chunked) is counted as it streams.
    let chunked = vec![7u8; (4 << 20) + (16 << 10)];
    let mut resp = raw()
        .post(format!("{base}/v1/datasets"))
        .header("content-type", "application/octet-stream")
        .send(ureq::SendBody::from_reader(&mut &chunked[..]))
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(problem(&mut resp)["code"], "body_too_large");
    assert!(temporary(dir.path()).is_empty(), "{:?}", temporary(dir.path()));
    // Not an .npz: checked once written, said of the body, and the file is gone.
    let mut resp = post(&base, "application/octet-stream", &vec![1u8; 300 << 10]);
    let p = problem(&mut resp);
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.starts_with("the uploaded body: not a readable .npz archive") && !detail.contains('/'), "{p}");
    assert!(temporary(dir.path()).is_empty(), "{:?}", temporary(dir.path()));
}

/// The head of an .npz upload of `length` bytes, with no body: the status and the answer.
pub(crate) fn send_head(base: &str, length: usize) -> (u16, String) {
    let mut s = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /v1/datasets HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: {length}\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

#[test]
fn a_client_that_goes_away_mid_upload_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |_| {});
    let mut s = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    let length = 64 << 20;
    write!(
        s,
        "POST /v1/datasets HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: {length}\r\n\r\n"
    )
    .unwrap();
    // A part of the body, which the server writes to a temporary file before the rest comes.
    let part = vec![3u8; 6 << 20];
    s.write_all(&part).unwrap();
    s.flush().unwrap();
    eventually("the body's start on disk", || temporary(dir.path()).iter().any(|(_, size)| *size >= 4 << 20));
    // The client goes away: the file goes too.
    drop(s);
    eventually("no temporary upload left", || temporary(dir.path()).is_empty());
    let listed = HttpEngine::with_token(&base, None).list_datasets().unwrap();
    assert!(listed.is_empty(), "{listed:?}");
}
