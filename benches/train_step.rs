//! One training step (features of a 3 x 64-point batch, forward, backward) against the
//! number of points, with the features from the batch's neighbourhoods and from the
//! precomputed coefficients (host contraction): both should stay flat as n grows.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use marble::internals::model::features::{FeatureLayout, features};
use marble::internals::model::precomputed::Precomputed;
use marble::model::{Architecture, Model};
use marble::progress::Silent;
use marble::{Dataset, Params, examples};
use rand::{Rng, SeedableRng};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step");
    g.sample_size(20);
    for n in [1000usize, 4000, 16000, 64000] {
        let conds = examples::planar_fields(&examples::PLANAR_FIELDS, n, 0);
        let p = Params::default();
        let data = Dataset::build(&conds, &p.clone().check().unwrap(), &Silent).unwrap();
        let layout = FeatureLayout::new(&data, &p);
        let mut model = Model::new(Architecture::new(layout.clone(), &p), 0);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let total = data.n_points();
        g.bench_with_input(BenchmarkId::new("features+step", 4 * n), &n, |b, _| {
            b.iter(|| {
                let rows: Vec<usize> = (0..192).map(|_| rng.random_range(0..total)).collect();
                let f = features::<rand_chacha::ChaCha8Rng>(&data, &layout, &rows, 0.1, None);
                model.train_step(&f, None, &[], 0).loss
            })
        });
        let pre = Precomputed::build(&data, &layout, false);
        g.bench_with_input(BenchmarkId::new("precomputed+step", 4 * n), &n, |b, _| {
            b.iter(|| {
                let rows: Vec<usize> = (0..192).map(|_| rng.random_range(0..total)).collect();
                let f = pre.features(&rows, 0.1);
                model.train_step(&f, None, &[], 0).loss
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
