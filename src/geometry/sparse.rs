//! A compressed-sparse-row matrix with the few products the stages need.
//!
//! Dense blocks of vectors are stored row-major (`n x b`, row i at `x[i*b..(i+1)*b]`), so a
//! sparse-times-block product streams each matrix row once and touches contiguous memory.

use ndarray::Array2;
use rayon::prelude::*;

/// Sparse matrix in CSR form. Column indices within a row are sorted and unique.
#[derive(Clone, Debug, PartialEq)]
pub struct CsrMatrix {
    /// Number of rows.
    pub n_rows: usize,
    /// Number of columns.
    pub n_cols: usize,
    /// Row pointers: row i holds entries `indptr[i]..indptr[i + 1]`.
    pub indptr: Vec<usize>,
    /// Column index of each entry.
    pub indices: Vec<u32>,
    /// Value of each entry.
    pub values: Vec<f64>,
}

impl CsrMatrix {
    /// Build from (row, column, value) triplets; duplicates are summed.
    pub fn from_triplets(n_rows: usize, n_cols: usize, mut triplets: Vec<(u32, u32, f64)>) -> Self {
        triplets.par_sort_unstable_by_key(|&(r, c, _)| (r, c));
        let mut indptr = vec![0usize; n_rows + 1];
        let mut indices = Vec::with_capacity(triplets.len());
        let mut values: Vec<f64> = Vec::with_capacity(triplets.len());
        let mut last: Option<(u32, u32)> = None;
        for (r, c, v) in triplets {
            if last == Some((r, c)) {
                *values.last_mut().expect("an entry was pushed") += v;
                continue;
            }
            last = Some((r, c));
            indptr[r as usize + 1] += 1;
            indices.push(c);
            values.push(v);
        }
        for i in 0..n_rows {
            indptr[i + 1] += indptr[i];
        }
        CsrMatrix { n_rows, n_cols, indptr, indices, values }
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Column indices and values of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// Every stored entry as (row, column, value), row by row in column order.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.n_rows).flat_map(move |i| {
            let (cols, vals) = self.row(i);
            cols.iter().zip(vals).map(move |(&j, &v)| (i, j as usize, v))
        })
    }

    /// Entry (i, j), or 0 when not stored. O(log row length).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (cols, vals) = self.row(i);
        match cols.binary_search(&(j as u32)) {
            Ok(p) => vals[p],
            Err(_) => 0.0,
        }
    }

    /// y = A x.
    pub fn mul_vec(&self, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.n_rows];
        self.mul_block_into(x, 1, &mut y);
        y
    }

    /// Y = A X for a row-major block X (n_cols x b), written into Y (n_rows x b).
    pub fn mul_block_into(&self, x: &[f64], b: usize, y: &mut [f64]) {
        assert_eq!(x.len(), self.n_cols * b, "block has the wrong number of rows");
        assert_eq!(y.len(), self.n_rows * b, "output block has the wrong number of rows");
        if b == 0 {
            return;
        }
        let simd = wide_simd();
        y.par_chunks_mut(b).with_min_len(64).enumerate().for_each(|(i, yi)| {
            let (cols, vals) = self.row(i);
            if simd {
                simd::row_times_block(cols, vals, x, b, yi);
            } else {
                row_times_block(cols, vals, x, b, yi);
            }
        });
    }

    /// The matrix as a dense array (for tests and small problems).
    pub fn to_dense(&self) -> Array2<f64> {
        let mut d = Array2::zeros((self.n_rows, self.n_cols));
        for i in 0..self.n_rows {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                d[[i, c as usize]] = v;
            }
        }
        d
    }

    /// Block-diagonal stacking of square matrices.
    pub fn block_diagonal(blocks: &[CsrMatrix]) -> CsrMatrix {
        let n: usize = blocks.iter().map(|b| b.n_rows).sum();
        let nnz: usize = blocks.iter().map(|b| b.nnz()).sum();
        let mut indptr = Vec::with_capacity(n + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        indptr.push(0);
        let mut offset = 0u32;
        for b in blocks {
            let base = indices.len();
            indptr.extend(b.indptr[1..].iter().map(|p| p + base));
            indices.extend(b.indices.iter().map(|j| j + offset));
            values.extend_from_slice(&b.values);
            offset += b.n_rows as u32;
        }
        CsrMatrix { n_rows: n, n_cols: n, indptr, indices, values }
    }

    /// The diagonal block of rows and columns `lo..hi`, assuming no entry of those rows
    /// lies outside those columns (true for a block-diagonal matrix).
    pub fn diagonal_block(&self, lo: usize, hi: usize) -> CsrMatrix {
        let (e0, e1) = (self.indptr[lo], self.indptr[hi]);
        let indices: Vec<u32> = self.indices[e0..e1].iter().map(|&j| j - lo as u32).collect();
        debug_assert!(indices.iter().all(|&j| (j as usize) < hi - lo), "entries outside the block");
        CsrMatrix {
            n_rows: hi - lo,
            n_cols: hi - lo,
            indptr: self.indptr[lo..=hi].iter().map(|p| p - e0).collect(),
            indices,
            values: self.values[e0..e1].to_vec(),
        }
    }

    /// Sum of each row.
    pub fn row_sums(&self) -> Vec<f64> {
        (0..self.n_rows).map(|i| self.row(i).1.iter().sum()).collect()
    }
}

/// y_i = sum_e vals[e] x[cols[e], ..] for one output row of a sparse-times-block product.
#[inline(always)]
fn row_times_block(cols: &[u32], vals: &[f64], x: &[f64], b: usize, yi: &mut [f64]) {
    yi.iter_mut().for_each(|v| *v = 0.0);
    for (&c, &a) in cols.iter().zip(vals) {
        let xr = &x[c as usize * b..(c as usize + 1) * b];
        for (o, &xv) in yi.iter_mut().zip(xr) {
            *o += a * xv;
        }
    }
}

/// Whether this CPU has AVX2 and FMA, for loops compiled twice: for the baseline x86-64
/// (SSE2, what the build targets) and, through `#[target_feature]`, for AVX2.
#[cfg(target_arch = "x86_64")]
pub(crate) fn wide_simd() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Whether this CPU has AVX2 and FMA: never, off x86-64.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn wide_simd() -> bool {
    false
}

/// Compile a function's body twice, for AVX2 (as an inner function with that target
/// feature) and for the baseline, and run the AVX2 build where the CPU has AVX2 and FMA.
macro_rules! with_wide_simd {
    (fn($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {{
        #[cfg(target_arch = "x86_64")]
        if crate::geometry::sparse::wide_simd() {
            #[target_feature(enable = "avx2,fma")]
            fn avx2($($arg: $ty),*) -> $ret $body
            // SAFETY: only called after `wide_simd()` confirmed AVX2 and FMA on this CPU.
            return unsafe { avx2($($arg),*) };
        }
        $body
    }};
}
pub(crate) use with_wide_simd;

/// The same kernel compiled for AVX2 + FMA, chosen at run time: the crate is built for
/// baseline x86-64 (so the binary runs anywhere) but the products that dominate the
/// eigensolver run about twice as fast with wide vectors.
mod simd {

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn kernel(cols: &[u32], vals: &[f64], x: &[f64], b: usize, yi: &mut [f64]) {
        super::row_times_block(cols, vals, x, b, yi)
    }

    pub fn row_times_block(cols: &[u32], vals: &[f64], x: &[f64], b: usize, yi: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: only called after `wide_simd()` confirmed AVX2 and FMA on this CPU.
        unsafe {
            kernel(cols, vals, x, b, yi)
        }
        #[cfg(not(target_arch = "x86_64"))]
        super::row_times_block(cols, vals, x, b, yi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets_sum_duplicates_and_products_match_dense() {
        let a = CsrMatrix::from_triplets(3, 2, vec![(2, 1, 1.0), (0, 0, 2.0), (0, 0, 1.0), (1, 1, -1.0), (2, 0, 4.0)]);
        assert_eq!(a.nnz(), 4);
        assert_eq!(a.get(0, 0), 3.0);
        assert_eq!(a.get(1, 0), 0.0);
        let x = [1.0, 2.0, 10.0, 20.0]; // 2 x 2 block
        let mut y = vec![0.0; 6];
        a.mul_block_into(&x, 2, &mut y);
        let d = a.to_dense();
        for i in 0..3 {
            for c in 0..2 {
                let expect = d[[i, 0]] * x[c] + d[[i, 1]] * x[2 + c];
                assert_eq!(y[i * 2 + c], expect);
            }
        }
        assert_eq!(a.mul_vec(&[1.0, 1.0]), vec![3.0, -1.0, 5.0]);
    }
}
