//! Even sampling of a point cloud by farthest-point sampling.
//!
//! Reference: `furthest_point_sampling`. The reference computes all pairwise distances
//! (O(n^2) memory); here a k-d tree and a lazily updated max-heap visit, for each new sample,
//! only the points whose distance to the kept set can still shrink, so the cost is about
//! O(n log n) for the spacings used in practice and memory is O(n).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use ndarray::ArrayView2;

use crate::geometry::neighbours::NeighbourIndex;

fn dist(x: ArrayView2<f64>, i: usize, j: usize) -> f64 {
    x.row(i).iter().zip(x.row(j)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
}

/// Diameter of the cloud, estimated by repeated double sweeps (farthest point from the
/// farthest point, until it stops growing). It is a lower bound on the true diameter, exact
/// for clouds whose two farthest points are mutual farthest points (convex-ish shapes),
/// and never below half of it. O(n D) per sweep.
pub fn diameter(x: ArrayView2<f64>, start: usize) -> f64 {
    let n = x.nrows();
    if n < 2 {
        return 0.0;
    }
    let farthest = |from: usize| -> (usize, f64) {
        (0..n).map(|j| (j, dist(x, from, j))).fold((from, 0.0), |a, b| if b.1 > a.1 { b } else { a })
    };
    let (mut p, mut best) = farthest(start);
    for _ in 0..8 {
        let (q, d) = farthest(p);
        if d <= best {
            break;
        }
        best = d;
        p = q;
    }
    best
}

#[derive(PartialEq)]
struct Candidate {
    dist: f64,
    index: usize,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Largest distance first; among equals the smallest index, for determinism.
        self.dist.total_cmp(&other.dist).then_with(|| other.index.cmp(&self.index))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Farthest-point sampling from `start`: repeatedly keep the point farthest from those
/// already kept, until that distance falls below `spacing` times the cloud's diameter.
/// Returns the kept indices, sorted. `spacing = 0` keeps every point.
///
/// Reference: `furthest_point_sampling` (with the sort that `construct_dataset` applies).
pub fn farthest_point_sampling(x: ArrayView2<f64>, index: &NeighbourIndex, spacing: f64, start: usize) -> Vec<usize> {
    let n = x.nrows();
    if spacing <= 0.0 || n <= 1 {
        return (0..n).collect();
    }
    let stop = spacing * diameter(x, start);
    let mut min_dist = vec![f64::INFINITY; n];
    let mut heap = BinaryHeap::with_capacity(n);
    let mut kept = vec![start];
    min_dist[start] = 0.0;
    for (j, md) in min_dist.iter_mut().enumerate() {
        if j != start {
            *md = dist(x, start, j);
            heap.push(Candidate { dist: *md, index: j });
        }
    }
    while let Some(Candidate { dist: d, index: i }) = heap.pop() {
        if d != min_dist[i] {
            continue; // stale entry: the point came closer to a later sample
        }
        if d < stop || d == 0.0 {
            break;
        }
        kept.push(i);
        min_dist[i] = 0.0;
        for nb in index.within(index.point(i), d) {
            let j = nb.index as usize;
            if nb.distance < min_dist[j] {
                min_dist[j] = nb.distance;
                if j != i {
                    heap.push(Candidate { dist: nb.distance, index: j });
                }
            }
        }
    }
    kept.sort_unstable();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};

    /// The textbook O(n^2) algorithm, for comparison.
    fn brute(x: ArrayView2<f64>, spacing: f64, start: usize, diam: f64) -> Vec<usize> {
        let n = x.nrows();
        let mut md: Vec<f64> = (0..n).map(|j| dist(x, start, j)).collect();
        let mut kept = vec![start];
        loop {
            let (i, d) = md.iter().enumerate().fold((0, -1.0), |a, (j, &v)| if v > a.1 { (j, v) } else { a });
            if d / diam < spacing || d == 0.0 {
                break;
            }
            kept.push(i);
            for (j, v) in md.iter_mut().enumerate() {
                *v = v.min(dist(x, i, j));
            }
        }
        kept.sort_unstable();
        kept
    }

    #[test]
    fn matches_the_quadratic_algorithm() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let x = Array2::from_shape_fn((400, 2), |_| rng.random::<f64>());
        let index = NeighbourIndex::new(x.view());
        for spacing in [0.02, 0.05, 0.2] {
            let fast = farthest_point_sampling(x.view(), &index, spacing, 7);
            let slow = brute(x.view(), spacing, 7, diameter(x.view(), 7));
            assert_eq!(fast, slow, "spacing {spacing}");
            // Kept points are at least spacing * diameter apart.
            let stop = spacing * diameter(x.view(), 7);
            for (a, &i) in fast.iter().enumerate() {
                for &j in &fast[a + 1..] {
                    assert!(dist(x.view(), i, j) >= stop);
                }
            }
        }
        assert_eq!(farthest_point_sampling(x.view(), &index, 0.0, 7).len(), 400);
    }

    #[test]
    fn diameter_of_a_segment_is_exact() {
        let x = Array2::from_shape_fn((11, 2), |(i, j)| if j == 0 { i as f64 } else { 0.0 });
        assert_eq!(diameter(x.view(), 4), 10.0);
    }
}
