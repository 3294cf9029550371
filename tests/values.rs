//! Condition values (`value_<c>` in .npz, `value` in JSON, `--values`) and colour by a
//! per-point variable (`--colour-by`, `colour_by`): kept in the summary, returned by the API,
//! written to analysis.json, and drawn (issue 23).

use std::path::Path;
use std::time::Duration;

use marble::analysis::AnalysisParams;
use marble::engine::*;
use marble::{Params, examples};

use crate::cli::{marble, run_ok};
use crate::server::{problem, raw, start};

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").trim().to_owned()).collect()
}

fn circles(svg: &str) -> usize {
    roxmltree::Document::parse(svg).unwrap().descendants().filter(|n| n.has_tag_name("circle")).count()
}

/// `marble ...` fails, saying every one of `words`.
fn fails_saying(cmd: &mut std::process::Command, words: &[&str]) {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "should fail: {cmd:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    for w in words {
        assert!(err.contains(w), "{w:?} not in: {err}");
    }
}

const MUS: [f64; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];

#[test]
fn example_npz_json_and_flag_values_reach_the_summary_the_analysis_and_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("vdp.npz");
    run_ok(marble().args(["example", "vanderpol", "--n", "8", "--out"]).arg(&data));
    // `value_<c>` = mu, one number each, beside `name_<c>`.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&data).unwrap()).unwrap();
    for (c, mu) in MUS.iter().enumerate() {
        let entry = zip.by_name(&format!("value_{c}.npy")).unwrap();
        let v: ndarray::Array0<f64> = ndarray_npy::ReadNpyExt::read_npy(entry).unwrap();
        assert_eq!(v.into_scalar(), *mu);
    }
    let params = dir.path().join("p.toml");
    std::fs::write(&params, "k = 10\nepochs = 2\n").unwrap();
    let out = dir.path().join("run");
    let printed =
        run_ok(marble().arg("fit").arg("--data").arg(&data).arg("--params").arg(&params).arg("--out").arg(&out));
    assert!(printed.contains("condition map: its axes explain"), "{printed}");
    let summary = read_json(&out.join("summary.json"));
    let values: Vec<f64> = (0..5).map(|c| summary["conditions"][c]["value"].as_f64().unwrap()).collect();
    assert_eq!(values, MUS);
    let analysis = read_json(&out.join("analysis.json"));
    assert_eq!(analysis["condition_values"], serde_json::json!(MUS));
    let explained: Vec<f64> = serde_json::from_value(analysis["condition_map_explained"].clone()).unwrap();
    assert!(explained.len() == 2 && explained[0] >= explained[1] && explained.iter().sum::<f64>() <= 1.0 + 1e-9);
    assert!(analysis["files"].as_array().unwrap().iter().any(|f| f == "condition_map.svg"));
    // Conditions with values are on a colour bar named "mu": no legend of names.
    for (figure, markers) in [("embedding.svg", None), ("clusters.svg", None), ("condition_map.svg", Some(5))] {
        let svg = std::fs::read_to_string(out.join(figure)).unwrap();
        let words = texts(&svg);
        assert!(words.iter().any(|w| w == "mu"), "{figure}: {words:?}");
        if let Some(m) = markers {
            assert_eq!(circles(&svg), m, "{figure}: one marker per condition, no legend");
        } else {
            assert!(!words.iter().any(|w| w == "mu = 0.5"), "{figure} has a legend: {words:?}");
        }
    }

    // `--values` replaces them; bad ones name the field and the fix.
    let ds = |extra: &[&str], name: &str| {
        let mut cmd = marble();
        cmd.arg("dataset").arg("--data").arg(&data).arg("--params").arg(&params).args(extra);
        cmd.arg("--out").arg(dir.path().join(name));
        cmd
    };
    run_ok(&mut ds(&["--values", "0.1,0.2,-0.3,0.4,5"], "flag"));
    let summary = read_json(&dir.path().join("flag/summary.json"));
    assert_eq!(summary["conditions"][2]["value"], -0.3);
    fails_saying(&mut ds(&["--values", "1,2"], "short"), &["`values`", "2 values for 5 conditions"]);
    fails_saying(&mut ds(&["--values", "1,nan,3,4,5"], "nan"), &["condition 1: value", "NaN", "finite"]);

    // JSON: `value` per condition, or left out.
    let conds = examples::planar_fields(&[examples::Field::Vortex, examples::Field::Saddle], 60, 0);
    let mut body = serde_json::to_value(NewDataset::from_conditions(None, &conds, None)).unwrap();
    body["conditions"][0]["value"] = 2.5.into();
    let json = dir.path().join("fields.json");
    std::fs::write(&json, serde_json::json!({ "conditions": body["conditions"] }).to_string()).unwrap();
    let json_ds = |name: &str| {
        let mut cmd = marble();
        cmd.arg("dataset")
            .arg("--data")
            .arg(&json)
            .arg("--params")
            .arg(&params)
            .arg("--out")
            .arg(dir.path().join(name));
        cmd
    };
    run_ok(&mut json_ds("json"));
    let summary = read_json(&dir.path().join("json/summary.json"));
    assert_eq!(summary["conditions"][0]["value"], 2.5);
    assert!(summary["conditions"][1].get("value").is_none());
    body["conditions"][1]["value"] = "fast".into();
    std::fs::write(&json, serde_json::json!({ "conditions": body["conditions"] }).to_string()).unwrap();
    fails_saying(&mut json_ds("bad-json"), &["conditions[1].value", "one number"]);
}

#[test]
fn analyze_colours_the_points_by_a_variable_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0);
    let data = dir.path().join("fields.npz");
    marble::dataset::io::write_npz(&data, &conds).unwrap();
    let params = dir.path().join("p.toml");
    std::fs::write(&params, "k = 10\nepochs = 2\n").unwrap();
    let out = dir.path().join("run");
    run_ok(marble().arg("fit").arg("--data").arg(&data).arg("--params").arg(&params).arg("--out").arg(&out));
    // Names and no values: the legend of names stays.
    let before = std::fs::read_to_string(out.join("embedding.svg")).unwrap();
    assert!(texts(&before).iter().any(|w| w == "vortex"));
    // One value per input row, as a CSV column named `speed`.
    let speed = dir.path().join("behaviour.csv");
    let rows: String = (0..240).map(|i| format!("{i}\n")).collect();
    std::fs::write(&speed, format!("speed\n{rows}")).unwrap();
    let analyze = |colour: &Path| {
        let mut cmd = marble();
        cmd.args(["analyze", "--clusters", "3", "--view", "pca", "--run"]).arg(&out).arg("--colour-by").arg(colour);
        cmd
    };
    let printed = run_ok(&mut analyze(&speed));
    assert!(printed.contains("coloured by speed"), "{printed}");
    for figure in ["embedding.svg", "vector_field.svg"] {
        let words = texts(&std::fs::read_to_string(out.join(figure)).unwrap());
        assert!(words.iter().any(|w| w == "speed") && !words.iter().any(|w| w == "vortex"), "{figure}: {words:?}");
        assert!(words.iter().any(|w| w == "239") && words.iter().any(|w| w == "0"), "{figure}: the bar's ends");
    }
    // The other figures keep the conditions' names; analysis.json keeps the name only.
    assert!(texts(&std::fs::read_to_string(out.join("condition_map.svg")).unwrap()).iter().any(|w| w == "vortex"));
    let analysis = read_json(&out.join("analysis.json"));
    assert_eq!(analysis["colour_by"], "speed");
    assert!(analysis["params"].get("colour_by").is_none(), "{}", analysis["params"]);
    // An .npy takes its stem as the name.
    let npy = dir.path().join("time_in_trial.npy");
    ndarray_npy::write_npy(&npy, &ndarray::Array1::from_iter((0..240).map(|i| (i % 60) as f64))).unwrap();
    run_ok(&mut analyze(&npy));
    assert_eq!(read_json(&out.join("analysis.json"))["colour_by"], "time_in_trial");
    // A count that is neither the points nor the input rows, or two columns, is refused.
    let short = dir.path().join("short.csv");
    std::fs::write(&short, "speed\n1\n2\n3\n").unwrap();
    fails_saying(&mut analyze(&short), &["colour_by", "3 rows", "one row per point (240)"]);
    let wide = dir.path().join("wide.csv");
    std::fs::write(&wide, "a,b\n1,2\n").unwrap();
    fails_saying(&mut analyze(&wide), &["--colour-by", "2 columns", "one column"]);
    // Without it, the next analysis colours by condition again.
    run_ok(marble().args(["analyze", "--clusters", "3", "--view", "pca", "--run"]).arg(&out));
    assert!(texts(&std::fs::read_to_string(out.join("embedding.svg")).unwrap()).iter().any(|w| w == "vortex"));
    assert!(read_json(&out.join("analysis.json")).get("colour_by").is_none());
}

/// Values from `VanDerPol::conditions`, the condition map and `colour_by` on one engine.
fn values_and_colour_by(e: &dyn Engine) {
    let vdp = examples::VanDerPol { n_trajectories: 8, ..Default::default() }.conditions(0);
    let params = Params { k: 10, epochs: 2, ..Params::default() };
    let d = e.create_dataset(&NewDataset::from_conditions(Some("vdp"), &vdp, Some(params))).unwrap();
    assert_eq!(d.summary.condition_values(), MUS.map(Some));
    assert_eq!(e.dataset(&d.id).unwrap().summary.condition_values(), MUS.map(Some));
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    assert_eq!(e.wait(&job.id, Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
    let p = AnalysisParams { n_clusters: 4, ..AnalysisParams::default() };
    let a = e.analyze(&job.id, &p).unwrap();
    assert_eq!(a.condition_values, MUS.map(Some));
    assert_eq!(a.condition_map_explained.len(), 2);
    assert!(a.colour_by.is_none());
    let map = e.plot(&job.id, PlotKind::ConditionMap).unwrap();
    assert_eq!(circles(&map), 5);
    let words = texts(&map);
    assert!(words.iter().any(|w| w == "mu") && words.iter().any(|w| w.starts_with("axes explain")), "{words:?}");

    // Colour by time in trajectory, one value per input row.
    let time: Vec<f64> = vdp.as_slice().iter().flat_map(|c| c.label.as_ref().unwrap().to_vec()).collect();
    let coloured =
        AnalysisParams { colour_by: Some(time.clone()), colour_by_name: Some("time step".into()), ..p.clone() };
    let a = e.analyze(&job.id, &coloured).unwrap();
    assert_eq!(a.colour_by.as_deref(), Some("time step"));
    assert_eq!(a.params, p, "the values are not echoed");
    for kind in [PlotKind::Embedding, PlotKind::VectorField] {
        let words = texts(&e.plot(&job.id, kind).unwrap());
        assert!(words.iter().any(|w| w == "time step"), "{kind:?}: {words:?}");
    }
    let bad = AnalysisParams { colour_by: Some(time[..10].to_vec()), ..p.clone() };
    let err = e.analyze(&job.id, &bad).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert!(err.to_string().contains("colour_by") && err.to_string().contains("has 10 rows"), "{err}");
    let nameless = AnalysisParams { colour_by_name: Some("speed".into()), ..p.clone() };
    assert!(e.analyze(&job.id, &nameless).unwrap_err().to_string().contains("colour_by_name"));
}

#[test]
fn engines_keep_values_draw_the_condition_map_and_colour_by_a_variable() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let local = LocalEngine::open(LocalOptions::new(a.path())).unwrap();
    values_and_colour_by(&local);
    let base = start(b.path(), |_| {});
    values_and_colour_by(&HttpEngine::with_token(&base, None));
    // Non-finite values are refused before any work, naming the field.
    let vdp = examples::VanDerPol { n_trajectories: 8, ..Default::default() }.conditions(0);
    let nan = AnalysisParams { colour_by: Some(vec![f64::NAN; vdp.n_points()]), ..AnalysisParams::default() };
    let e = nan.check().unwrap_err();
    assert!(e.to_string().contains("`colour_by`") && e.to_string().contains("NaN"), "{e}");
    // Over HTTP, a value that is not a number is a 4xx naming it; the plot route lists the
    // condition map.
    let conds = examples::planar_fields(&[examples::Field::Vortex], 40, 0);
    let mut body = serde_json::to_value(NewDataset::from_conditions(None, &conds, None)).unwrap();
    body["conditions"][0]["value"] = "fast".into();
    let mut resp = raw().post(format!("{base}/v1/datasets")).send_json(&body).unwrap();
    assert!(resp.status().is_client_error());
    assert!(problem(&mut resp)["detail"].as_str().unwrap().contains("value"));
    let mut resp = raw().get(format!("{base}/v1/models/job_x/plots/map")).call().unwrap();
    assert!(resp.status().is_client_error());
    assert!(problem(&mut resp)["detail"].as_str().unwrap().contains("condition_map"));
}
