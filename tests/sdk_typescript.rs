//! The TypeScript SDK in clients/typescript: generated from openapi/marble.json by
//! @hey-api/openapi-ts (a test regenerates it and compares), compiled with tsc and driven end
//! to end against a real server by clients/typescript/test/scenario.mjs.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use marble::analysis::AnalysisParams;
use marble::engine::*;
use marble::examples;

use crate::sdk_python::assert_same_tree;
use crate::server::start;

/// The `node` binary (Node.js 20.19 or later), named by `MARBLE_NODE` (set by .ci/run), for
/// clients/typescript once `npm ci` has installed its pinned generator and TypeScript there.
/// Without it the tests say so and pass, unless `MARBLE_REQUIRE_NODE` is set (as in CI).
pub(crate) fn node() -> Option<PathBuf> {
    let node = crate::external_tool(
        "MARBLE_NODE",
        "MARBLE_REQUIRE_NODE",
        "the `node` binary, 20.19 or later, with `npm ci` run in clients/typescript",
    )?;
    assert!(sdk().join("node_modules/.package-lock.json").is_file(), "run `npm ci` in {}", sdk().display());
    Some(node)
}

pub(crate) fn sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/typescript")
}

/// Runs `node script args...` in clients/typescript and returns its standard output and
/// everything it said; fails with the latter unless it succeeds.
fn run_node(node: &Path, script: &str, args: &[&OsStr], env: &[(&str, &Path)]) -> (Vec<u8>, String) {
    let mut cmd = Command::new(node);
    cmd.current_dir(sdk()).arg(script).args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let said = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "node {script} failed ({}):\n{said}", out.status);
    (out.stdout, said)
}

/// Compiles the SDK into dist/ (ignored by git), once per test run: the scenario and the
/// browser test (tests/browser.rs) import it. Compiling also type-checks the generated code.
pub(crate) fn compile(node: &Path) {
    static DONE: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut done = DONE.lock().unwrap_or_else(|p| p.into_inner());
    if !*done {
        run_node(node, "node_modules/typescript/bin/tsc", &[OsStr::new("-p"), OsStr::new(".")], &[]);
        *done = true;
    }
}

#[test]
fn typescript_sdk_is_generated_from_the_current_document() {
    let Some(node) = node() else { return };
    let work = tempfile::tempdir().unwrap();
    let fresh = work.path().join("generated");
    // openapi-ts.config.mjs writes to MARBLE_TS_OUTPUT when set, with the same settings.
    let (_, said) =
        run_node(&node, "node_modules/@hey-api/openapi-ts/bin/run.js", &[], &[("MARBLE_TS_OUTPUT", fresh.as_path())]);
    // It exits 0 without writing anything when it cannot read the document.
    assert!(fresh.join("sdk.gen.ts").is_file(), "openapi-ts generated nothing from openapi/marble.json:\n{said}");
    assert_same_tree(
        &sdk().join("src/generated"),
        &fresh,
        &[],
        "run `npm run generate` in clients/typescript (or scripts/generate-clients typescript) and commit the result",
    );
}

#[test]
fn typescript_sdk_runs_the_pipeline() {
    let Some(node) = node() else { return };
    compile(&node);
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data.npz");
    marble::dataset::io::write_npz(&data, &examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |_| {});
    let (out, _) = run_node(&node, "test/scenario.mjs", &[OsStr::new(&base), data.as_os_str()], &[]);
    let result: serde_json::Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("the scenario printed no JSON ({e}): {}", String::from_utf8_lossy(&out)));
    assert_eq!(result["rows"], 240);
    assert!(result["cols"].as_u64().unwrap() > 0, "{result}");
    assert_eq!(result["condition_names"], serde_json::json!(["flow left", "flow right", "vortex", "saddle"]));
    // The TypeScript client's distances are the server's, and so is its figure.
    let e = HttpEngine::with_token(&base, None);
    let model = result["model"].as_str().unwrap();
    let mine = e.analyze(model, &AnalysisParams { n_clusters: 4, ..AnalysisParams::default() }).unwrap();
    // JavaScript prints 0.0 as 0: compare the numbers.
    let theirs: Vec<Vec<f64>> = serde_json::from_value(result["distances"].clone()).unwrap();
    assert_eq!(mine.distances, theirs);
    let svg = e.plot(model, PlotKind::Distances).unwrap();
    assert!(result["svg_bytes"].as_u64().unwrap() > 0);
    assert_eq!(result["svg_bytes"].as_u64().unwrap() as usize, svg.len());
}
