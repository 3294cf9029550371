//! Condition names: given in every input format (`name_<c>` in .npz, `name` in JSON, the CSV
//! file stem, `--names`), stored with the dataset, returned by the API and written in every
//! figure, table and analysis.json.

use std::time::Duration;

use marble::analysis::AnalysisParams;
use marble::engine::*;
use marble::{Params, examples};

use crate::cli::{marble, run_ok};
use crate::server::{problem, raw, start};

fn svg_has_all(svg: &str, names: &[&str]) {
    for n in names {
        assert!(svg.contains(n), "the figure does not show {n:?}");
    }
}

#[test]
fn npz_names_round_trip_and_examples_name_their_conditions() {
    let dir = tempfile::tempdir().unwrap();
    let conds = examples::VanDerPol { n_trajectories: 5, ..Default::default() }.conditions(0);
    assert_eq!(conds.names(), ["mu = -1.0", "mu = -0.5", "mu = 0.0", "mu = 0.5", "mu = 1.0"]);
    let path = dir.path().join("vdp.npz");
    marble::dataset::io::write_npz(&path, &conds).unwrap();
    let back = marble::dataset::io::read_npz(&path).unwrap();
    assert_eq!(back, conds);
    let planar = examples::planar_fields(&examples::PLANAR_FIELDS, 20, 0);
    assert_eq!(planar.names(), ["flow left", "flow right", "vortex", "saddle"]);
    let reach = examples::reaching_like(4, 20, 0);
    assert_eq!(reach.names(), ["target 0 deg", "target 90 deg", "target 180 deg", "target 270 deg"]);
    // Unnamed conditions keep the old labels.
    let unnamed = marble::Conditions::new(vec![marble::Condition::new(
        ndarray::Array2::zeros((3, 2)),
        ndarray::Array2::zeros((3, 2)),
    )])
    .unwrap();
    assert_eq!(unnamed.names(), ["condition 0"]);
}

#[test]
fn bad_names_are_refused_with_the_field() {
    let c =
        |n: &str| marble::Condition::new(ndarray::Array2::zeros((3, 2)), ndarray::Array2::zeros((3, 2))).with_name(n);
    let e = marble::Conditions::new(vec![c("a"), c("a")]).unwrap_err().to_string();
    assert!(e.contains("condition 1: name") && e.contains("also the name of condition 0"), "{e}");
    let e = marble::Conditions::new(vec![c("  ")]).unwrap_err().to_string();
    assert!(e.contains("condition 0: name") && e.contains("blank"), "{e}");
    let e = marble::Conditions::new(vec![c("two\nlines")]).unwrap_err().to_string();
    assert!(e.contains("control character"), "{e}");
    let one = marble::Conditions::new(vec![c("a"), c("b")]).unwrap();
    let e = one.with_names(&["x".to_string()]).unwrap_err().to_string();
    assert!(e.contains("`names`") && e.contains("1 names for 2 conditions"), "{e}");
}

#[test]
fn cli_names_from_csv_stems_and_the_names_flag_reach_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let conds = examples::planar_fields(&[examples::Field::Vortex, examples::Field::Saddle], 80, 0);
    let mut files = Vec::new();
    for (stem, cond) in ["spin", "split"].iter().zip(conds.as_slice()) {
        let mut text = String::from("x0,x1,v0,v1\n");
        for (a, v) in cond.anchor.rows().into_iter().zip(cond.vector.rows()) {
            text += &format!("{},{},{},{}\n", a[0], a[1], v[0], v[1]);
        }
        let f = dir.path().join(format!("{stem}.csv"));
        std::fs::write(&f, text).unwrap();
        files.push(f);
    }
    let params = dir.path().join("p.toml");
    std::fs::write(&params, "k = 10\nepochs = 2\n").unwrap();
    let out = dir.path().join("run");
    // `marble fit` on both CSV files, with `extra` arguments.
    let fit = |out: &std::path::Path, extra: &[&str]| {
        run_ok(
            marble()
                .arg("fit")
                .arg("--data")
                .arg(&files[0])
                .arg("--data")
                .arg(&files[1])
                .args(extra)
                .arg("--params")
                .arg(&params)
                .arg("--out")
                .arg(out),
        )
    };
    let read_json = |path: std::path::PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let printed = fit(&out, &[]);
    // The summary table and the distance table are labelled.
    assert!(printed.lines().any(|l| l.trim_end().ends_with("  spin")), "{printed}");
    assert!(printed.lines().any(|l| l.trim_start().starts_with("split ")), "{printed}");
    let summary = read_json(out.join("summary.json"));
    assert_eq!(summary["conditions"][0]["name"], "spin");
    assert_eq!(summary["conditions"][1]["name"], "split");
    let analysis = read_json(out.join("analysis.json"));
    assert_eq!(analysis["condition_names"], serde_json::json!(["spin", "split"]));
    for fig in ["distances.svg", "clusters.svg", "embedding.svg", "vector_field.svg"] {
        svg_has_all(&std::fs::read_to_string(out.join(fig)).unwrap(), &["spin", "split"]);
    }
    // `marble analyze` keeps them; `--names` replaces them.
    run_ok(marble().args(["analyze", "--clusters", "3", "--run"]).arg(&out));
    svg_has_all(&std::fs::read_to_string(out.join("distances.svg")).unwrap(), &["spin", "split"]);
    let renamed = dir.path().join("renamed");
    fit(&renamed, &["--names", "rotation,hyperbolic", "--no-analysis"]);
    let summary = read_json(renamed.join("summary.json"));
    assert_eq!(summary["conditions"][1]["name"], "hyperbolic");
    let bad = marble()
        .arg("dataset")
        .arg("--data")
        .arg(&files[0])
        .args(["--names", "a,b", "--out"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("`names`") && err.contains("2 names for 1 conditions"), "{err}");
}

#[test]
fn http_and_engine_return_the_names_and_draw_them() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), |_| {});
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0);
    // JSON with a `name` per condition, through the raw API.
    let mut body = serde_json::to_value(NewDataset::from_conditions(
        None,
        &conds,
        Some(Params { k: 10, epochs: 2, ..Params::default() }),
    ))
    .unwrap();
    let names = ["left", "right", "whirl", "saddle point"];
    for (c, n) in body["conditions"].as_array_mut().unwrap().iter_mut().zip(names) {
        c["name"] = n.into();
    }
    let mut resp = raw().post(format!("{base}/v1/datasets")).send_json(&body).unwrap();
    assert_eq!(resp.status(), 201);
    let created: DatasetInfo = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    let e = HttpEngine::with_token(&base, None);
    let got = e.dataset(&created.id).unwrap();
    assert_eq!(got.summary.condition_names(), names);
    let job = e.start_fit(&FitRequest { dataset: created.id.clone(), params: None }).unwrap();
    assert_eq!(e.wait(&job.id, Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
    let a = e.analyze(&job.id, &AnalysisParams { n_clusters: 4, ..AnalysisParams::default() }).unwrap();
    assert_eq!(a.condition_names, names);
    svg_has_all(&e.plot(&job.id, PlotKind::Distances).unwrap(), &names);
    svg_has_all(&e.plot(&job.id, PlotKind::Clusters).unwrap(), &names);

    // An .npz upload carries `name_<c>`; the in-process engine reads the same.
    let npz = dir.path().join("vdp.npz");
    let vdp = examples::VanDerPol { n_trajectories: 8, ..Default::default() }.conditions(0);
    marble::dataset::io::write_npz(&npz, &vdp).unwrap();
    let mut resp = raw()
        .post(format!("{base}/v1/datasets"))
        .header("content-type", "application/octet-stream")
        .send(std::fs::read(&npz).unwrap())
        .unwrap();
    assert_eq!(resp.status(), 201);
    let up: DatasetInfo = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(up.summary.condition_names(), vdp.names());
    let local = LocalEngine::open(LocalOptions::new(dir.path().join("local"))).unwrap();
    let d = local
        .create_dataset(&NewDataset::from_conditions(None, &vdp, Some(Params { k: 10, ..Params::default() })))
        .unwrap();
    assert_eq!(d.summary.condition_names(), vdp.names());

    // Repeated names are refused with the field that is wrong.
    body["conditions"][1]["name"] = "left".into();
    let mut resp = raw().post(format!("{base}/v1/datasets")).send_json(&body).unwrap();
    assert!(resp.status().is_client_error());
    let p = problem(&mut resp);
    assert!(p["detail"].as_str().unwrap().contains("condition 1: name"), "{p}");
}
