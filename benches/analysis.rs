//! The analysis stage against size: exact earth mover's distance between two point clouds
//! (the cost that sets `max_points`), k-means and UMAP of an embedding.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use marble::analysis::{KMeansParams, UmapParams, emd, kmeans, umap};
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

fn cloud(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((n, d), |_| StandardNormal.sample(&mut rng))
}

fn euclidean(x: &Array2<f64>, y: &Array2<f64>) -> Array2<f64> {
    Array2::from_shape_fn((x.nrows(), y.nrows()), |(i, j)| {
        x.row(i).iter().zip(y.row(j)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
    })
}

fn transport(c: &mut Criterion) {
    let mut g = c.benchmark_group("emd");
    g.sample_size(10);
    // Two samples of one 3-D Gaussian (overlapping latent clouds: the hard case, where
    // every point has many near-equal choices) and two unit Gaussians 4 apart.
    for (name, shift) in [("overlapping", 0.0), ("separated", 4.0)] {
        for n in [500usize, 1000, 2000, 5000] {
            let (x, y) = (cloud(n, 3, 1), cloud(n, 3, 2) + shift);
            let cost = euclidean(&x, &y);
            let w = Array1::ones(n);
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| emd(w.view(), w.view(), cost.view()).unwrap().cost)
            });
        }
    }
    g.finish();
}

fn steps(c: &mut Criterion) {
    let mut g = c.benchmark_group("analysis");
    g.sample_size(10);
    for n in [10_000usize, 100_000] {
        let z = cloud(n, 5, 3);
        let p = KMeansParams { restarts: 1, ..KMeansParams::default() };
        g.bench_with_input(BenchmarkId::new("kmeans15_1restart", n), &n, |b, _| {
            b.iter(|| kmeans(z.view(), &p).unwrap().inertia)
        });
    }
    let z = cloud(5000, 5, 4);
    g.bench_function("umap_5000", |b| b.iter(|| umap(z.view(), 2, &UmapParams::default()).unwrap().points[[0, 0]]));
    g.finish();
}

criterion_group!(benches, transport, steps);
criterion_main!(benches);
