//! Data that is awkward but valid, as recordings are (issue 14): proximity graphs in several
//! connected components, isolated points, and repeated states. The Python reference accepts
//! all of them; so must we, with warnings where they matter.

use std::path::Path;

use marble::dataset::{Condition, Conditions, Dataset, io};
use marble::model::{Cancel, FitOptions, NoObserver, fit};
use marble::params::{DiffusionMethod, Duplicates};
use marble::progress::Silent;
use marble::{Params, examples};
use nalgebra::{DMatrix, SymmetricEigen};
use ndarray::{Array1, Array2, ArrayD};

use crate::cli::{marble, read_npy, run_ok};
use crate::model::spearman;

/// Two concentric circles (radii 1 and 3) carrying rotation fields, as one condition.
fn two_circles(n: usize) -> Condition {
    let mut anchor = Array2::zeros((2 * n, 2));
    let mut vector = Array2::zeros((2 * n, 2));
    for (c, r) in [1.0, 3.0].into_iter().enumerate() {
        for i in 0..n {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let row = c * n + i;
            anchor[[row, 0]] = r * a.cos();
            anchor[[row, 1]] = r * a.sin();
            // Rotation, faster on the inner circle.
            vector[[row, 0]] = -a.sin() / r;
            vector[[row, 1]] = a.cos() / r;
        }
    }
    Condition::new(anchor, vector)
}

/// exp(-t L_rw) x by a dense eigendecomposition of L_sym, on the whole (disconnected) graph.
fn dense_diffusion(data: &Dataset, t: f64, x: &Array2<f64>) -> Array2<f64> {
    let a = &data.adjacency;
    let n = a.n_rows;
    let d: Vec<f64> = (0..n).map(|i| a.row(i).1.iter().sum::<f64>()).collect();
    let mut l = DMatrix::<f64>::identity(n, n);
    for i in 0..n {
        let (cols, w) = a.row(i);
        for (&j, &wij) in cols.iter().zip(w) {
            l[(i, j as usize)] -= wij / (d[i] * d[j as usize]).sqrt();
        }
    }
    let eig = SymmetricEigen::new(l);
    let exp = &eig.eigenvectors
        * DMatrix::from_diagonal(&eig.eigenvalues.map(|v| (-t * v).exp()))
        * eig.eigenvectors.transpose();
    Array2::from_shape_fn(x.dim(), |(i, c)| {
        (0..n).map(|j| exp[(i, j)] * d[j].sqrt() * x[[j, c]]).sum::<f64>() / d[i].sqrt()
    })
}

#[test]
fn concentric_circles_build_diffuse_exactly_and_train() {
    let conds = Conditions::new(vec![two_circles(100)]).unwrap();
    for method in [DiffusionMethod::Krylov, DiffusionMethod::Spectral] {
        // n_eigenpairs = n keeps the whole spectrum, so `spectral` is exact too.
        let p = Params { diffusion_method: method, n_eigenpairs: 200, epochs: 3, ..Params::default() }.check().unwrap();
        let data = Dataset::build(&conds, &p, &Silent).unwrap();
        assert_eq!(data.summary.conditions[0].components, 2, "{method:?}");
        let warning = data.summary.warnings.join("\n");
        assert!(warning.contains("2 connected components (smallest sizes 100, 100"), "{warning}");
        assert!(data.summary.to_string().contains("warning: condition 0"), "{}", data.summary);
        // No edge joins the circles: the diffusion cannot mix them.
        for i in 0..100 {
            assert!(data.adjacency.row(i).0.iter().all(|&j| j < 100));
        }
        let diffusion = data.diffusion.as_ref().unwrap();
        for t in [0.3, 2.0, 20.0] {
            let ours = diffusion.at(t);
            let exact = dense_diffusion(&data, t, &data.vector);
            let scale = exact.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = (&ours - &exact).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(err <= 1e-5 * scale, "{method:?} t = {t}: error {err:e} against {scale}");
            // The Chebyshev reference agrees as well.
            let cheb = data.diffuse_exact(t, data.vector.view());
            assert!((&cheb - &exact).iter().all(|v| v.abs() <= 1e-9 * scale), "{method:?} t = {t}");
        }
        // Heat does not leak between components: exp(-t L) keeps each one's indicator.
        let inner = Array2::from_shape_fn((200, 1), |(i, _)| if i < 100 { 1.0 } else { 0.0 });
        for t in [1.0, 1e4] {
            let kept = dense_diffusion(&data, t, &inner);
            assert!((&kept - &inner).iter().all(|v| v.abs() < 1e-9), "t = {t}");
            assert!((&data.diffuse_exact(t.min(50.0), inner.view()) - &inner).iter().all(|v| v.abs() < 1e-9));
        }
        let fitted = fit(&data, &p, &FitOptions::default(), &mut NoObserver, &Cancel::new()).unwrap();
        assert_eq!(fitted.losses.train_loss.len(), 3);
        assert!(fitted.losses.train_loss.iter().chain(&fitted.losses.val_loss).all(|l| l.is_finite()));
        assert!(fitted.model.transform(&data).unwrap().iter().all(|v| v.is_finite()));
    }
}

/// Every .npy array of a run folder, as f64, by file name.
fn arrays(dir: &Path) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "npy") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let values: Vec<f64> = if let Ok(a) = ndarray_npy::read_npy::<_, ArrayD<f32>>(&path) {
                a.iter().map(|&v| f64::from(v)).collect()
            } else if let Ok(a) = ndarray_npy::read_npy::<_, ArrayD<f64>>(&path) {
                a.into_iter().collect()
            } else {
                let a: ArrayD<i64> = ndarray_npy::read_npy(&path).unwrap();
                a.iter().map(|&v| v as f64).collect()
            };
            out.push((name, values));
        }
    }
    out
}

fn fit_cli(dir: &Path, conds: &Conditions, params: &str) -> (std::path::PathBuf, String) {
    let data = dir.join("in.npz");
    io::write_npz(&data, conds).unwrap();
    let p = dir.join("p.toml");
    std::fs::write(&p, params).unwrap();
    let out = dir.join("run");
    let stdout = run_ok(marble().args(["fit", "--data"]).arg(&data).arg("--params").arg(&p).arg("--out").arg(&out));
    (out, stdout)
}

#[test]
fn an_isolated_point_gives_no_nan_anywhere() {
    // A curved sheet in R^3 (so local frames are fitted) and one point far from it.
    let n = 300;
    let mut anchor = Array2::zeros((n + 1, 3));
    let mut vector = Array2::zeros((n + 1, 3));
    for i in 0..n {
        let (u, v) = ((i % 20) as f64 / 19.0, (i / 20) as f64 / 14.0);
        anchor.row_mut(i).assign(&Array1::from(vec![u, v, 0.3 * u * u]));
        vector.row_mut(i).assign(&Array1::from(vec![-v, u, 0.6 * u * -v]));
    }
    anchor.row_mut(n).assign(&Array1::from(vec![40.0, 40.0, 40.0]));
    vector.row_mut(n).assign(&Array1::from(vec![1.0, 0.0, 0.0]));
    let other = examples::surface_fields(examples::Surface::ParaboloidR3, n, 1).into_vec().remove(0);
    let conds = Conditions::new(vec![Condition::new(anchor, vector), other]).unwrap();
    for local in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let params = format!("epochs = 3\norder = 2\nk = 10\nlocal_gauges = {local}\n");
        let (out, stdout) = fit_cli(dir.path(), &conds, &params);
        assert!(stdout.contains("isolated point(s)"), "{stdout}");
        if local {
            assert!(stdout.contains("frames were completed"), "{stdout}");
        }
        let all = arrays(&out);
        for name in ["embedding.npy", "distances.npy", "view_2d.npy", "condition_map.npy", "cluster_centroids.npy"] {
            assert!(all.iter().any(|(n, _)| n == name), "{name} missing");
        }
        for (name, values) in &all {
            assert!(values.iter().all(|v| v.is_finite()), "local = {local}: {name} holds a NaN or infinity");
        }
        let losses = std::fs::read_to_string(out.join("losses.json")).unwrap();
        assert!(!losses.contains("NaN") && !losses.contains("null"), "{losses}");
    }
}

#[test]
fn van_der_pol_with_few_long_trajectories_orders_mu() {
    // 20 trajectories of 60 steps per mu (the `vanderpol-long` example): orbits of
    // different radii fall apart into components (with this seed, at mu = 0 and mu = 1).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("vdp.npz");
    run_ok(marble().args(["example", "vanderpol-long", "--seed", "0", "--out"]).arg(&data));
    let params = dir.path().join("p.toml");
    // Unit-normalised orders: the orbits' speeds grow with their radius, and without
    // vec_norm the conditions' different radial coverage, not their dynamics, dominates.
    std::fs::write(&params, "epochs = 20\norder = 1\nvec_norm = true\n").unwrap();
    let out = dir.path().join("run");
    let stdout =
        run_ok(marble().args(["fit", "--data"]).arg(&data).arg("--params").arg(&params).arg("--out").arg(&out));
    assert!(stdout.contains("warning: condition 2: the proximity graph has 2 connected components"), "{stdout}");
    let map: Array2<f64> = read_npy(&out.join("condition_map.npy"));
    let mus = examples::VanDerPol::default().mus;
    let rho = spearman(&map.column(0).to_vec(), &mus);
    assert!(rho.abs() >= 0.9, "Spearman {rho} of the first MDS coordinate against mu; map {map}");
}

#[test]
fn unsmoothed_spike_counts_fit_and_every_row_gets_an_embedding() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/monkey_m1_centre_out/chewie.npz");
    if !path.exists() {
        eprintln!("skipped: {} is absent (recordings live in ../shared/data)", path.display());
        return;
    }
    let reaching = marble::reaching::read(&path, "b", 5, 0.0).unwrap();
    let conds = reaching.conditions;
    let sizes: Vec<usize> = conds.as_slice().iter().map(|c| c.len()).collect();

    // Recording b repeats 26 of its 1,200 count vectors. Refused on request, with the rows named.
    let refuse = Params { duplicates: Duplicates::Error, ..Params::default() }.check().unwrap();
    let e = Dataset::build(&conds, &refuse, &Silent).unwrap_err();
    assert_eq!(e.code(), "duplicate_points", "{e}");

    let dir = tempfile::tempdir().unwrap();
    let (out, stdout) = fit_cli(dir.path(), &conds, "epochs = 2\n");
    assert!(stdout.contains("were merged"), "{stdout}");
    let emb: Array2<f32> = read_npy(&out.join("embedding.npy"));
    let condition: Array1<i64> = read_npy(&out.join("condition.npy"));
    let sample_index: Array1<i64> = read_npy(&out.join("sample_index.npy"));
    assert_eq!(emb.nrows(), sizes.iter().sum::<usize>());
    assert!(emb.iter().all(|v| v.is_finite()));
    // Each input row exactly once, in order, and identical anchors share their embedding.
    for (c, &n) in sizes.iter().enumerate() {
        let rows: Vec<i64> =
            condition.iter().zip(&sample_index).filter(|&(&k, _)| k == c as i64).map(|(_, &r)| r).collect();
        assert_eq!(rows, (0..n as i64).collect::<Vec<_>>(), "condition {c}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let repeated: u64 =
        summary["conditions"].as_array().unwrap().iter().map(|c| c["repeated_rows"].as_u64().unwrap()).sum();
    assert!(repeated > 0);
    let start: Vec<usize> = sizes
        .iter()
        .scan(0, |s, n| {
            let a = *s;
            *s += n;
            Some(a)
        })
        .collect();
    let anchors = &conds.as_slice()[0].anchor;
    let (i, j) = (0..sizes[0])
        .flat_map(|i| (i + 1..sizes[0]).map(move |j| (i, j)))
        .find(|&(i, j)| anchors.row(i) == anchors.row(j))
        .expect("condition 0 repeats a state");
    assert_eq!(emb.row(start[0] + i), emb.row(start[0] + j));
}
