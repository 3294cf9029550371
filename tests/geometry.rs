//! Stage-1 geometry checked against mathematics: gradients of linear fields, Laplacian
//! spectra, diffusion against a dense matrix exponential, frames, connections.

use marble::dataset::{Condition, Conditions, Dataset};
use marble::internals::geometry::diffusion::{chebyshev_expm, krylov_expsum, spectral_expsum};
use marble::internals::geometry::frames::Frames;
use marble::internals::geometry::laplacian;
use marble::internals::geometry::sparse::CsrMatrix;
use marble::internals::geometry::spectrum::{self, lowest_eigenpairs};
use marble::params::{DiffusionMethod, GraphType};
use marble::progress::Silent;
use marble::{Params, examples};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn build(anchor: Array2<f64>, vector: Array2<f64>, p: Params) -> Dataset {
    let conds = Conditions::new(vec![Condition::new(anchor, vector)]).unwrap();
    Dataset::build(&conds, &p.check().unwrap(), &Silent).unwrap()
}

fn random_cloud(n: usize, dim: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((n, dim), |_| rng.random_range(-1.0..1.0))
}

/// g . sum_j F_a(i, j) d_ij, computed from the graph and frames independently of `apply`.
fn expected_directional(d: &Dataset, g: &[f64], i: usize, a: usize) -> f64 {
    let adj = &d.adjacency;
    let frame = d.frames.at(i);
    let (cols, _) = adj.row(i);
    let proj: Vec<f64> = cols
        .iter()
        .map(|&j| (0..g.len()).map(|c| (d.anchor[[j as usize, c]] - d.anchor[[i, c]]) * frame[[c, a]]).sum())
        .collect();
    let norm: f64 = proj.iter().map(|p: &f64| p.abs()).sum();
    cols.iter()
        .zip(&proj)
        .map(|(&j, p)| {
            p / norm * (0..g.len()).map(|c| g[c] * (d.anchor[[j as usize, c]] - d.anchor[[i, c]])).sum::<f64>()
        })
        .sum()
}

#[test]
fn gradient_of_a_linear_field_is_exact_on_a_random_cloud() {
    let x = random_cloud(300, 3, 1);
    let g = [0.7, -1.3, 2.1];
    let d = build(x.clone(), Array2::ones((300, 3)), Params::default());
    let f = x.dot(&Array1::from(g.to_vec())).insert_axis(ndarray::Axis(1));
    let k = d.gradient.apply(&d.adjacency, f.view());
    assert_eq!(k.dim(), (300, 3));
    for i in 0..300 {
        for a in 0..3 {
            let e = expected_directional(&d, &g, i, a);
            assert!((k[[i, a]] - e).abs() < 1e-12, "point {i} direction {a}: {} vs {e}", k[[i, a]]);
        }
    }
    // The operator matrix of the reference (diagonal -row sum) gives the same numbers.
    let k0 = d.gradient.matrix(&d.adjacency, 0).mul_vec(f.column(0).as_slice().unwrap());
    for i in 0..300 {
        assert!((k0[i] - k[[i, 0]]).abs() < 1e-12);
    }
}

#[test]
fn gradient_on_a_grid_is_the_derivative_times_the_stencil_factor() {
    let h = 0.125; // binary-exact, so equal distances compare equal
    let side = 30;
    let x = Array2::from_shape_fn(
        (side * side, 2),
        |(p, c)| if c == 0 { (p % side) as f64 * h } else { (p / side) as f64 * h },
    );
    let g = [1.5, -0.4];
    let f = x.dot(&Array1::from(g.to_vec())).insert_axis(ndarray::Axis(1));
    for (graph_type, k) in [(GraphType::Knn, 4), (GraphType::Cknn, 20)] {
        let d = build(x.clone(), Array2::ones((side * side, 2)), Params { graph_type, k, ..Params::default() });
        let kf = d.gradient.apply(&d.adjacency, f.view());
        let mut checked = 0;
        for p in 0..side * side {
            let (cx, cy) = (p % side, p / side);
            if cx < 6 || cy < 6 || cx >= side - 6 || cy >= side - 6 {
                continue; // the stencil is symmetric only away from the border
            }
            for a in 0..2 {
                // Stencil factor: sum_j <d_ij, e_a>^2 / sum_j |<d_ij, e_a>|.
                let (cols, _) = d.adjacency.row(p);
                let proj: Vec<f64> = cols.iter().map(|&j| x[[j as usize, a]] - x[[p, a]]).collect();
                let factor = proj.iter().map(|v| v * v).sum::<f64>() / proj.iter().map(|v| v.abs()).sum::<f64>();
                assert!((kf[[p, a]] - g[a] * factor).abs() < 1e-12, "{graph_type:?} point {p} axis {a}");
                if graph_type == GraphType::Knn {
                    // The 4-neighbour stencil: factor = h, the central difference.
                    assert!((factor - h).abs() < 1e-12);
                }
                checked += 1;
            }
        }
        assert!(checked > 500);
    }
}

/// A random cloud on the plane spanned by u, v in R^3 (a tilted plane).
fn tilted_plane(n: usize, seed: u64) -> (Array2<f64>, [f64; 3], [f64; 3]) {
    let u = [0.6, 0.0, 0.8];
    let v = [0.0, 1.0, 0.0];
    let uv = random_cloud(n, 2, seed);
    let x = Array2::from_shape_fn((n, 3), |(i, c)| uv[[i, 0]] * u[c] + uv[[i, 1]] * v[c]);
    (x, u, v)
}

#[test]
fn local_gradients_are_exact_in_each_frame_on_a_tilted_plane() {
    let (x, u, v) = tilted_plane(400, 2);
    // A linear vector field in the plane: c(x) = A x with A = u (x.v)^T - 2 v (x.u)^T.
    let field = |p: [f64; 3]| -> [f64; 3] {
        let (pu, pv): (f64, f64) = ((0..3).map(|c| p[c] * u[c]).sum(), (0..3).map(|c| p[c] * v[c]).sum());
        std::array::from_fn(|c| u[c] * pv - 2.0 * v[c] * pu)
    };
    let vec = Array2::from_shape_fn((400, 3), |(i, c)| field([x[[i, 0]], x[[i, 1]], x[[i, 2]]])[c]);
    let d = build(x.clone(), vec.clone(), Params { local_gauges: true, ..Params::default() });
    assert!(d.local_gauges());
    assert_eq!(d.manifold_dim(), 2);
    let m = 2;
    // Scalar linear field g . x: the identity holds with the local frame directions.
    let g = [0.3, -0.8, 1.1];
    let f = x.dot(&Array1::from(g.to_vec())).insert_axis(ndarray::Axis(1));
    let k = d.gradient.apply(&d.adjacency, f.view());
    for i in 0..400 {
        for a in 0..m {
            let e = expected_directional(&d, &g, i, a);
            assert!((k[[i, a]] - e).abs() < 1e-12);
        }
    }
    // Vector field in local coordinates, transported: K_a f(i) = T_i^T A sum_j F_a(i,j) d_ij.
    let mut local = Array2::zeros((400, m));
    for i in 0..400 {
        let t = d.frames.at(i);
        for a in 0..m {
            local[[i, a]] = (0..3).map(|c| t[[c, a]] * vec[[i, c]]).sum();
        }
    }
    let conn = d.connections.as_ref().unwrap();
    let kv = d.gradient.apply_transported(&d.adjacency, conn, local.view());
    assert_eq!(kv.dim(), (400, m * m));
    for i in 0..400 {
        let t = d.frames.at(i);
        let (cols, _) = d.adjacency.row(i);
        for a in 0..m {
            let proj: Vec<f64> =
                cols.iter().map(|&j| (0..3).map(|c| (x[[j as usize, c]] - x[[i, c]]) * t[[c, a]]).sum()).collect();
            let norm: f64 = proj.iter().map(|p: &f64| p.abs()).sum();
            let mut s = [0.0; 3];
            for (&j, p) in cols.iter().zip(&proj) {
                for c in 0..3 {
                    s[c] += p / norm * (x[[j as usize, c]] - x[[i, c]]);
                }
            }
            let as_ = field(s); // A applied to sum_j F_a d_ij (A is linear)
            for b in 0..m {
                let expect: f64 = (0..3).map(|c| t[[c, b]] * as_[c]).sum();
                assert!((kv[[i, a * m + b]] - expect).abs() < 1e-10, "point {i}: {} vs {expect}", kv[[i, a * m + b]]);
            }
        }
    }
}

#[test]
fn laplacian_rows_sum_to_zero_and_spectrum_lies_in_0_2() {
    let d = build(random_cloud(200, 3, 3), Array2::ones((200, 3)), Params { k: 8, ..Params::default() });
    let l = d.laplacian();
    for (i, s) in l.row_sums().iter().enumerate() {
        assert!(s.abs() < 1e-12, "row {i} sums to {s}");
    }
    // L_rw and L_sym are similar: same spectrum, which lies in [0, 2] with one zero.
    let pairs = lowest_eigenpairs(&laplacian::normalized_adjacency(&d.adjacency), 200, 1e-10, 0).unwrap();
    assert!(pairs.complete);
    assert!(pairs.values[0].abs() < 1e-10);
    assert!(pairs.values[1] > 1e-6, "a connected graph has a simple zero eigenvalue");
    assert!(pairs.values.iter().all(|&v| (-1e-12..=2.0 + 1e-12).contains(&v)));
    // And it is L_rw's spectrum: L_rw (D^-1/2 v) = lambda D^-1/2 v.
    let sd: Vec<f64> = d.degrees().iter().map(|v| v.sqrt()).collect();
    for c in [0, 5, 199] {
        let u: Vec<f64> = (0..200).map(|i| pairs.vectors[[i, c]] / sd[i]).collect();
        let lu = l.mul_vec(&u);
        for i in 0..200 {
            assert!((lu[i] - pairs.values[c] * u[i]).abs() < 1e-9);
        }
    }
    let lc = random_connection_laplacian_spectrum();
    assert!(lc.iter().all(|&v| (-1e-10..=2.0 + 1e-10).contains(&v)));
}

fn random_connection_laplacian_spectrum() -> Vec<f64> {
    let c = examples::parabola_fields(&[examples::Field::Vortex], 150, 0.8, 0);
    let d = Dataset::build(&c, &Params { local_gauges: true, k: 10, ..Params::default() }.check().unwrap(), &Silent)
        .unwrap();
    let lc = d.connection_laplacian().unwrap();
    assert!(lc.row_sums().iter().all(|s| s.is_finite()));
    let a = laplacian::normalized_connection_adjacency(&d.adjacency, d.connections.as_ref().unwrap());
    lowest_eigenpairs(&a, a.n_rows, 1e-10, 0).unwrap().values
}

/// Block-diagonal normalised adjacency of several random kNN graphs: a clustered spectrum
/// with one zero eigenvalue of L per block.
fn clustered_operator(blocks: usize, n: usize) -> CsrMatrix {
    let mats: Vec<CsrMatrix> = (0..blocks)
        .map(|b| {
            let d = build(
                random_cloud(n, 2, 10 + b as u64),
                Array2::ones((n, 2)),
                Params { k: 10, diffusion: false, ..Params::default() },
            );
            laplacian::normalized_adjacency(&d.adjacency)
        })
        .collect();
    CsrMatrix::block_diagonal(&mats)
}

#[test]
fn iterative_eigenpairs_have_small_residuals_on_clustered_spectra() {
    // 3 x 400 rows > the dense threshold: Chebyshev-filtered subspace iteration.
    let a = clustered_operator(3, 400);
    assert!(a.n_rows > spectrum::DENSE_MAX);
    let pairs = lowest_eigenpairs(&a, 20, 1e-8, 7).unwrap();
    assert!(pairs.iterations > 0);
    // Three components: three zero eigenvalues, then a gap.
    for c in 0..3 {
        assert!(pairs.values[c].abs() < 1e-8, "{:?}", &pairs.values[..4]);
    }
    assert!(pairs.values[3] > 1e-4);
    let res = spectrum::residuals(&a, &pairs.vectors, &pairs.values);
    assert!(res.iter().all(|&r| r <= 1e-8), "{res:?}");
    // Orthonormal, ascending, and equal to the dense solver's eigenvalues.
    let gram = pairs.vectors.t().dot(&pairs.vectors);
    for i in 0..20 {
        for j in 0..20 {
            assert!((gram[[i, j]] - f64::from(u8::from(i == j))).abs() < 1e-8);
        }
    }
    let dense = lowest_eigenpairs(&a, a.n_rows, 1e-8, 0).unwrap();
    for c in 0..20 {
        assert!((pairs.values[c] - dense.values[c]).abs() < 1e-8, "eigenvalue {c}");
    }
}

/// exp(-t L_rw) by dense scaling and squaring of a Taylor series: independent of every
/// eigen- or Krylov-based path.
fn dense_expm_rw(l: &CsrMatrix, t: f64) -> Array2<f64> {
    let a = l.to_dense() * (-t);
    let norm = a.iter().map(|v| v.abs()).fold(0.0, f64::max) * a.nrows() as f64;
    let squarings = (norm.max(1.0).log2().ceil() as i32 + 1).max(0);
    let a = a / 2f64.powi(squarings);
    let n = a.nrows();
    let mut term = Array2::<f64>::eye(n);
    let mut sum = Array2::<f64>::eye(n);
    for k in 1..30 {
        term = term.dot(&a) / k as f64;
        sum += &term;
    }
    for _ in 0..squarings {
        sum = sum.dot(&sum);
    }
    sum
}

#[test]
fn diffusion_matches_a_dense_matrix_exponential() {
    let n = 120;
    let x = random_cloud(n, 2, 4);
    let signal = Array2::from_shape_fn((n, 2), |(i, c)| (3.0 * x[[i, c]]).sin() + x[[i, 1 - c]]);
    let mut results = Vec::new();
    for method in [DiffusionMethod::Krylov, DiffusionMethod::Spectral] {
        let p =
            Params { k: 8, diffusion_method: method, n_eigenpairs: n, diffusion_tolerance: 1e-10, ..Params::default() };
        let d = build(x.clone(), signal.clone(), p);
        let l = d.laplacian();
        for t in [0.0, 0.4, 3.0, 25.0] {
            let exact = dense_expm_rw(&l, t).dot(&signal);
            let got = d.diffusion.as_ref().unwrap().at(t);
            let cheb = d.diffuse_exact(t, signal.view());
            let scale = exact.iter().map(|v| v.abs()).fold(0.0, f64::max);
            for (name, arr) in [("diffusion", &got), ("chebyshev", &cheb)] {
                let err = (arr - &exact).iter().map(|v| v.abs()).fold(0.0, f64::max);
                assert!(err < 1e-8 * scale.max(1.0), "{method:?} {name} t={t}: error {err:e}");
            }
        }
        results.push(d);
    }
    // The spectral path kept every eigenpair and says so.
    assert!(results[1].spectra.as_ref().unwrap()[0].complete);
}

#[test]
fn truncated_diffusion_is_exact_at_zero_and_close_for_small_t() {
    let n = 1000;
    let d = build(random_cloud(n, 2, 5), Array2::ones((n, 2)), Params { k: 10, diffusion: false, ..Params::default() });
    let a = laplacian::normalized_adjacency(&d.adjacency);
    let y: Vec<f64> = (0..n).map(|i| (7.0 * d.anchor[[i, 0]]).cos()).collect();
    let yv = Array2::from_shape_vec((n, 1), y.clone()).unwrap();
    let pairs = lowest_eigenpairs(&a, 40, 1e-8, 1).unwrap();
    let spectral = spectral_expsum(&pairs, &y);
    let krylov = krylov_expsum(&a, &y, 64, 1e-8);
    let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
    for t in [0.0, 0.5, 5.0, 50.0] {
        let exact = chebyshev_expm(&a, t, yv.view());
        let k_err = (&krylov.eval(t) - &exact.column(0)).iter().map(|v| v * v).sum::<f64>().sqrt() / norm;
        assert!(k_err < 1e-6, "krylov t={t}: {k_err:e}");
        let s_err = (&spectral.eval(t) - &exact.column(0)).iter().map(|v| v * v).sum::<f64>().sqrt() / norm;
        if t == 0.0 {
            assert!(s_err < 1e-12, "spectral diffusion is the identity at t = 0");
        }
        // The complement decays at lambda_40's rate instead of its own: bounded by e^{-t lambda_40}.
        assert!(s_err <= (-t * pairs.values[39]).exp() + 1e-9);
    }
    // d/dt of the exponential sum is -L exp(-tL) y.
    let t = 1.3;
    let f = krylov.eval(t);
    let lf = {
        let af = a.mul_vec(f.as_slice().unwrap());
        Array1::from_iter(f.iter().zip(&af).map(|(v, w)| v - w))
    };
    for i in [0, 17, 999] {
        let (_, df) = krylov.eval_row(i, t);
        assert!((df + lf[i]).abs() < 1e-5 * norm, "{df} vs {}", -lf[i]);
    }
}

fn sphere(n: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::zeros((n, 3));
    for i in 0..n {
        let (z, phi): (f64, f64) = (rng.random_range(-1.0..1.0), rng.random_range(0.0..std::f64::consts::TAU));
        let r = (1.0 - z * z).sqrt();
        x[[i, 0]] = r * phi.cos();
        x[[i, 1]] = r * phi.sin();
        x[[i, 2]] = z;
    }
    x
}

fn check_frames(d: &Dataset, normal: impl Fn(&[f64]) -> Vec<f64>, max_normal: f64) {
    let Frames::Local(f) = &d.frames else { panic!("expected local frames") };
    let (n, dim, m) = f.dim();
    for i in 0..n {
        let t = d.frames.at(i);
        let gram = t.t().dot(&t);
        for a in 0..m {
            for b in 0..m {
                assert!((gram[[a, b]] - f64::from(u8::from(a == b))).abs() < 1e-10);
            }
        }
        let nrm = normal(d.anchor.row(i).as_slice().unwrap());
        let len = nrm.iter().map(|v| v * v).sum::<f64>().sqrt();
        for a in 0..m {
            let dot: f64 = (0..dim).map(|c| t[[c, a]] * nrm[c] / len).sum();
            assert!(dot.abs() < max_normal, "point {i}: frame vector {a} has normal component {dot}");
        }
    }
}

#[test]
fn frames_are_orthonormal_and_tangent_on_a_sphere_and_a_parabola() {
    let x = sphere(3000, 0);
    let d = build(x.clone(), x.clone(), Params { local_gauges: true, ..Params::default() });
    assert_eq!(d.manifold_dim(), 2);
    check_frames(&d, |p| p.to_vec(), 0.15);
    let c = examples::surface_fields(examples::Surface::ParaboloidR3, 2000, 0);
    let one = Conditions::new(vec![c.as_slice()[2].clone()]).unwrap();
    let d =
        Dataset::build(&one, &Params { local_gauges: true, ..Params::default() }.check().unwrap(), &Silent).unwrap();
    assert_eq!(d.manifold_dim(), 2);
    check_frames(&d, |p| vec![2.0 * p[0], 2.0 * p[1], -1.0], 0.15);
}

#[test]
fn a_circle_in_r5_is_one_dimensional() {
    let n = 400;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    // A circle in a random 2-plane of R^5.
    let q = random_cloud(5, 2, 8);
    let (u, v) = (q.column(0).to_owned(), q.column(1).to_owned());
    let v = &v - &(&u * (u.dot(&v) / u.dot(&u)));
    let (u, v) = (&u / u.dot(&u).sqrt(), &v / v.dot(&v).sqrt());
    let mut x = Array2::zeros((n, 5));
    let mut vel = Array2::zeros((n, 5));
    for i in 0..n {
        let th: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        for c in 0..5 {
            x[[i, c]] = th.cos() * u[c] + th.sin() * v[c];
            vel[[i, c]] = -th.sin() * u[c] + th.cos() * v[c];
        }
    }
    let d = build(x, vel, Params { local_gauges: true, k: 10, ..Params::default() });
    assert_eq!(d.manifold_dim(), 1);
}

#[test]
fn connections_are_orthogonal_and_antisymmetric() {
    let x = sphere(800, 1);
    let d = build(x.clone(), x, Params { local_gauges: true, k: 10, ..Params::default() });
    let conn = d.connections.as_ref().unwrap();
    let m = conn.dim;
    let adj = &d.adjacency;
    for i in 0..adj.n_rows {
        for e in adj.indptr[i]..adj.indptr[i + 1] {
            let j = adj.indices[e] as usize;
            let r = Array2::from_shape_vec((m, m), conn.block(e).to_vec()).unwrap();
            let rtr = r.t().dot(&r);
            assert!((rtr - Array2::<f64>::eye(m)).iter().all(|v| v.abs() < 1e-12));
            let back = adj.indptr[j] + adj.row(j).0.binary_search(&(i as u32)).unwrap();
            let rji = Array2::from_shape_vec((m, m), conn.block(back).to_vec()).unwrap();
            assert_eq!(rji, r.t().to_owned(), "R_ji = R_ij^T exactly");
        }
    }
    // On the sphere the transport aligns neighbouring frames: T_i R_ij is close to T_j.
    let i = 0;
    let e = adj.indptr[i];
    let j = adj.indices[e] as usize;
    let r = Array2::from_shape_vec((m, m), conn.block(e).to_vec()).unwrap();
    let diff = d.frames.at(i).dot(&r) - d.frames.at(j);
    assert!(diff.iter().map(|v| v * v).sum::<f64>().sqrt() < 0.3);
}

#[test]
fn flat_connection_laplacian_has_paired_eigenvalues() {
    // On a plane the connection is flat, so its Laplacian is the scalar one twice over:
    // exactly repeated eigenvalues, which the block solver must resolve.
    let (x, _, _) = tilted_plane(700, 11);
    let d = build(x.clone(), x, Params { local_gauges: true, k: 10, diffusion: false, ..Params::default() });
    let conn = d.connections.as_ref().unwrap();
    let ac = laplacian::normalized_connection_adjacency(&d.adjacency, conn);
    let scalar = lowest_eigenpairs(&laplacian::normalized_adjacency(&d.adjacency), 8, 1e-9, 0).unwrap();
    let pairs = lowest_eigenpairs(&ac, 16, 1e-9, 0).unwrap();
    assert!(pairs.iterations > 0, "1400 rows: iterative path");
    for c in 0..8 {
        assert!((pairs.values[2 * c] - scalar.values[c]).abs() < 1e-7);
        assert!((pairs.values[2 * c + 1] - scalar.values[c]).abs() < 1e-7);
    }
}

#[test]
fn the_split_is_seeded_and_sized() {
    let c = examples::planar_fields(&examples::PLANAR_FIELDS, 250, 0);
    let p = Params { diffusion: false, ..Params::default() }.check().unwrap();
    let a = Dataset::build(&c, &p, &Silent).unwrap();
    let b = Dataset::build(&c, &p, &Silent).unwrap();
    assert_eq!(a.split, b.split);
    assert_eq!(a.summary.split, [800, 100, 100]);
    let other =
        Dataset::build(&c, &Params { seed: 1, diffusion: false, ..Params::default() }.check().unwrap(), &Silent)
            .unwrap();
    assert_ne!(a.split, other.split);
}

#[test]
fn sampling_keeps_sorted_indices_and_the_labels_follow() {
    let c = examples::planar_fields(&[examples::Field::Vortex], 2000, 0);
    let p = Params { spacing: 0.02, k: 10, diffusion: false, ..Params::default() }.check().unwrap();
    let d = Dataset::build(&c, &p, &Silent).unwrap();
    assert!(d.n_points() < 2000 && d.n_points() > 500, "{}", d.n_points());
    assert!(d.sample_index.windows(2).all(|w| w[0] < w[1]));
    let input = &c.as_slice()[0];
    for (i, &row) in d.sample_index.iter().enumerate() {
        assert_eq!(d.anchor.row(i), input.anchor.row(row));
        assert_eq!(d.vector.row(i), input.vector.row(row));
    }
    assert_eq!(d.summary.conditions[0].points_sampled, d.n_points());
}
