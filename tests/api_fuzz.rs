//! The OpenAPI document tells the truth: schemathesis (`st run --checks all`, all phases
//! including the stateful one, settings in tests/schemathesis/schemathesis.toml) against a
//! real `marble serve` holding a real model and embedding, finds no failure. The model and
//! embedding ids are given to the operations that need them (a fit would not finish within a
//! stateful scenario); datasets come from the links, since a pinned dataset id would be
//! deleted by one scenario and missed by the next.

use std::process::Command;
use std::time::Duration;

use marble::engine::*;

use crate::server::{raw, serve_process};

/// The `st` command of schemathesis 4: `MARBLE_SCHEMATHESIS`, set by .ci/run. Without it the
/// test says so and passes, unless `MARBLE_REQUIRE_SCHEMATHESIS` is set (as in CI).
fn schemathesis() -> Option<std::path::PathBuf> {
    crate::external_tool("MARBLE_SCHEMATHESIS", "MARBLE_REQUIRE_SCHEMATHESIS", "the `st` command of schemathesis 4")
}

#[test]
fn schemathesis_finds_nothing_undocumented_or_wrongly_refused() {
    let Some(st) = schemathesis() else { return };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    // A process of its own: fits that the fuzzer starts with odd parameters end with it.
    let server = serve_process(&dir.path().join("store"));
    let base = server.url();
    let e = HttpEngine::with_token(&base, None);

    // Real resources, made from the document's own example dataset.
    let doc: serde_json::Value = serde_json::from_str(
        &raw().get(format!("{base}/openapi.json")).call().unwrap().body_mut().read_to_string().unwrap(),
    )
    .unwrap();
    let operations: usize =
        doc["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
    let example: NewDataset =
        serde_json::from_value(doc["components"]["schemas"]["NewDataset"]["example"].clone()).unwrap();
    let data = e.create_dataset(&example).unwrap();
    let job = e.start_fit(&FitRequest { dataset: data.id.clone(), params: None }).unwrap();
    assert_eq!(e.wait(&job.id, Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
    let emb = e.transform(&TransformRequest { model: job.id.clone(), dataset: data.id.clone() }).unwrap();

    let mut config = std::fs::read_to_string(root.join("tests/schemathesis/schemathesis.toml")).unwrap();
    config += &format!(
        r#"
[[operations]]
include-path-regex = "^/(models|jobs)/"
parameters = {{ id = "{job}" }}

[[operations]]
include-operation-id = "get_embedding"
parameters = {{ id = "{emb}" }}
"#,
        job = job.id,
        emb = emb.id
    );
    let config_path = dir.path().join("schemathesis.toml");
    std::fs::write(&config_path, config).unwrap();
    let out = Command::new(&st)
        .arg("--config-file")
        .arg(&config_path)
        .args(["run", &format!("{base}/openapi.json"), "--url", &format!("{base}/v1"), "--checks", "all"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis failed:\n{said}\n{}", String::from_utf8_lossy(&out.stderr));
    // Every phase ran and every operation was tested.
    for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
        assert!(said.contains(&format!("✅ {phase}")), "{phase} did not pass:\n{said}");
    }
    assert!(said.contains(&format!("Tested: {operations}")), "{said}");
    drop(server);
}
