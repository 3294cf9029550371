//! Nearest-neighbour queries on a point cloud, through kiddo's k-d tree.
//!
//! kiddo fixes the dimension at compile time, so [`NeighbourIndex::new`] dispatches on the
//! embedding dimension D: a k-d tree for D <= 12 (where k-d trees pay off), and an exact
//! linear scan per query above that. Neither ever builds an n x n matrix.

use std::num::NonZeroUsize;

use kiddo::{ImmutableKdTree, SquaredEuclidean};
use ndarray::ArrayView2;

/// A neighbour with its Euclidean distance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    /// Row of the neighbour in the indexed cloud.
    pub index: u32,
    /// Euclidean distance to the query point.
    pub distance: f64,
}

trait Backend: Sync + Send {
    fn nearest(&self, q: &[f64], n: usize) -> Vec<Neighbour>;
    fn within(&self, q: &[f64], r: f64) -> Vec<Neighbour>;
}

struct KdBackend<const K: usize> {
    tree: ImmutableKdTree<f64, K>,
}

impl<const K: usize> KdBackend<K> {
    fn new(x: ArrayView2<f64>) -> Self {
        let points: Vec<[f64; K]> = x.rows().into_iter().map(|r| std::array::from_fn(|d| r[d])).collect();
        let tree = ImmutableKdTree::new_from_slice(&points).expect("u32 indices: at most 4e9 points");
        KdBackend { tree }
    }
}

impl<const K: usize> Backend for KdBackend<K> {
    fn nearest(&self, q: &[f64], n: usize) -> Vec<Neighbour> {
        let q: [f64; K] = std::array::from_fn(|d| q[d]);
        let n = NonZeroUsize::new(n.max(1)).expect("n >= 1");
        self.tree
            .query(&q)
            .nearest_n::<SquaredEuclidean<f64>>(n)
            .execute()
            .into_iter()
            .map(|r| Neighbour { index: r.item, distance: r.distance.sqrt() })
            .collect()
    }

    fn within(&self, q: &[f64], r: f64) -> Vec<Neighbour> {
        let q: [f64; K] = std::array::from_fn(|d| q[d]);
        self.tree
            .query(&q)
            .within::<SquaredEuclidean<f64>>(r * r)
            .unsorted()
            .execute()
            .into_iter()
            .map(|r| Neighbour { index: r.item, distance: r.distance.sqrt() })
            .collect()
    }
}

struct ScanBackend {
    x: ndarray::Array2<f64>,
}

impl ScanBackend {
    fn dist(&self, q: &[f64], j: usize) -> f64 {
        self.x.row(j).iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
    }
}

impl Backend for ScanBackend {
    fn nearest(&self, q: &[f64], n: usize) -> Vec<Neighbour> {
        let mut all: Vec<Neighbour> =
            (0..self.x.nrows()).map(|j| Neighbour { index: j as u32, distance: self.dist(q, j) }).collect();
        let n = n.min(all.len());
        if n < all.len() {
            all.select_nth_unstable_by(n, |a, b| a.distance.total_cmp(&b.distance));
            all.truncate(n);
        }
        all.sort_by(|a, b| a.distance.total_cmp(&b.distance));
        all
    }

    fn within(&self, q: &[f64], r: f64) -> Vec<Neighbour> {
        (0..self.x.nrows())
            .map(|j| Neighbour { index: j as u32, distance: self.dist(q, j) })
            .filter(|nb| nb.distance <= r)
            .collect()
    }
}

/// Exact Euclidean neighbour queries over a fixed point cloud.
pub struct NeighbourIndex {
    backend: Box<dyn Backend>,
    points: ndarray::Array2<f64>,
}

macro_rules! kd_dispatch {
    ($x:expr, $($k:literal),*) => {
        match $x.ncols() {
            $($k => Box::new(KdBackend::<$k>::new($x)) as Box<dyn Backend>,)*
            _ => Box::new(ScanBackend { x: $x.to_owned() }),
        }
    };
}

impl NeighbourIndex {
    /// Largest dimension served by a k-d tree; above it queries scan all points.
    pub const MAX_TREE_DIM: usize = 12;

    /// Index the rows of `x` (n x D). Cost O(n log n) to build.
    pub fn new(x: ArrayView2<f64>) -> Self {
        let backend = kd_dispatch!(x, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        NeighbourIndex { backend, points: x.to_owned() }
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.points.nrows()
    }

    /// True when no point is indexed.
    pub fn is_empty(&self) -> bool {
        self.points.nrows() == 0
    }

    /// The `n` nearest other points of indexed point `i`, sorted by distance (ties by index).
    /// Points at distance 0 other than `i` itself (duplicates) are included.
    pub fn nearest_others(&self, i: usize, n: usize) -> Vec<Neighbour> {
        let q = self.points.row(i);
        let q = q.as_slice().expect("standard layout");
        let mut found = self.backend.nearest(q, n + 1);
        found.retain(|nb| nb.index as usize != i);
        found.sort_by(|a, b| a.distance.total_cmp(&b.distance).then(a.index.cmp(&b.index)));
        found.truncate(n);
        found
    }

    /// The `n` indexed points nearest the point `q` (of the index's dimension), sorted by
    /// distance (ties by index); all of them when there are at most `n`.
    pub fn nearest(&self, q: &[f64], n: usize) -> Vec<Neighbour> {
        let mut found = self.backend.nearest(q, n.min(self.len()));
        found.sort_by(|a, b| a.distance.total_cmp(&b.distance).then(a.index.cmp(&b.index)));
        found
    }

    /// All points within distance `r` (inclusive) of the point `q`, unsorted.
    pub fn within(&self, q: &[f64], r: f64) -> Vec<Neighbour> {
        self.backend.within(q, r)
    }

    /// All other points within distance `r` (inclusive) of indexed point `i`, unsorted.
    pub fn within_of(&self, i: usize, r: f64) -> Vec<Neighbour> {
        let q = self.points.row(i);
        let mut found = self.backend.within(q.as_slice().expect("standard layout"), r);
        found.retain(|nb| nb.index as usize != i);
        found
    }

    /// The indexed point `i`.
    pub fn point(&self, i: usize) -> &[f64] {
        self.points.row(i).to_slice().expect("rows of an owned standard-layout array are contiguous")
    }
}
