//! Groups of conditions (animals, sessions, networks) in one model: read from every input
//! format (`group_<c>` in .npz, `group` in JSON, `--groups-of-conditions`), kept in the
//! summary and analysis, and compared: conditions matched across groups, and decoders
//! trained on one group and scored on another, on both engines.

use std::time::Duration;

use marble::analysis::{AnalysisParams, MatchBy};
use marble::engine::*;
use marble::{Condition, Conditions, Params, examples};
use ndarray::{Array2, array};

use crate::cli::{marble, run_ok};
use crate::server::start;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn small(n: usize, shift: f64) -> Condition {
    let a = Array2::from_shape_fn((n, 2), |(i, k)| (i as f64 * 0.37 + k as f64 * 1.3 + shift).sin());
    Condition::new(a.clone(), a.mapv(|v| v * 0.5))
}

#[test]
fn groups_come_from_npz_json_and_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    // .npz: strings round-trip; whole numbers are read as their digits.
    let conds = Conditions::new(vec![
        small(30, 0.0).with_group("mihi").with_name("target 0"),
        small(30, 1.0).with_group("chewie").with_name("target 0"),
    ])
    .unwrap();
    let path = dir.path().join("two.npz");
    marble::dataset::io::write_npz(&path, &conds).unwrap();
    let back = marble::dataset::io::read_npz(&path).unwrap();
    assert_eq!(back.groups(), [Some("mihi".to_string()), Some("chewie".to_string())]);
    assert_eq!(back, conds);
    let numbered = dir.path().join("numbered.npz");
    {
        let mut w = ndarray_npy::NpzWriter::new(std::fs::File::create(&numbered).unwrap());
        for c in 0..2 {
            let s = small(20, c as f64);
            w.add_array(format!("anchor_{c}"), &s.anchor).unwrap();
            w.add_array(format!("vector_{c}"), &s.vector).unwrap();
            w.add_array(format!("group_{c}"), &ndarray::arr0(7i64 + c as i64)).unwrap();
        }
        w.finish().unwrap();
    }
    let back = marble::dataset::io::read_npz(&numbered).unwrap();
    assert_eq!(back.groups(), [Some("7".to_string()), Some("8".to_string())]);
    // JSON: a string or a whole number.
    let json = dir.path().join("two.json");
    let mut body = serde_json::to_value(NewDataset::from_conditions(None, &conds, None)).unwrap();
    body["conditions"][1]["group"] = 3.into();
    std::fs::write(&json, body.to_string()).unwrap();
    let back = marble::dataset::io::read_input(std::slice::from_ref(&json), None, None).unwrap();
    assert_eq!(back.groups(), [Some("mihi".to_string()), Some("3".to_string())]);
    body["conditions"][1]["group"] = 2.5.into();
    std::fs::write(&json, body.to_string()).unwrap();
    let e = marble::dataset::io::read_input(std::slice::from_ref(&json), None, None).unwrap_err().to_string();
    assert!(e.contains("conditions[1]") && e.contains("group"), "{e}");
    // The command line replaces the file's groups, and the summary shows them.
    let out = dir.path().join("ds");
    let said = run_ok(
        marble()
            .args(["dataset", "--data"])
            .arg(&path)
            .args(["--groups-of-conditions", "rat 1,rat 2", "--out"])
            .arg(&out),
    );
    assert!(said.contains("group") && said.contains("rat 1") && said.contains("rat 2"), "{said}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["conditions"][0]["group"], "rat 1");
    assert_eq!(summary["conditions"][1]["group"], "rat 2");
    // `marble fit` writes a name that recurs across groups with its group, and the matching.
    let params = dir.path().join("p.toml");
    std::fs::write(&params, "k = 5\nepochs = 2\n").unwrap();
    let run = dir.path().join("run");
    let said = run_ok(marble().args(["fit", "--data"]).arg(&path).arg("--params").arg(&params).arg("--out").arg(&run));
    assert!(said.contains("mihi: target 0") && said.contains("chewie: target 0"), "{said}");
    let matched = "mihi -> chewie: 1 of 1 matched (same name; chance 1.00)";
    assert!(said.contains("nearest condition in each other group:") && said.contains(matched), "{said}");
    let refused = marble()
        .args(["dataset", "--data"])
        .arg(&path)
        .args(["--groups-of-conditions", "one", "--out"])
        .arg(&out)
        .output();
    let stderr = String::from_utf8_lossy(&refused.unwrap().stderr).into_owned();
    assert!(stderr.contains("1 groups for 2 conditions"), "{stderr}");
}

#[test]
fn groups_are_all_or_none_and_names_are_distinct_within_a_group() {
    let e = Conditions::new(vec![small(10, 0.0).with_group("a"), small(10, 1.0)]).unwrap_err().to_string();
    assert!(e.contains("condition 1: group") && e.contains("every condition a group"), "{e}");
    let e = Conditions::new(vec![small(10, 0.0).with_group(" ")]).unwrap_err().to_string();
    assert!(e.contains("condition 0: group") && e.contains("blank"), "{e}");
    let e = Conditions::new(vec![
        small(10, 0.0).with_group("a").with_name("x"),
        small(10, 1.0).with_group("a").with_name("x"),
    ])
    .unwrap_err()
    .to_string();
    assert!(e.contains("condition 1: name") && e.contains("in group \"a\""), "{e}");
    let ok = Conditions::new(vec![small(10, 0.0).with_name("x"), small(10, 1.0).with_name("y")]).unwrap();
    let e = ok.with_groups(&strings(&["a"])).unwrap_err().to_string();
    assert!(e.contains("`groups`"), "{e}");
}

/// Three van der Pol flows (mu = -1, 0, 1) and the same flows rotated by `angle` in the
/// plane: groups "original" and "rotated", values mu, names shared across the groups.
fn rotated_copies(angle: f64) -> Conditions {
    examples::VanDerPol { mus: vec![-1.0, 0.0, 1.0], n_trajectories: 25, ..Default::default() }
        .with_rotated_copies(0, angle)
}

/// Fit `conds` with `params` on `e`, analyse, and decode `behaviour`.
fn fit_and_compare(
    e: &dyn Engine,
    conds: &Conditions,
    params: Params,
    behaviour: &Array2<f64>,
) -> (AnalysisInfo, DecodeInfo) {
    let d = e.create_dataset(&NewDataset::from_conditions(Some("copies"), conds, Some(params))).unwrap();
    assert_eq!(d.summary.condition_groups().unwrap()[3], "rotated");
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    let done = e.wait(&job.id, Duration::from_secs(300)).unwrap();
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.message);
    let a = e.analyze(&job.id, &AnalysisParams { n_clusters: 6, ..AnalysisParams::default() }).unwrap();
    let req = DecodeRequest { behaviour: behaviour.clone().into(), groups: None, folds: None };
    (a, e.decode(&job.id, &req).unwrap())
}

/// How many of the six conditions (both directions) met their copy.
fn matched(a: &AnalysisInfo) -> usize {
    let m = a.matching.as_ref().expect("two groups are matched");
    assert_eq!(m.by, Some(MatchBy::Value));
    assert_eq!(m.pairs.len(), 2);
    m.pairs.iter().flat_map(|p| &p.matches).filter(|x| x.same == Some(true)).count()
}

#[test]
fn rotated_copies_match_their_originals_in_the_embedding_agnostic_mode_only() {
    let conds = rotated_copies(2.0);
    // Behaviour that is the same for a point and its copy: the original position's x.
    let x: Vec<f64> = conds.as_slice()[..3].iter().flat_map(|c| c.anchor.column(0).to_vec()).collect();
    let behaviour = Array2::from_shape_fn((2 * x.len(), 1), |(i, _)| x[i % x.len()]);
    let base = Params { k: 10, epochs: 20, ..Params::default() };
    let agnostic = Params { local_gauges: true, inner_product_features: true, ..base.clone() };
    let dir = tempfile::tempdir().unwrap();
    let local = LocalEngine::open(LocalOptions::new(dir.path())).unwrap();
    let (a, dec) = fit_and_compare(&local, &conds, agnostic, &behaviour);
    assert_eq!(a.condition_groups.as_deref().unwrap()[0], "original");
    assert_eq!(matched(&a), 6, "{:?}", a.matching);
    let t = dec.transfer.as_ref().expect("two groups are decoded across");
    assert_eq!((t.transfers.len(), t.within.len()), (2, 2));
    eprintln!("agnostic transfer: {:?}", t.lines());
    // The default mode sees coordinates, which the rotation changes.
    let (a_default, dec_default) = fit_and_compare(&local, &conds, base.clone(), &behaviour);
    assert!(matched(&a_default) < 6, "{:?}", a_default.matching);
    eprintln!("default transfer: {:?}", dec_default.transfer.as_ref().unwrap().lines());
    // The HTTP engine returns the same matching and transfer as the local one.
    let served = tempfile::tempdir().unwrap();
    let http = HttpEngine::with_token(&start(served.path(), |_| {}), None);
    let (a_http, dec_http) = fit_and_compare(&http, &conds, base, &behaviour);
    assert_eq!(a_http.matching, a_default.matching);
    assert_eq!(dec_http.transfer, dec_default.transfer);
}

/// A curved surface in R^3 carrying a rotational flow, and its copy turned by a rotation
/// about an oblique axis (rows times `r`).
fn surface_and_turned_copy() -> (Conditions, Array2<f64>) {
    let n = 400;
    let anchor = Array2::from_shape_fn((n, 3), |(i, d)| {
        let (u, v) = ((i % 20) as f64 / 19.0 - 0.5, (i / 20) as f64 / 19.0 - 0.5);
        [u, v, 0.6 * u * u - 0.3 * v * v + 0.2 * u * v][d]
    });
    let vector = Array2::from_shape_fn((n, 3), |(i, d)| {
        let (u, v) = (anchor[[i, 0]], anchor[[i, 1]]);
        [-v + 0.3, u, 1.2 * u * (-v + 0.3) - 0.6 * v * u + 0.2 * (u * u - v * (v - 0.3))][d]
    });
    let (a, b) = (0.7f64, 1.1f64);
    let rx = array![[1.0, 0.0, 0.0], [0.0, a.cos(), a.sin()], [0.0, -a.sin(), a.cos()]];
    let rz = array![[b.cos(), b.sin(), 0.0], [-b.sin(), b.cos(), 0.0], [0.0, 0.0, 1.0]];
    let r = rx.dot(&rz);
    let original = Condition::new(anchor.clone(), vector.clone()).with_name("surface").with_group("original");
    let copy = Condition::new(anchor.dot(&r), vector.dot(&r)).with_name("surface").with_group("turned");
    (Conditions::new(vec![original, copy]).unwrap(), r)
}

/// How many points' frames in the copy differ from the turned frames of the original
/// (frame columns e become r^T e when rows x become x r).
fn frames_not_turned(data: &marble::Dataset, r: &Array2<f64>) -> usize {
    let half = data.offsets[1];
    (0..half)
        .filter(|&i| (&data.frames.at(half + i) - &r.t().dot(&data.frames.at(i))).iter().any(|d| d.abs() > 1e-8))
        .count()
}

#[test]
fn canonical_frames_turn_with_a_rotated_copy_and_the_reference_frames_do_not() {
    let (conds, r) = surface_and_turned_copy();
    let base = Params { k: 10, diffusion: false, local_gauges: true, ..Params::default() };
    let build = |p: Params| marble::Dataset::build(&conds, &p.check().unwrap(), &marble::progress::Silent).unwrap();
    let reference = build(base.clone());
    assert!(reference.local_gauges() && !reference.summary.canonical_frames);
    assert_eq!(reference.offsets, vec![0, 400, 800], "every point is kept, in the same order");
    // The reference's signs read the ambient axes, which the rotation changes.
    assert!(frames_not_turned(&reference, &r) > 50, "{}", frames_not_turned(&reference, &r));
    // Without local frames there is nothing to orient, and the summary says so.
    let unused = build(Params { canonical_frames: true, local_gauges: false, ..base.clone() });
    assert!(!unused.summary.canonical_frames, "{}", unused.summary);
    assert!(unused.summary.notes.iter().any(|n| n.contains("set local_gauges = true")), "{:?}", unused.summary.notes);
    let canonical = build(Params { canonical_frames: true, ..base });
    assert_eq!(canonical.summary.frames_kind(), "local, canonical");
    assert_eq!(frames_not_turned(&canonical, &r), 0);
    // Same axes up to sign as the reference's: only orientations changed.
    for i in 0..800 {
        let dots = reference.frames.at(i).t().dot(&canonical.frames.at(i));
        assert!(dots.diag().iter().all(|d| (d.abs() - 1.0).abs() < 1e-12), "point {i}: {dots}");
    }
}

#[test]
fn with_canonical_frames_a_planar_flow_and_its_rotated_copy_embed_alike() {
    let conds = rotated_copies(2.0);
    let p = Params {
        k: 10,
        epochs: 3,
        local_gauges: true,
        inner_product_features: true,
        canonical_frames: true,
        ..Params::default()
    }
    .check()
    .unwrap();
    let data = marble::Dataset::build(&conds, &p, &marble::progress::Silent).unwrap();
    // The reference keeps the identity frame in the plane; canonical frames are local there.
    assert!(data.local_gauges(), "{}", data.summary);
    let fitted =
        marble::model::fit(&data, &p, &Default::default(), &mut marble::model::NoObserver, &Default::default())
            .unwrap();
    let z = fitted.model.transform(&data).unwrap();
    let (o, half) = (&data.offsets, data.offsets[3]);
    assert_eq!(o[3..], o[..4].iter().map(|v| v + half).collect::<Vec<_>>()[..], "every point is kept");
    let scale = z.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let gaps: Vec<f32> =
        (0..half).map(|i| (&z.row(i) - &z.row(half + i)).iter().fold(0.0f32, |m, v| m.max(v.abs()))).collect();
    // Where a neighbourhood's two variances (nearly) tie, its axes are not fixed by the data
    // and a rotation may turn them differently: a few points, at most 3 in 100.
    let far = gaps.iter().filter(|&&g| g > 1e-4 * scale).count();
    assert!(far * 100 <= 3 * half, "{far} of {half} points embed apart from their copy (scale {scale})");
    let mut sorted = gaps.clone();
    sorted.sort_by(f32::total_cmp);
    assert!(sorted[half / 2] <= 1e-6 * scale, "median gap {} (scale {scale})", sorted[half / 2]);
}
