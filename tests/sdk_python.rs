//! The Python SDK in clients/python: generated from openapi/marble.json (a test regenerates it
//! and compares), and driven end to end against a real server as a user would.

use std::path::{Path, PathBuf};
use std::process::Command;

use marble::analysis::AnalysisParams;
use marble::engine::*;
use marble::examples;

use crate::server::start;

/// The Python interpreter of a virtual environment holding openapi-python-client (pinned in
/// clients/python-generator/requirements.txt) and the SDK's dependencies: `MARBLE_PYTHON`,
/// set by .ci/run. Without it the tests say so and pass, unless `MARBLE_REQUIRE_PYTHON` is
/// set (as in CI).
fn python() -> Option<PathBuf> {
    crate::external_tool("MARBLE_PYTHON", "MARBLE_REQUIRE_PYTHON", "a venv's python with openapi-python-client")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, relative, with its bytes; `skip` names folders to leave out.
pub(crate) fn tree(dir: &Path, skip: &[&str]) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if skip.contains(&name.as_str()) {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Fails, naming the files, when `committed` and `fresh` differ.
pub(crate) fn assert_same_tree(committed: &Path, fresh: &Path, skip: &[&str], fix: &str) {
    let (a, b) = (tree(committed, skip), tree(fresh, skip));
    let mut differ: Vec<String> = Vec::new();
    for (path, bytes) in &b {
        match a.get(path) {
            None => differ.push(format!("missing: {}", path.display())),
            Some(old) if old != bytes => differ.push(format!("changed: {}", path.display())),
            _ => {}
        }
    }
    differ.extend(a.keys().filter(|p| !b.contains_key(*p)).map(|p| format!("not generated any more: {}", p.display())));
    assert!(differ.is_empty(), "{} is stale ({}); {fix}", committed.display(), differ.join(", "));
}

#[test]
fn python_sdk_is_generated_from_the_current_document() {
    let Some(python) = python() else { return };
    let work = tempfile::tempdir().unwrap();
    let fresh = work.path().join("python");
    let generator = root().join("clients/python-generator");
    let out = Command::new(python.parent().unwrap().join("openapi-python-client"))
        .args(["generate", "--meta", "pdm", "--config"])
        .arg(generator.join("config.yaml"))
        .arg("--custom-template-path")
        .arg(generator.join("templates"))
        .arg("--path")
        .arg(root().join("openapi/marble.json"))
        .arg("--output-path")
        .arg(&fresh)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Every route is in the client: a warning means the generator dropped a response.
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("Warning"), "the generator left something out:\n{said}");
    assert_same_tree(
        &root().join("clients/python"),
        &fresh,
        &["__pycache__"],
        "run scripts/generate-clients python and commit the result",
    );
}

#[test]
fn python_sdk_runs_the_pipeline() {
    let Some(python) = python() else { return };
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data.npz");
    marble::dataset::io::write_npz(&data, &examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |_| {});
    let out = Command::new(&python)
        .arg(root().join("tests/python/client_flow.py"))
        .arg(root().join("clients/python"))
        .arg(&base)
        .arg(&data)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["rows"], 240);
    assert_eq!(result["condition_names"], serde_json::json!(["flow left", "flow right", "vortex", "saddle"]));
    // The Python client's distances are the server's, and so is its figure.
    let e = HttpEngine::with_token(&base, None);
    let model = result["model"].as_str().unwrap();
    let mine = e.analyze(model, &AnalysisParams { n_clusters: 4, ..AnalysisParams::default() }).unwrap();
    assert_eq!(serde_json::to_value(&mine.distances).unwrap(), result["distances"]);
    let svg = e.plot(model, PlotKind::Distances).unwrap();
    assert_eq!(result["svg_chars"].as_u64().unwrap() as usize, svg.chars().count());
    assert!(result["weights_bytes"].as_u64().unwrap() > 100);
}
