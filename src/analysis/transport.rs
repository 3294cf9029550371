//! Exact optimal transport (earth mover's distance) between two discrete measures.
//!
//! The transportation problem min <P, C> subject to P 1 = a, P^T 1 = b, P >= 0 is solved as a
//! minimum-cost flow by successive shortest paths: Dijkstra from one row with unsent mass on
//! the residual bipartite graph, with node potentials so reduced costs stay non-negative, each
//! round pushing as much mass as the path allows. A round is at worst O((m + n)^2) but stops
//! at the first column with unmet demand; there are about m + n rounds.

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};

/// An optimal plan and its cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Transport {
    /// The earth mover's distance, sum_ij plan_ij cost_ij.
    pub cost: f64,
    /// The optimal plan (m x n); rows sum to `a`, columns to `b` (both normalised to 1).
    pub plan: Array2<f64>,
}

/// Check that `w` is a usable weight vector and return it normalised to sum 1.
fn normalised(w: ArrayView1<f64>, field: &str) -> Result<Vec<f64>> {
    if w.is_empty() {
        return Err(Error::argument(field, "is empty; give at least one support point"));
    }
    if let Some((i, v)) = w.iter().enumerate().find(|(_, v)| !v.is_finite() || **v < 0.0) {
        return Err(Error::argument(field, format!("entry {i} is {v}; weights must be finite and >= 0")));
    }
    let total: f64 = w.sum();
    if total <= 0.0 {
        return Err(Error::argument(field, "sums to 0; give at least one positive weight"));
    }
    Ok(w.iter().map(|v| v / total).collect())
}

/// The earth mover's distance between weights `a` (m) and `b` (n) under ground cost `cost`
/// (m x n, finite). Weights are normalised to sum to one first, so histograms of counts can be
/// passed directly.
pub fn emd(a: ArrayView1<f64>, b: ArrayView1<f64>, cost: ArrayView2<f64>) -> Result<Transport> {
    let a = normalised(a, "a")?;
    let b = normalised(b, "b")?;
    let (m, n) = (a.len(), b.len());
    if cost.dim() != (m, n) {
        return Err(Error::argument(
            "cost",
            format!(
                "is {} x {} but the weights have {m} and {n} entries; give one row per entry of a",
                cost.nrows(),
                cost.ncols()
            ),
        ));
    }
    if let Some(((i, j), v)) = cost.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::argument("cost", format!("entry ({i}, {j}) is {v}; ground costs must be finite")));
    }
    let plan = successive_shortest_paths(&a, &b, cost);
    let total = plan.iter().zip(cost.iter()).map(|(p, c)| p * c).sum();
    Ok(Transport { cost: total, plan })
}

fn successive_shortest_paths(a: &[f64], b: &[f64], cost: ArrayView2<f64>) -> Array2<f64> {
    let (m, n) = (a.len(), b.len());
    let nodes = m + n;
    // Masses below this count as zero: the solve is exact up to rounding of the inputs.
    let eps = 1e-14;
    let mut supply = a.to_vec();
    let mut demand = b.to_vec();
    let mut flow = Array2::<f64>::zeros((m, n));
    // Potentials: rows first, then columns. Reduced cost of row i -> column j is
    // c_ij + p_i - p_j >= 0; of the reverse edge (where flow > 0), -c_ij + p_j - p_i >= 0.
    let mut potential = vec![0.0; nodes];
    for j in 0..n {
        potential[m + j] = cost.column(j).iter().copied().fold(f64::INFINITY, f64::min);
    }
    let mut dist = vec![f64::INFINITY; nodes];
    let mut parent = vec![usize::MAX; nodes];
    let mut done = vec![false; nodes];
    // Each round empties a supply, a demand or a reverse edge; this bound is far above what
    // the algorithm needs and only guards against a rounding loop.
    let max_rounds = 8 * (nodes + 1) * (nodes + 1);
    let mut cursor = 0;
    for _ in 0..max_rounds {
        if supply.iter().all(|&s| s <= eps) || demand.iter().all(|&d| d <= eps) {
            break;
        }
        // One source row per round (as in Jonker-Volgenant): with the potentials kept from
        // earlier rounds its shortest path is short, so few nodes are settled.
        while supply[cursor] <= eps {
            cursor += 1;
        }
        dist.fill(f64::INFINITY);
        parent.fill(usize::MAX);
        done.fill(false);
        dist[cursor] = 0.0;
        // Dense Dijkstra until the first column with unmet demand is settled.
        let target = loop {
            let mut u = usize::MAX;
            let mut best = f64::INFINITY;
            for (x, (&d, &f)) in dist.iter().zip(&done).enumerate() {
                if !f && d < best {
                    best = d;
                    u = x;
                }
            }
            if u == usize::MAX {
                break None;
            }
            done[u] = true;
            if u >= m && demand[u - m] > eps {
                break Some(u);
            }
            if u < m {
                let row = cost.row(u);
                for j in 0..n {
                    let v = m + j;
                    if done[v] {
                        continue;
                    }
                    let nd = best + (row[j] + potential[u] - potential[v]).max(0.0);
                    if nd < dist[v] {
                        dist[v] = nd;
                        parent[v] = u;
                    }
                }
            } else {
                let j = u - m;
                for i in 0..m {
                    if done[i] || flow[[i, j]] <= eps {
                        continue;
                    }
                    let nd = best + (-cost[[i, j]] + potential[u] - potential[i]).max(0.0);
                    if nd < dist[i] {
                        dist[i] = nd;
                        parent[i] = u;
                    }
                }
            }
        };
        let Some(t) = target else { break };
        let reach = dist[t];
        for (p, (&d, &f)) in potential.iter_mut().zip(dist.iter().zip(&done)) {
            *p += if f { d } else { reach };
        }
        // Walk back to the source row, finding the bottleneck.
        let mut delta = demand[t - m];
        let mut v = t;
        while parent[v] != usize::MAX {
            let u = parent[v];
            if u >= m {
                // Reverse edge column u -> row v cancels flow on (v, u).
                delta = delta.min(flow[[v, u - m]]);
            }
            v = u;
        }
        let source = v;
        delta = delta.min(supply[source]);
        let mut v = t;
        while parent[v] != usize::MAX {
            let u = parent[v];
            if u < m {
                flow[[u, v - m]] += delta;
            } else {
                let f = &mut flow[[v, u - m]];
                *f -= delta;
                if *f < eps {
                    *f = 0.0;
                }
            }
            v = u;
        }
        supply[source] -= delta;
        demand[t - m] -= delta;
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn moving_all_mass_one_step_costs_the_step() {
        let t = emd(array![1.0, 0.0].view(), array![0.0, 1.0].view(), array![[0.0, 3.0], [3.0, 0.0]].view()).unwrap();
        assert!((t.cost - 3.0).abs() < 1e-12);
        assert_eq!(t.plan, array![[0.0, 1.0], [0.0, 0.0]]);
    }
}
