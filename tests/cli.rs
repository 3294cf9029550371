//! The `marble` command as a user runs it.

use std::process::Command;

fn marble() -> Command {
    Command::new(env!("CARGO_BIN_EXE_marble"))
}

#[test]
fn example_then_dataset_writes_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fields.npz");
    let out = marble().args(["example", "parabola-fields", "--n", "300", "--out"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let params = dir.path().join("p.toml");
    std::fs::write(&params, "local_gauges = true\nk = 15\n").unwrap();
    let outdir = dir.path().join("ds");
    let out = marble()
        .args(["dataset", "--data"])
        .arg(&data)
        .arg("--params")
        .arg(&params)
        .arg("--out")
        .arg(&outdir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("4 conditions, 1200 points"), "{stdout}");
    assert!(stdout.contains("manifold dim 2 (local frames)"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outdir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["n_points"], 1200);
    assert_eq!(summary["manifold_dim"], 2);
    assert_eq!(summary["conditions"].as_array().unwrap().len(), 4);
    assert_eq!(summary["conditions"][0]["points_in"], 300);
    assert!(summary["timings"].as_array().unwrap().iter().any(|t| t["step"] == "frames"));
    let npz = marble::dataset::io::read_conditions(&data).unwrap();
    assert_eq!(npz.len(), 4);
    let ds = std::fs::File::open(outdir.join("dataset.npz")).unwrap();
    let mut ds = ndarray_npy::NpzReader::new(ds).unwrap();
    let cond: ndarray::Array1<i64> = ds.by_name("condition").unwrap();
    assert_eq!(cond.len(), 1200);
    let gauges: ndarray::Array3<f64> = ds.by_name("gauges").unwrap();
    assert_eq!(gauges.dim(), (1200, 3, 2));
}

#[test]
fn bad_input_and_params_fail_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "0,0,1,0\n1,1,0,1\n").unwrap();
    let out = marble().args(["dataset", "--data"]).arg(&csv).arg("--out").arg(dir.path().join("o")).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`k` = 20 but condition 0 has 2 points"), "{err}");
    let params = dir.path().join("p.json");
    std::fs::write(&params, r#"{"k": 3, "spacnig": 0.1}"#).unwrap();
    let out = marble()
        .args(["dataset", "--data"])
        .arg(&csv)
        .arg("--params")
        .arg(&params)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `spacnig`"), "{err}");
    let out = marble().args(["example", "nonsense", "--out"]).arg(dir.path().join("x.npz")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown example `nonsense`"));
}
