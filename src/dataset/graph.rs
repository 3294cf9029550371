//! Proximity graphs of one condition, from a k-d tree.
//!
//! Reference: `fit_graph` and `cknneighbors_graph`. The reference builds the full distance
//! matrix; here every graph comes from k-nearest and fixed-radius queries, O(n k log n) time
//! and O(n k) memory. Graphs are undirected, without self-loops, with edge weight
//! w_ij = 1 / |x_i - x_j|.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::geometry::neighbours::NeighbourIndex;
use crate::geometry::sparse::CsrMatrix;
use crate::params::{GraphType, ValidParams};

/// Undirected edges (i < j) with their lengths.
type EdgeList = Vec<(u32, u32, f64)>;

fn ordered(i: usize, j: u32, d: f64) -> (u32, u32, f64) {
    let i = i as u32;
    if i < j { (i, j, d) } else { (j, i, d) }
}

/// Distance from each point to its k-th nearest other point (the CkNN scale rho).
pub fn kth_neighbour_distance(index: &NeighbourIndex, k: usize) -> Vec<f64> {
    (0..index.len())
        .into_par_iter()
        .map(|i| index.nearest_others(i, k).last().map_or(f64::INFINITY, |nb| nb.distance))
        .collect()
}

/// Edges of the continuous-kNN graph: i ~ j when |x_i - x_j| < delta sqrt(rho_i rho_j).
///
/// Every such pair is found from the endpoint with the larger rho, whose ball of radius
/// delta * rho contains it, so each point only queries that ball.
pub fn cknn_edges(index: &NeighbourIndex, k: usize, delta: f64) -> EdgeList {
    let rho = kth_neighbour_distance(index, k);
    (0..index.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let rho = &rho;
            index
                .within_of(i, delta * rho[i])
                .into_iter()
                .filter(move |nb| nb.distance < delta * (rho[i] * rho[nb.index as usize]).sqrt())
                .map(move |nb| ordered(i, nb.index, nb.distance))
        })
        .collect()
}

/// Edges of the symmetrised kNN graph: i ~ j when either is among the other's k nearest.
pub fn knn_edges(index: &NeighbourIndex, k: usize) -> EdgeList {
    (0..index.len())
        .into_par_iter()
        .flat_map_iter(|i| index.nearest_others(i, k).into_iter().map(move |nb| ordered(i, nb.index, nb.distance)))
        .collect()
}

/// Edges of the radius graph: i ~ j when |x_i - x_j| <= r.
pub fn radius_edges(index: &NeighbourIndex, r: f64) -> EdgeList {
    (0..index.len())
        .into_par_iter()
        .flat_map_iter(|i| index.within_of(i, r).into_iter().map(move |nb| ordered(i, nb.index, nb.distance)))
        .collect()
}

/// Symmetric weighted adjacency (w_ij = 1 / d_ij) from an edge list; duplicates merged.
pub fn adjacency_from_edges(n: usize, mut edges: EdgeList) -> CsrMatrix {
    edges.par_sort_unstable_by_key(|&(i, j, _)| (i, j));
    edges.dedup_by_key(|e| (e.0, e.1));
    let triplets: Vec<(u32, u32, f64)> =
        edges.iter().flat_map(|&(i, j, d)| [(i, j, 1.0 / d), (j, i, 1.0 / d)]).collect();
    CsrMatrix::from_triplets(n, n, triplets)
}

/// The proximity graph of one condition, as chosen by `graph_type`.
///
/// `condition` and `rows` (each point's input row) only serve the error messages: two
/// coinciding anchors are an error, since their edge weight would be infinite. Dataset
/// construction merges them first (`crate::dataset::duplicates`), so this is a safeguard.
pub fn proximity_graph(
    x: ArrayView2<f64>,
    index: &NeighbourIndex,
    p: &ValidParams,
    condition: usize,
    rows: &[usize],
) -> Result<CsrMatrix> {
    let n = x.nrows();
    let edges = match p.graph_type {
        GraphType::Cknn => cknn_edges(index, p.k, p.delta),
        GraphType::Knn => knn_edges(index, p.k),
        GraphType::Radius => radius_edges(index, p.radius.expect("checked: radius graphs have a radius")),
    };
    if let Some(&(i, j, _)) = edges.iter().find(|e| e.2 == 0.0) {
        return Err(Error::DuplicatePoints { condition, first: rows[i as usize], second: rows[j as usize] });
    }
    Ok(adjacency_from_edges(n, edges))
}

/// Connected components: a component id per node (numbered by first appearance) and the
/// size of each component. O(n + nnz).
pub fn connected_components(a: &CsrMatrix) -> (Vec<usize>, Vec<usize>) {
    let n = a.n_rows;
    let mut comp = vec![usize::MAX; n];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for s in 0..n {
        if comp[s] != usize::MAX {
            continue;
        }
        let id = sizes.len();
        comp[s] = id;
        stack.push(s);
        let mut size = 0;
        while let Some(i) = stack.pop() {
            size += 1;
            for &j in a.row(i).0 {
                let j = j as usize;
                if comp[j] == usize::MAX {
                    comp[j] = id;
                    stack.push(j);
                }
            }
        }
        sizes.push(size);
    }
    (comp, sizes)
}

/// The warning for a condition whose graph has several components (None when connected):
/// their number, the smallest sizes and an input row in the smallest. Diffusion, frames and
/// the random-walk positives of training all stay inside a component, so each component is
/// embedded from its own points only.
/// `components` is [`connected_components`]'s answer for the graph.
pub fn components_warning(components: &(Vec<usize>, Vec<usize>), condition: usize, rows: &[usize]) -> Option<String> {
    let (comp, sizes) = components;
    if sizes.len() <= 1 {
        return None;
    }
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&c| (sizes[c], c));
    let shown: Vec<String> = order.iter().take(5).map(|&c| sizes[c].to_string()).collect();
    let isolated = sizes.iter().filter(|&&s| s == 1).count();
    let example = comp.iter().position(|&c| c == order[0]).expect("component is non-empty");
    Some(format!(
        "condition {condition}: the proximity graph has {} connected components (smallest sizes {}{}, e.g. input \
         row {}){}; each is diffused and embedded on its own. Increase `k` (or `delta` / `radius`) if they \
         should connect",
        sizes.len(),
        shown.join(", "),
        if sizes.len() > 5 { ", ..." } else { "" },
        rows[example],
        if isolated > 0 {
            format!(", {isolated} isolated point(s) with no neighbour (zero derivatives)")
        } else {
            String::new()
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use proptest::prelude::*;

    fn d(x: &Array2<f64>, i: usize, j: usize) -> f64 {
        x.row(i).iter().zip(x.row(j)).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt()
    }

    /// All-pairs reference graphs, as the Python implementation builds them.
    fn brute(x: &Array2<f64>, kind: &str, k: usize, delta: f64, r: f64) -> Vec<(u32, u32)> {
        let n = x.nrows();
        let kth: Vec<f64> = (0..n)
            .map(|i| {
                let mut ds: Vec<f64> = (0..n).filter(|&j| j != i).map(|j| d(x, i, j)).collect();
                ds.sort_by(f64::total_cmp);
                ds[k - 1]
            })
            .collect();
        let mut out = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let dij = d(x, i, j);
                let keep = match kind {
                    "cknn" => dij < delta * (kth[i] * kth[j]).sqrt(),
                    "knn" => dij <= kth[i] || dij <= kth[j],
                    _ => dij <= r,
                };
                if keep {
                    out.push((i as u32, j as u32));
                }
            }
        }
        out
    }

    fn edges_of(a: &CsrMatrix) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for i in 0..a.n_rows {
            for &j in a.row(i).0 {
                if (i as u32) < j {
                    out.push((i as u32, j));
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn kd_tree_graphs_equal_brute_force(
            n in 12usize..80,
            dim in 1usize..6,
            k in 1usize..10,
            delta in 0.6f64..1.6,
            seed in 0u64..1000,
        ) {
            use rand::{Rng, SeedableRng};
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let x = Array2::from_shape_fn((n, dim), |_| rng.random::<f64>());
            let k = k.min(n - 1);
            let index = NeighbourIndex::new(x.view());
            let r = 0.3;
            for (kind, edges) in [
                ("cknn", cknn_edges(&index, k, delta)),
                ("knn", knn_edges(&index, k)),
                ("radius", radius_edges(&index, r)),
            ] {
                let a = adjacency_from_edges(n, edges);
                prop_assert_eq!(edges_of(&a), brute(&x, kind, k, delta, r), "{} graph", kind);
                // Symmetric, no self-loops, weights 1/d.
                for i in 0..n {
                    let (cols, vals) = a.row(i);
                    for (&j, &w) in cols.iter().zip(vals) {
                        prop_assert!(j as usize != i);
                        prop_assert_eq!(a.get(j as usize, i), w);
                        prop_assert!((w * d(&x, i, j as usize) - 1.0).abs() < 1e-12);
                    }
                }
            }
        }
    }

    #[test]
    fn components_are_counted_and_named() {
        // Two clusters far apart: kNN with k = 2 cannot bridge them.
        let mut x = Array2::zeros((8, 1));
        for i in 0..8 {
            x[[i, 0]] = if i < 5 { i as f64 } else { 100.0 + i as f64 };
        }
        let index = NeighbourIndex::new(x.view());
        let a = adjacency_from_edges(8, knn_edges(&index, 2));
        let (_, sizes) = connected_components(&a);
        assert_eq!(sizes, vec![5, 3]);
        let rows: Vec<usize> = (10..18).collect();
        let w = components_warning(&connected_components(&a), 4, &rows).expect("two components");
        assert!(
            w.starts_with(
                "condition 4: the proximity graph has 2 connected components (smallest sizes 3, 5, e.g. input row 15)"
            ),
            "{w}"
        );
        let connected = adjacency_from_edges(8, knn_edges(&index, 5));
        assert_eq!(components_warning(&connected_components(&connected), 4, &rows), None);
    }
}
