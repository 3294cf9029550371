//! Stages 2-3 end to end: training lowers the loss, fields separate, embeddings compare
//! across differently embedded manifolds, van der Pol is ordered by mu, and models are
//! reproducible, saved and resumed.

use marble::dataset::{Condition, Conditions, Dataset, Split};
use marble::internals::model::store;
use marble::model::{Cancel, FitOptions, Fitted, NoObserver, Observer, fit};
use marble::progress::Silent;
use marble::{Params, examples};
use ndarray::{Array1, Array2, Axis};
use rand::{Rng, SeedableRng};

fn build(c: &Conditions, p: &Params) -> Dataset {
    Dataset::build(c, &p.clone().check().unwrap(), &Silent).unwrap()
}

fn train(d: &Dataset, p: &Params) -> Fitted {
    fit(d, &p.clone().check().unwrap(), &FitOptions::default(), &mut NoObserver, &Cancel::new()).unwrap()
}

/// Accuracy of a k-nearest-neighbour vote of `labels`, fitted on the training split and
/// evaluated on the held-out (validation and test) points.
fn knn_accuracy(z: &Array2<f32>, d: &Dataset, labels: &[usize], k: usize) -> f64 {
    let train = d.indices(Split::Train);
    let held: Vec<usize> = (0..d.n_points()).filter(|&i| d.split[i] != Split::Train).collect();
    let n_labels = labels.iter().max().unwrap() + 1;
    let correct = held
        .iter()
        .filter(|&&i| {
            let mut dist: Vec<(f32, usize)> =
                train.iter().map(|&j| ((&z.row(i) - &z.row(j)).mapv(|v| v * v).sum(), labels[j])).collect();
            dist.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut votes = vec![0; n_labels];
            for &(_, l) in &dist[..k] {
                votes[l] += 1;
            }
            let best = (0..n_labels).max_by_key(|&l| votes[l]).unwrap();
            best == labels[i]
        })
        .count();
    correct as f64 / held.len() as f64
}

fn condition_means(z: &Array2<f32>, d: &Dataset) -> Vec<Array1<f64>> {
    (0..d.n_conditions())
        .map(|c| z.slice(ndarray::s![d.offsets[c]..d.offsets[c + 1], ..]).mapv(f64::from).mean_axis(Axis(0)).unwrap())
        .collect()
}

fn dist(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    (a - b).mapv(|v| v * v).sum().sqrt()
}

#[test]
fn training_lowers_the_loss() {
    let c = examples::planar_fields(&examples::PLANAR_FIELDS, 256, 0);
    let p = Params { epochs: 15, ..Params::default() };
    let f = train(&build(&c, &p), &p);
    let first = f.losses.train_loss[0];
    let last = *f.losses.train_loss.last().unwrap();
    assert!(last < first - 0.05, "train loss {first} -> {last}");
    assert!(f.losses.val_loss.iter().copied().fold(f64::INFINITY, f64::min) < f.losses.val_loss[0]);
    assert_eq!(f.losses.train_loss.len(), 15);
    assert_eq!(f.losses.test_loss.len(), 1);
}

#[test]
fn four_planar_fields_separate_in_the_default_mode() {
    let c = examples::planar_fields(&examples::PLANAR_FIELDS, 512, 0);
    // Five latent dimensions: in three, vortex and saddle (whose flow values have the same
    // distribution and differ only in their derivatives) overlap; see the closing note.
    let p = Params { out_channels: 5, ..Params::default() };
    let d = build(&c, &p);
    let f = train(&d, &p);
    let z = f.model.transform(&d).unwrap();
    let acc = knn_accuracy(&z, &d, &d.condition, 10);
    assert!(acc >= 0.9, "kNN accuracy {acc}");
}

#[test]
fn inner_product_mode_separates_flow_types() {
    let c = examples::planar_fields(&examples::PLANAR_FIELDS, 512, 0);
    // Flow types differ in their derivatives; the signal itself (include_self) only adds
    // position-dependent spread, with identical distributions for vortex and saddle.
    let p = Params { inner_product_features: true, include_self: false, ..Params::default() };
    let d = build(&c, &p);
    let f = train(&d, &p);
    let z = f.model.transform(&d).unwrap();
    // The two uniform flows are rotations of each other and may coincide: merge them.
    let types: Vec<usize> = d.condition.iter().map(|&c| if c == 1 { 0 } else { c }).collect();
    let acc = knn_accuracy(&z, &d, &types, 10);
    assert!(acc >= 0.9, "kNN accuracy over flow types {acc}");
}

/// `field` drawn on the plane spanned by orthonormal u, v in R^3 (n random points).
fn on_plane(field: examples::Field, u: [f64; 3], v: [f64; 3], n: usize, seed: u64) -> Condition {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::zeros((n, 3));
    let mut f = Array2::zeros((n, 3));
    for i in 0..n {
        let (a, b) = (rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
        let w = field.at(a, b);
        for k in 0..3 {
            x[[i, k]] = a * u[k] + b * v[k];
            f[[i, k]] = w[0] * u[k] + w[1] * v[k];
        }
    }
    Condition::new(x, f)
}

fn orthonormal(u: [f64; 3], v: [f64; 3]) -> ([f64; 3], [f64; 3]) {
    let nu = u.iter().map(|a| a * a).sum::<f64>().sqrt();
    let u = u.map(|a| a / nu);
    let dot: f64 = (0..3).map(|k| u[k] * v[k]).sum();
    let v: [f64; 3] = std::array::from_fn(|k| v[k] - dot * u[k]);
    let nv = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    (u, v.map(|a| a / nv))
}

#[test]
fn inner_products_compare_dynamics_across_embeddings() {
    use examples::Field::{Saddle, Vortex};
    let (u1, v1) = orthonormal([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]);
    let (u2, v2) = orthonormal([0.0, 0.6, 0.8], [1.0, 0.3, -0.2]);
    let (u3, v3) = orthonormal([0.7, -0.7, 0.1], [0.2, 0.3, 0.9]);
    let c = Conditions::new(vec![
        on_plane(Vortex, u1, v1, 600, 1),
        on_plane(Vortex, u2, v2, 600, 2),
        on_plane(Saddle, u3, v3, 600, 3),
    ])
    .unwrap();
    // As for flow types on the plane: compare dynamics through their derivatives.
    let p = Params { local_gauges: true, inner_product_features: true, include_self: false, ..Params::default() };
    let d = build(&c, &p);
    assert!(d.local_gauges());
    assert_eq!(d.manifold_dim(), 2);
    let f = train(&d, &p);
    let z = f.model.transform(&d).unwrap();
    let m = condition_means(&z, &d);
    let (vv, v1s, v2s) = (dist(&m[0], &m[1]), dist(&m[0], &m[2]), dist(&m[1], &m[2]));
    assert!(vv < v1s && vv < v2s, "vortex-vortex {vv}, vortex-saddle {v1s} {v2s}");
}

/// Classical MDS to one dimension: the leading eigenvector of the double-centred squared
/// distances, scaled by the square root of its eigenvalue.
fn mds_1d(dist: &Array2<f64>) -> Vec<f64> {
    let n = dist.nrows();
    let d2 = dist.mapv(|v| v * v);
    let j = Array2::<f64>::eye(n) - Array2::<f64>::from_elem((n, n), 1.0 / n as f64);
    let b = j.dot(&d2).dot(&j) * -0.5;
    // Power iteration (b is symmetric positive semi-definite up to rounding).
    let mut v = Array1::from_iter((0..n).map(|i| 1.0 + i as f64));
    for _ in 0..1000 {
        let w = b.dot(&v);
        let norm = w.dot(&w).sqrt();
        v = w / norm;
    }
    v.to_vec()
}

pub(crate) fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let rank = |x: &[f64]| {
        let mut idx: Vec<usize> = (0..x.len()).collect();
        idx.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
        let mut r = vec![0.0; x.len()];
        for (k, &i) in idx.iter().enumerate() {
            r[i] = k as f64;
        }
        r
    };
    let (ra, rb) = (rank(a), rank(b));
    let n = a.len() as f64;
    let d2: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - y).powi(2)).sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

#[test]
fn van_der_pol_conditions_are_ordered_by_mu() {
    let sweep = examples::VanDerPol::default();
    let c = sweep.conditions(0);
    // The reference's van der Pol notebook: 50 epochs, 5 latent dimensions, no diffusion.
    let p = Params { epochs: 50, out_channels: 5, diffusion: false, ..Params::default() };
    let d = build(&c, &p);
    let f = train(&d, &p);
    let z = f.model.transform(&d).unwrap();
    let m = condition_means(&z, &d);
    let n = m.len();
    let dm = Array2::from_shape_fn((n, n), |(i, j)| dist(&m[i], &m[j]));
    let coord = mds_1d(&dm);
    let rho = spearman(&coord, &sweep.mus).abs();
    assert!(rho >= 0.9, "Spearman {rho}; MDS coordinate {coord:?}");
}

fn small() -> (Conditions, Params) {
    (examples::planar_fields(&examples::PLANAR_FIELDS, 150, 4), Params { epochs: 5, ..Params::default() })
}

#[test]
fn same_seed_same_embedding_and_save_load_round_trip() {
    let (c, p) = small();
    let d = build(&c, &p);
    let a = train(&d, &p);
    let b = train(&d, &p);
    let za = a.model.transform(&d).unwrap();
    assert_eq!(za, b.model.transform(&d).unwrap());
    assert_eq!(a.losses, b.losses);
    let other = train(&d, &Params { seed: 7, ..p.clone() });
    assert_ne!(za, other.model.transform(&d).unwrap());
    let dir = tempfile::tempdir().unwrap();
    store::save(dir.path(), &a.model, &p, &a.losses).unwrap();
    let (loaded, lp) = store::load(dir.path()).unwrap();
    assert_eq!(lp, p);
    assert_eq!(loaded, a.model);
    assert_eq!(loaded.transform(&d).unwrap(), za);
    assert_eq!(store::read_losses(dir.path()).unwrap(), a.losses);
    // A damaged weights file is an error that names it, not a panic.
    std::fs::write(dir.path().join("model.npz"), b"not an archive").unwrap();
    let e = store::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("model.npz"), "{e}");
}

#[test]
fn resuming_continues_the_epoch_count_exactly() {
    let (c, p) = small();
    let d = build(&c, &p);
    let straight = train(&d, &p);
    let dir = tempfile::tempdir().unwrap();
    let opts = FitOptions { checkpoint_dir: Some(dir.path().to_path_buf()), ..FitOptions::default() };
    let first =
        fit(&d, &Params { epochs: 3, ..p.clone() }.check().unwrap(), &opts, &mut NoObserver, &Cancel::new()).unwrap();
    assert_eq!(first.epochs, 3);
    let opts = FitOptions { resume: true, ..opts };
    let resumed =
        fit(&d, &Params { epochs: 2, ..p.clone() }.check().unwrap(), &opts, &mut NoObserver, &Cancel::new()).unwrap();
    assert_eq!(resumed.epochs, 5);
    assert_eq!(resumed.losses.train_loss, straight.losses.train_loss);
    assert_eq!(resumed.losses.val_loss, straight.losses.val_loss);
    assert_eq!(resumed.model, straight.model);
    // Resuming against a different architecture is refused.
    let e = fit(&d, &Params { out_channels: 4, ..p.clone() }.check().unwrap(), &opts, &mut NoObserver, &Cancel::new())
        .unwrap_err();
    assert_eq!(e.code(), "incompatible_model");
}

struct StopAfter(usize, Cancel, Vec<usize>);

impl Observer for StopAfter {
    fn epoch(&mut self, r: &marble::model::EpochReport) {
        self.2.push(r.epoch);
        if self.2.len() == self.0 {
            self.1.cancel();
        }
    }
}

#[test]
fn cancel_stops_between_batches_and_keeps_the_best_model() {
    let (c, p) = small();
    let d = build(&c, &p);
    let cancel = Cancel::new();
    let mut obs = StopAfter(2, cancel.clone(), Vec::new());
    let f = fit(&d, &p.clone().check().unwrap(), &FitOptions::default(), &mut obs, &cancel).unwrap();
    assert!(f.cancelled);
    assert_eq!(obs.2, vec![0, 1]);
    assert_eq!(f.epochs, 2);
    assert_eq!(f.model.transform(&d).unwrap().dim(), (600, 3));
}

#[test]
fn transform_embeds_new_data_and_rejects_other_dimensions() {
    let (c, p) = small();
    let d = build(&c, &p);
    let f = train(&d, &p);
    let fresh = build(&examples::planar_fields(&examples::PLANAR_FIELDS, 120, 99), &p);
    assert_eq!(f.model.transform(&fresh).unwrap().dim(), (480, 3));
    let other = build(&examples::parabola_fields(&examples::PLANAR_FIELDS, 120, 0.05, 0), &p);
    let e = f.model.transform(&other).unwrap_err();
    assert_eq!(e.code(), "incompatible_model");
    assert!(e.to_string().contains("embedding dimension"), "{e}");
}

use marble::internals::model::features::{FeatureLayout, NeighbourSampler, all_features, features};

/// The batch computation (order-hop neighbourhoods only) agrees with applying the full
/// operators to the whole dataset, in scalar, vector and local-frame modes, and dF/dt is
/// the derivative of the features in the diffusion time.
#[test]
fn batch_features_equal_the_full_operators() {
    let cases: Vec<(Conditions, Params)> = vec![
        (examples::planar_fields(&examples::PLANAR_FIELDS, 200, 1), Params { diffusion: false, ..Params::default() }),
        (
            examples::surface_fields(examples::Surface::ParaboloidR3, 300, 2),
            Params { local_gauges: true, diffusion: false, ..Params::default() },
        ),
    ];
    for (c, p) in cases {
        let d = build(&c, &p);
        let layout = FeatureLayout::new(&d, &p);
        let all = all_features(&d, &layout, 0.0);
        // Order 0 and 1 from the dataset's operators, on every point.
        let (x, k1) = if d.local_gauges() {
            let m = d.manifold_dim();
            let mut x = Array2::zeros((d.n_points(), m));
            for i in 0..d.n_points() {
                let mut row = vec![0.0; m];
                d.frames.project(i, d.vector.row(i).as_slice().unwrap(), &mut row);
                x.row_mut(i).assign(&Array1::from(row));
            }
            let k1 = d.gradient.apply_transported(&d.adjacency, d.connections.as_ref().unwrap(), x.view());
            (x, k1)
        } else {
            let x = d.vector.clone();
            // Vector mode orders columns (direction, component); scalar apply gives (component, direction).
            let k = d.gradient.apply(&d.adjacency, x.view());
            let m = d.manifold_dim();
            let k1 = Array2::from_shape_fn(k.dim(), |(i, col)| {
                let (a, b) = (col / m, col % m);
                k[[i, b * m + a]]
            });
            (x, k1)
        };
        let w0 = x.ncols();
        for i in 0..d.n_points() {
            for c in 0..w0 {
                assert!((all.values[i * all.width + c] - x[[i, c]]).abs() < 1e-12);
            }
            for c in 0..k1.ncols() {
                assert!((all.values[i * all.width + w0 + c] - k1[[i, c]]).abs() < 1e-12, "point {i} column {c}");
            }
        }
        // Any batch gives the same rows as the whole.
        let targets = [5usize, 77, 5, d.n_points() - 1];
        let b = features::<rand_chacha::ChaCha8Rng>(&d, &layout, &targets, 0.0, None);
        for (r, &i) in targets.iter().enumerate() {
            assert_eq!(&b.values[r * b.width..(r + 1) * b.width], &all.values[i * all.width..(i + 1) * all.width]);
        }
        // Sampling half of the neighbours changes the derivatives, not the signal.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let sampled =
            features(&d, &layout, &targets, 0.0, Some(&mut NeighbourSampler { fraction: 0.5, rng: &mut rng }));
        assert_eq!(&sampled.values[..w0], &b.values[..w0]);
        assert_ne!(sampled.values, b.values);
    }
}

#[test]
fn feature_time_derivative_matches_finite_differences() {
    for local in [false, true] {
        let c = if local {
            examples::surface_fields(examples::Surface::ParaboloidR3, 300, 3)
        } else {
            examples::planar_fields(&examples::PLANAR_FIELDS, 200, 3)
        };
        let p = Params { local_gauges: local, vec_norm: true, diffusion_tolerance: 1e-10, ..Params::default() };
        let d = build(&c, &p);
        let layout = FeatureLayout::new(&d, &p);
        let targets: Vec<usize> = (0..d.n_points()).step_by(37).collect();
        let at = |t: f64| features::<rand_chacha::ChaCha8Rng>(&d, &layout, &targets, t, None);
        let (t, h) = (0.7, 1e-5);
        let f = at(t);
        let (up, down) = (at(t + h), at(t - h));
        for k in 0..f.values.len() {
            let fd = (up.values[k] - down.values[k]) / (2.0 * h);
            assert!((fd - f.dt[k]).abs() < 1e-5 * (1.0 + fd.abs()), "local {local}, entry {k}: {} vs {fd}", f.dt[k]);
        }
        // At t = 0 diffusion is the identity (up to the diffusion tolerance; without vec_norm,
        // which would blow the rounding noise of zero derivatives up to unit length).
        let plain = FeatureLayout { vec_norm: false, ..layout.clone() };
        let f0 = features::<rand_chacha::ChaCha8Rng>(&d, &plain, &targets, 0.0, None);
        let raw = features::<rand_chacha::ChaCha8Rng>(
            &d,
            &FeatureLayout { diffusion: false, ..plain.clone() },
            &targets,
            0.0,
            None,
        );
        for (a, b) in f0.values.iter().zip(&raw.values) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}

/// Every network parameter reaches the model: changing it changes the embedding, and the
/// shape-defining ones change the shapes as documented.
#[test]
fn every_network_parameter_is_used() {
    let c = examples::planar_fields(&examples::PLANAR_FIELDS, 100, 5);
    let base = Params { epochs: 2, ..Params::default() };
    let d = build(&c, &base);
    let z0 = train(&d, &base).model.transform(&d).unwrap();
    let variants: Vec<(&str, Params)> = vec![
        ("order", Params { order: 1, ..base.clone() }),
        ("include_self", Params { include_self: false, ..base.clone() }),
        ("include_positions", Params { include_positions: true, ..base.clone() }),
        ("inner_product_features", Params { inner_product_features: true, ..base.clone() }),
        ("vec_norm", Params { vec_norm: true, ..base.clone() }),
        ("emb_norm", Params { emb_norm: true, ..base.clone() }),
        ("frac_sampled_nb", Params { frac_sampled_nb: 0.5, ..base.clone() }),
        ("hidden_channels", Params { hidden_channels: vec![16, 8], ..base.clone() }),
        ("dropout", Params { dropout: 0.3, ..base.clone() }),
        ("batch_norm", Params { batch_norm: false, ..base.clone() }),
        ("bias", Params { bias: false, ..base.clone() }),
        ("batch_size", Params { batch_size: 17, ..base.clone() }),
        ("lr", Params { lr: 0.05, ..base.clone() }),
        ("momentum", Params { momentum: 0.0, ..base.clone() }),
        ("optimizer", Params { optimizer: marble::params::Optimizer::Adam, ..base.clone() }),
        ("diffusion", Params { diffusion: false, ..base.clone() }),
        ("seed", Params { seed: 3, ..base.clone() }),
    ];
    for (name, p) in variants {
        let dv = build(&c, &p);
        let f = train(&dv, &p);
        let z = f.model.transform(&dv).unwrap();
        assert_eq!(z.dim(), (400, 3), "{name}");
        assert_ne!(z, z0, "{name} made no difference");
        if name == "emb_norm" {
            for row in z.rows() {
                assert!((row.dot(&row) - 1.0).abs() < 1e-4);
            }
        }
    }
    let p = Params { out_channels: 7, ..base.clone() };
    assert_eq!(train(&d, &p).model.transform(&d).unwrap().ncols(), 7);
    let p = Params { epochs: 3, ..base.clone() };
    assert_eq!(train(&d, &p).losses.train_loss.len(), 3);
}

/// Masked points are pulled together: their spread in latent space shrinks compared with
/// the same training without the mask.
#[test]
fn the_mask_term_pulls_masked_points_together() {
    let mut conds = examples::planar_fields(&examples::PLANAR_FIELDS, 200, 6).into_vec();
    // Mask points of two different conditions that should otherwise embed apart.
    let mask = Array1::from_iter((0..200).map(|i| i % 4 == 0));
    conds[0].mask = Some(mask.clone());
    conds[2].mask = Some(mask);
    let masked = Conditions::new(conds.clone()).unwrap();
    let plain = Conditions::new(conds.into_iter().map(|c| Condition { mask: None, ..c }).collect()).unwrap();
    let p = Params { epochs: 20, ..Params::default() };
    let spread = |c: &Conditions| {
        let d = build(c, &p);
        let z = train(&d, &p).model.transform(&d).unwrap();
        let rows: Vec<usize> = (0..d.n_points())
            .filter(|&i| (d.condition[i] == 0 || d.condition[i] == 2) && d.sample_index[i].is_multiple_of(4))
            .collect();
        let zm = z.select(Axis(0), &rows).mapv(f64::from);
        let mean = zm.mean_axis(Axis(0)).unwrap();
        zm.rows().into_iter().map(|r| dist(&r.to_owned(), &mean)).sum::<f64>() / rows.len() as f64
    };
    let (with, without) = (spread(&masked), spread(&plain));
    assert!(with < 0.5 * without, "masked spread {with} vs unmasked {without}");
}

/// Batch features are spread over threads point by point: the values, and a whole short
/// fit, are bit for bit the same on one thread and on several.
#[test]
fn features_do_not_depend_on_the_thread_count() {
    let c = examples::surface_fields(examples::Surface::ParaboloidR3, 3000, 4);
    let p = Params { local_gauges: true, order: 2, epochs: 2, ..Params::default() };
    let d = build(&c, &p);
    let layout = FeatureLayout::new(&d, &p);
    let targets: Vec<usize> = (0..d.n_points()).step_by(5).collect();
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let f = features::<rand_chacha::ChaCha8Rng>(&d, &layout, &targets, 0.4, None);
            let fitted =
                fit(&d, &p.clone().check().unwrap(), &FitOptions::default(), &mut NoObserver, &Cancel::new()).unwrap();
            (f, fitted.losses.train_loss)
        })
    };
    let (one, many) = (on(1), on(4));
    assert_eq!(one.0, many.0);
    assert_eq!(one.1, many.1);
}

/// Precomputed coefficients (in f64) give the per-batch features and their t-derivatives
/// to 1e-9, on every architecture switch they serve: global and local frames, vector and
/// scalar mode, orders 0 to 3, with and without the signal itself, Krylov, spectral and no
/// diffusion. The switches they do not serve are named.
#[test]
fn precomputed_features_equal_per_batch_features() {
    use marble::internals::model::features::{FeatureLayout, features};
    use marble::internals::model::precomputed::{Precomputed, unsupported};
    use marble::params::DiffusionMethod;
    let planar = examples::planar_fields(&examples::PLANAR_FIELDS, 150, 1);
    // One scalar channel on the plane: scalar mode (S = 1, m = 2).
    let scalar = Conditions::new(
        planar
            .as_slice()
            .iter()
            .map(|c| Condition::new(c.anchor.clone(), c.vector.slice(ndarray::s![.., ..1]).to_owned()))
            .collect(),
    )
    .unwrap();
    let surface = examples::surface_fields(examples::Surface::ParaboloidR3, 150, 2);
    let krylov = Params { k: 10, ..Params::default() };
    let cases: Vec<(&str, &Conditions, Params)> = vec![
        ("krylov", &planar, krylov.clone()),
        (
            "spectral",
            &planar,
            Params { diffusion_method: DiffusionMethod::Spectral, n_eigenpairs: 20, ..krylov.clone() },
        ),
        ("no diffusion", &planar, Params { diffusion: false, ..krylov.clone() }),
        ("order 1", &planar, Params { order: 1, ..krylov.clone() }),
        ("order 3", &planar, Params { order: 3, ..krylov.clone() }),
        ("without self", &planar, Params { include_self: false, ..krylov.clone() }),
        ("scalar mode", &scalar, krylov.clone()),
        ("local frames", &surface, Params { local_gauges: true, diffusion: false, ..krylov.clone() }),
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    for (name, conds, p) in cases {
        let data = build(conds, &p);
        let mut layouts = vec![FeatureLayout::new(&data, &p)];
        if name == "krylov" {
            layouts.push(FeatureLayout { order: 0, ..layouts[0].clone() });
        }
        if name == "local frames" {
            assert!(layouts[0].local);
        }
        if name == "scalar mode" {
            assert!(!layouts[0].vector_mode);
        }
        for layout in layouts {
            assert_eq!(unsupported(&layout, p.frac_sampled_nb), None, "{name}");
            let pre = Precomputed::build(&data, &layout, true);
            let rows: Vec<usize> = (0..200).map(|_| rng.random_range(0..data.n_points())).collect();
            for t in [0.0, 0.7, 4.0] {
                let want = features::<rand_chacha::ChaCha8Rng>(&data, &layout, &rows, t, None);
                let got = pre.features(&rows, t);
                assert_eq!((got.rows, got.width), (want.rows, want.width), "{name}");
                let scale = want.values.iter().fold(1e-12f64, |m, v| m.max(v.abs()));
                for (what, a, b) in [("values", &got.values, &want.values), ("dt", &got.dt, &want.dt)] {
                    let err = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                    assert!(err <= 1e-9 * scale, "{name}, order {}, t = {t}: {what} differ by {err:e}", layout.order);
                }
            }
        }
    }
    // What the coefficients cannot serve goes per batch, with the reason.
    let data = build(&planar, &krylov);
    let layout = FeatureLayout::new(&data, &krylov);
    assert!(unsupported(&FeatureLayout { vec_norm: true, ..layout.clone() }, -1.0).unwrap().contains("vec_norm"));
    assert!(unsupported(&layout, 0.5).unwrap().contains("frac_sampled_nb"));
    // Local frames with diffusion are precomputed too, on Chebyshev nodes in t.
    assert_eq!(unsupported(&FeatureLayout { local: true, ..layout }, -1.0), None);
}

/// Local frames with diffusion (the embedding-agnostic mode): the features interpolated in
/// t from Chebyshev nodes equal the per-batch features (vectors diffused with the
/// connection Laplacian and rescaled to their diffused magnitude) and their t-derivative,
/// at the nodes, between them, for orders 1 to 3 and both diffusion methods; B is refused
/// over its budget, and t past the interval is not covered.
#[test]
fn interpolated_features_equal_per_batch_features() {
    use marble::internals::model::features::{FeatureLayout, features};
    use marble::internals::model::precomputed::Precomputed;
    use marble::params::DiffusionMethod;
    let surface = examples::surface_fields(examples::Surface::ParaboloidR3, 150, 2);
    let p = Params { k: 10, local_gauges: true, ..Params::default() };
    let spectral = Params { diffusion_method: DiffusionMethod::Spectral, n_eigenpairs: 30, ..p.clone() };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for (name, p) in [("krylov", p.clone()), ("spectral", spectral)] {
        let data = build(&surface, &p);
        assert!(data.local_gauges());
        for order in [1, 2, 3] {
            let layout = FeatureLayout { order, ..FeatureLayout::new(&data, &p) };
            // A window ahead of t = 1.2, halved until degree 32 resolves it.
            let pre = Precomputed::build_interpolated(&data, &layout, true, (1.2, true), 2.0, 4096).unwrap();
            let (a, b) = pre.interval().unwrap();
            assert!(a < 1.2 && b > 1.2 && b - a <= 2.0 && pre.terms() <= 33, "[{a}, {b}], {} terms", pre.terms());
            assert!(pre.covers(a) && pre.covers(b) && !pre.covers(b * 1.01) && !pre.covers(a * 0.99));
            let rows: Vec<usize> = (0..200).map(|_| rng.random_range(0..data.n_points())).collect();
            for t in [a, a + 1e-7, (3.0 * a + b) / 4.0, 1.2, b - 1e-3, b] {
                let want = features::<rand_chacha::ChaCha8Rng>(&data, &layout, &rows, t, None);
                let got = pre.features(&rows, t);
                assert_eq!((got.rows, got.width), (want.rows, want.width));
                let max = |v: &[f64]| v.iter().fold(1e-300f64, |m, x| m.max(x.abs()));
                for (what, a, b, tol) in [("values", &got.values, &want.values, 1e-8), ("dt", &got.dt, &want.dt, 1e-6)]
                {
                    let err = a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                    let scale = max(b).max(max(&want.values));
                    assert!(
                        err <= tol * scale,
                        "{name}, order {order}, t = {t}: {what} differ by {err:e} (scale {scale:e})"
                    );
                }
            }
            let first = Precomputed::build_interpolated(&data, &layout, true, (0.0, true), 0.5, 4096).unwrap();
            assert_eq!(first.interval().unwrap().0, 0.0);
            let want = features::<rand_chacha::ChaCha8Rng>(&data, &layout, &rows, 0.0, None);
            let got = first.features(&rows, 0.0);
            let err = got.values.iter().zip(&want.values).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
            assert!(err <= 1e-12 * want.values.iter().fold(1e-300f64, |m, x| m.max(x.abs())), "t = 0: {err:e}");
            let over = Precomputed::build_interpolated(&data, &layout, true, (0.0, true), 0.5, 0).unwrap_err();
            assert!(over.contains("over precompute_mib = 0"), "{over}");
        }
    }
}

/// The logarithmic interval [0, LOG_SPAN] built in f32 (the default) gives the per-batch
/// features to about f32's rounding anywhere in it (their t-derivative to 1e-4: near t = 0
/// the interpolant's derivative weights, of order N^2, multiply B's rounding), so one
/// build serves a training run whose t stays inside; past it, t is not covered. In f64
/// (checked at the ends too) it holds them to 1e-8 and 1e-6.
#[test]
fn features_on_the_logarithmic_interval_equal_per_batch_features() {
    use marble::internals::model::features::{FeatureLayout, features};
    use marble::internals::model::precomputed::{LOG_SPAN, Precomputed};
    let surface = examples::surface_fields(examples::Surface::ParaboloidR3, 150, 2);
    let p = Params { k: 10, local_gauges: true, ..Params::default() };
    let data = build(&surface, &p);
    let layout = FeatureLayout::new(&data, &p);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let rows: Vec<usize> = (0..200).map(|_| rng.random_range(0..data.n_points())).collect();
    let f32_built = Precomputed::build_logarithmic(&data, &layout, false, 4096).unwrap();
    let f64_built = Precomputed::build_logarithmic(&data, &layout, true, 4096).unwrap();
    for (pre, tols) in [(f32_built, (1e-6, 1e-4)), (f64_built, (1e-8, 1e-6))] {
        assert_eq!(pre.interval(), Some((0.0, LOG_SPAN)));
        assert!(pre.covers(LOG_SPAN) && !pre.covers(LOG_SPAN * 1.001));
        for t in [0.0, 1e-3, 0.05, 0.3, 1.0, 2.7, 5.0, LOG_SPAN] {
            let want = features::<rand_chacha::ChaCha8Rng>(&data, &layout, &rows, t, None);
            let got = pre.features(&rows, t);
            let max = |v: &[f64]| v.iter().fold(1e-300f64, |m, x| m.max(x.abs()));
            for (what, a, b, tol) in [("values", &got.values, &want.values, tols.0), ("dt", &got.dt, &want.dt, tols.1)]
            {
                let err = a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                let scale = max(b).max(max(&want.values));
                assert!(err <= tol * scale, "{}, t = {t}: {what} differ by {err:e} (scale {scale:e})", pre.terms());
            }
        }
    }
    let over = Precomputed::build_logarithmic(&data, &layout, false, 0).unwrap_err();
    assert!(over.contains("over precompute_mib = 0"), "{over}");
}

/// The embedding-agnostic mode (local frames, diffusion, inner products) trains alike on
/// features interpolated in t (f64) and on per-batch features: same losses, same learned
/// diffusion time, same embedding.
#[test]
fn agnostic_mode_trains_alike_on_both_feature_paths() {
    let c = examples::surface_fields(examples::Surface::ParaboloidR3, 150, 3);
    let p = Params { epochs: 3, k: 10, local_gauges: true, inner_product_features: true, ..Params::default() };
    let (d, pre, per_batch) = fit_on_both_feature_paths(&c, &p);
    assert!(pre.feature_path.starts_with("features precomputed at"), "{}", pre.feature_path);
    for (a, b) in all_losses(&pre).iter().zip(all_losses(&per_batch)) {
        assert!((a - b).abs() <= 1e-6 * b.abs(), "losses {:?} vs {:?}", all_losses(&pre), all_losses(&per_batch));
    }
    let (ta, tb) = (pre.model.diffusion_time(), per_batch.model.diffusion_time());
    assert!(tb > 0.0 && (ta - tb).abs() <= 1e-6 * tb, "t {ta} vs {tb}: the diffusion time moved alike");
    let (za, zb) = (pre.model.transform(&d).unwrap(), per_batch.model.transform(&d).unwrap());
    let scale = zb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let err = za.iter().zip(zb.iter()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(err <= 1e-5 * scale, "embeddings differ by {err} (scale {scale})");
}

/// Training on precomputed features (f64) and per batch gives the same losses for one seed.
#[test]
fn both_feature_paths_train_alike() {
    let c = examples::planar_fields(&examples::PLANAR_FIELDS, 200, 0);
    let p = Params { epochs: 3, k: 10, ..Params::default() };
    let (_, pre, per_batch) = fit_on_both_feature_paths(&c, &p);
    assert!(pre.feature_path.starts_with("features precomputed"), "{}", pre.feature_path);
    for (a, b) in all_losses(&pre).iter().zip(all_losses(&per_batch)) {
        assert!((a - b).abs() <= 1e-6, "losses {:?} vs {:?}", all_losses(&pre), all_losses(&per_batch));
    }
}

/// The dataset, and fits of it on precomputed features (f64) and per batch, one seed.
fn fit_on_both_feature_paths(c: &marble::Conditions, p: &Params) -> (marble::Dataset, Fitted, Fitted) {
    let d = build(c, p);
    let run = |p: &Params, exact| {
        let options = FitOptions { exact_features: exact, ..FitOptions::default() };
        fit(&d, &p.clone().check().unwrap(), &options, &mut NoObserver, &Cancel::new()).unwrap()
    };
    let pre = run(p, true);
    let per_batch = run(&Params { precompute_mib: 0, ..p.clone() }, false);
    assert!(per_batch.feature_path.contains("over precompute_mib = 0"), "{}", per_batch.feature_path);
    (d, pre, per_batch)
}

/// Training, validation and test losses, one after the other.
fn all_losses(f: &Fitted) -> Vec<f64> {
    [f.losses.train_loss.clone(), f.losses.val_loss.clone(), f.losses.test_loss.clone()].concat()
}

/// Contracting the precomputed features with dfdx on the device (t on the tape, as the CUDA
/// build does) trains like the host contraction, here on the CPU device.
#[test]
fn features_contracted_on_the_device_train_alike() {
    let c = examples::planar_fields(&examples::PLANAR_FIELDS, 200, 0);
    let p = Params { epochs: 3, k: 10, ..Params::default() };
    let d = build(&c, &p);
    let run = |on_device| {
        let options = FitOptions { on_device: Some(on_device), ..FitOptions::default() };
        fit(&d, &p.clone().check().unwrap(), &options, &mut NoObserver, &Cancel::new()).unwrap()
    };
    let (host, device) = (run(false), run(true));
    assert!(device.feature_path.ends_with("contracted on the device"), "{}", device.feature_path);
    assert!(!host.feature_path.contains("device"), "{}", host.feature_path);
    let all =
        |f: &Fitted| [f.losses.train_loss.clone(), f.losses.val_loss.clone(), f.losses.test_loss.clone()].concat();
    for (a, b) in all(&host).iter().zip(all(&device)) {
        assert!((a - b).abs() <= 1e-4, "losses {:?} vs {:?}", all(&host), all(&device));
    }
    // The learned diffusion time moved the same way (its gradient comes from the tape).
    let (th, td) = (host.model.diffusion_time(), device.model.diffusion_time());
    assert!(th > 0.0 && (th - td).abs() <= 1e-3 * th.max(1e-3), "t {th} vs {td}");
}
