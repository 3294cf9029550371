//! `marble prepare`: recordings of different dimension, each reduced by its own PCA to a
//! common one, written as one `.npz` with each condition's group.

use std::path::{Path, PathBuf};

use marble::dataset::io;
use marble::{Condition, Conditions, examples};
use ndarray::Array2;

use crate::cli::{marble, run_ok};

/// Two planar flows embedded in R^d by a fixed rank-2 linear map (plus an offset), named.
fn recording(d: usize) -> Conditions {
    let flows = examples::planar_fields(&[examples::Field::Vortex, examples::Field::Saddle], 60, 0);
    let map =
        Array2::from_shape_fn((2, d), |(i, j)| ((i * d + j) as f64 * 0.7).sin() + f64::from(u8::from(i == j % 2)));
    let conds = flows
        .as_slice()
        .iter()
        .zip(["vortex", "saddle"])
        .map(|(c, name)| Condition::new(c.anchor.dot(&map) + 2.0, c.vector.dot(&map)).with_name(name))
        .collect();
    Conditions::new(conds).unwrap()
}

fn write(dir: &Path, stem: &str, conds: &Conditions) -> PathBuf {
    let path = dir.join(format!("{stem}.npz"));
    io::write_npz(&path, conds).unwrap();
    path
}

#[test]
fn prepare_reduces_each_recording_and_fit_reads_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let (six, nine) = (write(dir.path(), "mihi", &recording(6)), write(dir.path(), "chewie", &recording(9)));
    let out = dir.path().join("both.npz");
    let said = run_ok(marble().args(["prepare", "--dim", "2", "--out"]).arg(&out).arg(&six).arg(&nine));
    assert!(said.contains("group \"mihi\": 6 dimensions, 2 conditions, 120 points"), "{said}");
    assert!(said.contains("group \"chewie\": 9 dimensions"), "{said}");
    assert!(said.contains("2 components keep 100.0% of the variance"), "{said}");
    let back = io::read_conditions(&out).unwrap();
    assert_eq!((back.len(), back.embedding_dim(), back.signal_dim()), (4, 2, 2));
    assert_eq!(back.groups(), ["mihi", "mihi", "chewie", "chewie"].map(|g| Some(g.to_string())));
    assert_eq!(back.names(), ["vortex", "saddle", "vortex", "saddle"]);
    assert!(back.as_slice().iter().all(|c| c.anchor.nrows() == 60 && c.vector.nrows() == 60));
    // What `marble fit --data` reads first: the dataset builds from the output.
    let params = dir.path().join("p.toml");
    std::fs::write(&params, "k = 10\n").unwrap();
    let built = run_ok(
        marble()
            .args(["dataset", "--data"])
            .arg(&out)
            .arg("--params")
            .arg(&params)
            .arg("--out")
            .arg(dir.path().join("ds")),
    );
    assert!(built.contains("4 conditions, 240 points"), "{built}");
    // --group-names names the groups instead of the stems.
    let renamed = dir.path().join("renamed.npz");
    run_ok(
        marble().args(["prepare", "--dim", "2", "--group-names", "a,b", "--out"]).arg(&renamed).arg(&six).arg(&nine),
    );
    let back = io::read_conditions(&renamed).unwrap();
    assert_eq!(back.groups(), ["a", "a", "b", "b"].map(|g| Some(g.to_string())));
}

#[test]
fn prepare_refuses_a_dim_above_a_recording_and_mismatched_group_names() {
    let dir = tempfile::tempdir().unwrap();
    let (six, nine) = (write(dir.path(), "mihi", &recording(6)), write(dir.path(), "chewie", &recording(9)));
    let out = dir.path().join("both.npz");
    let fails = |args: &[&str]| {
        let o = marble().arg("prepare").args(args).arg("--out").arg(&out).arg(&six).arg(&nine).output().unwrap();
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let err = fails(&["--dim", "7"]);
    assert!(err.contains("`dim`") && err.contains("group \"mihi\" has 6 dimensions"), "{err}");
    let err = fails(&["--dim", "2", "--group-names", "a"]);
    assert!(err.contains("--group-names") && err.contains("1 names for 2 inputs"), "{err}");
    assert!(!out.exists());
}
