//! One run folder, whoever writes it: `marble fit` on the command line, a fit job of the
//! in-process engine and one through the REST API write the same files with the same bytes
//! (the CLI and the engine call the same `run::fit_run`), and decode writes the same
//! decoding files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use marble::engine::*;
use marble::{Params, examples};

use crate::cli::{marble, run_ok};

/// Every file of a folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

/// A JSON file without its top-level `timings` (wall-clock seconds of each step, which
/// differ from one run to the next), and the names of the timed steps.
fn without_timings(bytes: &[u8]) -> (serde_json::Value, Vec<String>) {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let timings = v.as_object_mut().unwrap().remove("timings").expect("a timings field");
    let steps = timings.as_array().unwrap().iter().map(|t| t["step"].as_str().unwrap().to_string()).collect();
    (v, steps)
}

/// `a` and `b` hold the same files with the same bytes; summary.json and analysis.json
/// carry wall-clock timings, so there the timings are left out and only their steps compared.
fn assert_same_folder(a: &Path, b: &Path, what: &str) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>(), "{what}: the file names differ");
    for (name, bytes) in &fa {
        if name == "summary.json" || name == "analysis.json" {
            assert_eq!(without_timings(bytes), without_timings(&fb[name]), "{what}: {name} differs");
        } else {
            assert!(*bytes == fb[name], "{what}: {name} differs");
        }
    }
}

fn engine_fit(e: &dyn Engine, conds: &marble::Conditions, params: &Params) -> String {
    let d = e.create_dataset(&NewDataset::from_conditions(None, conds, Some(params.clone()))).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id, params: None }).unwrap();
    let done = e.wait(&job.id, Duration::from_secs(120)).unwrap();
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.message);
    job.id
}

#[test]
fn cli_local_and_http_fits_write_identical_run_folders() {
    let dir = tempfile::tempdir().unwrap();
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0);
    let data = dir.path().join("fields.npz");
    marble::dataset::io::write_npz(&data, &conds).unwrap();
    let params = Params { k: 10, epochs: 2, ..Params::default() };
    let params_file = dir.path().join("params.json");
    std::fs::write(&params_file, serde_json::to_string(&params).unwrap()).unwrap();
    let cli = dir.path().join("cli");
    run_ok(marble().arg("fit").arg("--data").arg(&data).arg("--params").arg(&params_file).arg("--out").arg(&cli));

    let local_dir = dir.path().join("local");
    let local = LocalEngine::open(LocalOptions::new(&local_dir)).unwrap();
    let local_job = engine_fit(&local, &conds, &params);
    let local_run = local_dir.join("runs").join(&local_job);
    let http_dir = dir.path().join("http");
    let http = HttpEngine::with_token(&crate::server::start(&http_dir, |_| {}), None);
    let http_job = engine_fit(&http, &conds, &params);
    let http_run = http_dir.join("runs").join(&http_job);
    assert!(files(&cli).contains_key("checkpoint.json") && files(&cli).contains_key("analysis.json"));
    assert_same_folder(&cli, &local_run, "CLI vs LocalEngine");
    assert_same_folder(&cli, &http_run, "CLI vs HTTP");

    // Decoding the anchors writes the same decoding files, but for where the behaviour came
    // from (the CLI's file, or the request).
    let anchors: ndarray::Array2<f32> = ndarray_npy::read_npy(cli.join("anchor.npy")).unwrap();
    let behaviour = dir.path().join("behaviour.npy");
    ndarray_npy::write_npy(&behaviour, &anchors.mapv(f64::from)).unwrap();
    run_ok(marble().args(["analyze", "--folds", "4", "--run"]).arg(&cli).arg("--behaviour").arg(&behaviour));
    let req = DecodeRequest { behaviour: anchors.mapv(f64::from).into(), groups: None, folds: Some(4) };
    let in_process = local.decode(&local_job, &req).unwrap();
    let over_rest = http.decode(&http_job, &req).unwrap();
    let decoding = |run: &Path| -> serde_json::Value {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(run.join("decoding.json")).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("behaviour");
        v
    };
    for run in [&local_run, &http_run] {
        assert_eq!(decoding(&cli), decoding(run));
        let predictions = |d: &PathBuf| std::fs::read(d.join("decoding_predictions.npy")).unwrap();
        assert!(predictions(&cli) == predictions(run), "decoding_predictions.npy differs");
    }
    assert_eq!(decoding(&cli)["folds"], 4);
    // `marble analyze --behaviour` and POST /v1/models/{id}/decodings give equal R^2, bit for
    // bit, for the latents and for the PCA baseline (and so does the in-process engine).
    let cli_r2 = |who: &str| -> Vec<f64> { serde_json::from_value(decoding(&cli)[who]["r2"].clone()).unwrap() };
    for answer in [&in_process, &over_rest] {
        assert_eq!(answer.r2, cli_r2("latents"));
        assert_eq!(answer.baseline_r2, cli_r2("pca_baseline"));
    }
}
