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

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("analysis");
    g.sample_size(10);
    for n in [250usize, 500, 1000, 2000] {
        let (x, y) = (cloud(n, 3, 1), cloud(n, 3, 2) + 0.5);
        let cost = Array2::from_shape_fn((n, n), |(i, j)| {
            x.row(i).iter().zip(y.row(j)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
        });
        let w = Array1::ones(n);
        g.bench_with_input(BenchmarkId::new("emd_points", n), &n, |b, _| {
            b.iter(|| emd(w.view(), w.view(), cost.view()).unwrap().cost)
        });
    }
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

criterion_group!(benches, bench);
criterion_main!(benches);
