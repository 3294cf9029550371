//! Dataset construction against n: graph, frames and diffusion should scale like n log n.
//! The full-size table (4 x 64k points, peak memory) comes from `marble bench dataset`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use marble::internals::dataset::graph::cknn_edges;
use marble::internals::geometry::diffusion::krylov_expsum;
use marble::internals::geometry::laplacian::normalized_adjacency;
use marble::internals::geometry::neighbours::NeighbourIndex;
use marble::internals::geometry::spectrum::lowest_eigenpairs;
use marble::progress::Silent;
use marble::{Conditions, Dataset, Params, examples};

fn one_surface(n: usize) -> Conditions {
    let c = examples::surface_fields(examples::Surface::ParaboloidR3, n, 0);
    Conditions::new(vec![c.as_slice()[2].clone()]).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("dataset");
    g.sample_size(10);
    for n in [1000usize, 4000, 16000] {
        let conds = one_surface(n);
        let x = conds.as_slice()[0].anchor.clone();
        g.bench_with_input(BenchmarkId::new("cknn_graph", n), &n, |b, _| {
            b.iter(|| cknn_edges(&NeighbourIndex::new(x.view()), 20, 1.0))
        });
        let local = Params { local_gauges: true, ..Params::default() }.check().unwrap();
        g.bench_with_input(BenchmarkId::new("build_local", n), &n, |b, _| {
            b.iter(|| Dataset::build(&conds, &local, &Silent).unwrap())
        });
        let d = Dataset::build(&conds, &Params { diffusion: false, ..Params::default() }.check().unwrap(), &Silent)
            .unwrap();
        let a = normalized_adjacency(&d.adjacency);
        let y: Vec<f64> = d.vector.column(0).to_vec();
        g.bench_with_input(BenchmarkId::new("krylov_diffusion", n), &n, |b, _| {
            b.iter(|| krylov_expsum(&a, &y, 64, 1e-6))
        });
        if n <= 4000 {
            g.bench_with_input(BenchmarkId::new("eigenpairs_64", n), &n, |b, _| {
                b.iter(|| lowest_eigenpairs(&a, 64, 1e-6, 0).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
