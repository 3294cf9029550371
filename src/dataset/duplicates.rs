//! Repeated states: anchors of one condition that coincide.
//!
//! Binned spike counts repeat states often (a silent bin is the zero vector every time), and
//! the proximity graph cannot hold them as separate points: the edge weight 1 / |x_i - x_j|
//! would be infinite and a CkNN scale rho_i could be 0. With `duplicates = "merge"` (the
//! default) each group of identical anchors becomes one point carrying the group's mean
//! vector; the mapping is kept, so every input row still gets an embedding row, that of its
//! point.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::dataset::input::Condition;
use crate::geometry::neighbours::NeighbourIndex;

/// Identical anchors of one condition, grouped.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    /// First input row of each group, ascending: the rows the merged points stand for.
    pub first: Vec<usize>,
    /// Group of every input row (an index into `first`).
    pub group_of: Vec<usize>,
}

impl Groups {
    /// Rows that repeat an earlier row (input rows minus groups).
    pub fn n_repeated(&self) -> usize {
        self.group_of.len() - self.first.len()
    }

    /// The first two input rows of the first group with more than one row.
    pub fn first_pair(&self) -> Option<(usize, usize)> {
        self.group_of.iter().enumerate().find(|&(r, &g)| self.first[g] != r).map(|(r, &g)| (self.first[g], r))
    }
}

/// Relative distance below which two anchors are the same state: 1e-12 of the cloud's
/// largest coordinate range, i.e. equal up to the rounding of a projection such as PCA
/// (identical count vectors projected by a blocked matrix product can differ in the last
/// bits).
pub const COINCIDENT: f64 = 1e-12;

/// Group the rows of `x` that coincide (closer than [`COINCIDENT`] times the largest
/// coordinate range; chains of such pairs form one group). One fixed-radius query per row
/// of `index`, the neighbour index of `x`: O(n log n) with the k-d tree (D <= 12).
pub fn group_coincident(x: ArrayView2<f64>, index: &NeighbourIndex) -> Groups {
    let n = x.nrows();
    let range = x
        .columns()
        .into_iter()
        .map(|c| c.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v)) - c.iter().fold(f64::INFINITY, |m, &v| m.min(v)))
        .fold(0.0, f64::max);
    // Not below the smallest positive float, so exact repeats are found in a flat cloud too.
    let eps = (COINCIDENT * range).max(f64::MIN_POSITIVE);
    let close: Vec<Vec<usize>> = (0..n)
        .into_par_iter()
        .map(|i| index.within_of(i, eps).into_iter().map(|nb| nb.index as usize).filter(|&j| j < i).collect())
        .collect();
    // Union-find with the smallest row as each group's root.
    let mut root: Vec<usize> = (0..n).collect();
    fn find(root: &mut [usize], mut i: usize) -> usize {
        while root[i] != i {
            root[i] = root[root[i]];
            i = root[i];
        }
        i
    }
    for (i, js) in close.iter().enumerate() {
        for &j in js {
            let (a, b) = (find(&mut root, i), find(&mut root, j));
            let (lo, hi) = (a.min(b), a.max(b));
            root[hi] = lo;
        }
    }
    let mut group_of_root = vec![usize::MAX; n];
    let mut first = Vec::new();
    let group_of = (0..n)
        .map(|i| {
            let r = find(&mut root, i);
            if group_of_root[r] == usize::MAX {
                group_of_root[r] = first.len();
                first.push(r);
            }
            group_of_root[r]
        })
        .collect();
    Groups { first, group_of }
}

/// The condition with each group merged into one point: the anchor, label and mask of the
/// group's first row, and the mean of the group's vectors.
pub fn merge(cond: &Condition, groups: &Groups) -> Condition {
    let g = groups.first.len();
    let mut vector = Array2::<f64>::zeros((g, cond.vector.ncols()));
    let mut count = Array1::<f64>::zeros(g);
    for (r, &k) in groups.group_of.iter().enumerate() {
        let mut row = vector.row_mut(k);
        row += &cond.vector.row(r);
        count[k] += 1.0;
    }
    for (mut row, c) in vector.rows_mut().into_iter().zip(&count) {
        row /= *c;
    }
    Condition {
        anchor: cond.anchor.select(Axis(0), &groups.first),
        vector,
        label: cond.label.as_ref().map(|l| l.select(Axis(0), &groups.first)),
        mask: cond.mask.as_ref().map(|m| m.select(Axis(0), &groups.first)),
        name: cond.name.clone(),
        value: cond.value,
        group: cond.group.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn coincident_rows_are_grouped_by_first_occurrence() {
        // Row 5 differs from row 1 by rounding only; row 4 is a distinct state 1e-9 away.
        let x = array![[0.0, 1.0], [2.0, 3.0], [0.0, 1.0], [-0.0, 1.0], [2.0, 3.0 + 1e-9], [2.0 + 1e-14, 3.0]];
        let g = group_coincident(x.view(), &NeighbourIndex::new(x.view()));
        assert_eq!(g.first, vec![0, 1, 4]);
        assert_eq!(g.group_of, vec![0, 1, 0, 0, 2, 1]);
        assert_eq!(g.n_repeated(), 3);
        assert_eq!(g.first_pair(), Some((0, 2)));
        let two = array![[0.0], [1.0]];
        assert_eq!(group_coincident(two.view(), &NeighbourIndex::new(two.view())).first_pair(), None);
        // A chain of rounding-level steps is one group, rooted at its smallest row.
        let chain = array![[5.0], [0.0], [5.0 + 4e-12], [5.0 + 2e-12]];
        assert_eq!(group_coincident(chain.view(), &NeighbourIndex::new(chain.view())).group_of, vec![0, 1, 0, 0]);
    }

    #[test]
    fn merged_vector_is_the_group_mean() {
        let anchor = array![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]];
        let vector = array![[1.0, 0.0], [5.0, 5.0], [0.0, 3.0], [2.0, 0.0]];
        let mut cond = Condition::new(anchor, vector);
        cond.label = Some(array![7.0, 8.0, 9.0, 10.0]);
        let g = group_coincident(cond.anchor.view(), &NeighbourIndex::new(cond.anchor.view()));
        let m = merge(&cond, &g);
        assert_eq!(m.anchor, array![[0.0, 0.0], [1.0, 0.0]]);
        assert_eq!(m.vector, array![[1.0, 1.0], [5.0, 5.0]]);
        assert_eq!(m.label, Some(array![7.0, 8.0]));
    }
}
