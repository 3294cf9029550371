//! Polynomial interpolation in the diffusion time t on Chebyshev points, for features that
//! are smooth but not sums of exponentials in t (local frames: diffused vectors rescaled to
//! their diffused magnitude).
//!
//! On [a, b] the nodes are the Chebyshev-Lobatto points t_j = a + (b - a) (1 + x_j) / 2 with
//! x_j = cos(j pi / N), j = 0..=N (both ends are nodes, so t = a is served exactly). A
//! function known at the nodes is interpolated by the barycentric formula
//!
//! p(t) = sum_j l_j(t) f_j,  l_j(x) = (w_j / (x - x_j)) / sum_k (w_k / (x - x_k)),
//!
//! with w_j = (-1)^j, halved at both ends, and its derivative by differentiating the
//! interpolant: p'(t) = sum_k l'_k(t) f_k with l'_k(t) = (2 / (b - a)) sum_j l_j(x) D_jk,
//! where D is the Chebyshev differentiation matrix (exact for polynomials of degree N, so
//! l' is exact and stable up to the nodes). Weights cost O(N^2) per t, once per step.
//! The points of degree 2N are those of degree N plus the midpoints in angle, so doubling
//! the degree reuses every value already computed.

/// Chebyshev-Lobatto nodes on [a, b] with their barycentric weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Chebyshev {
    /// The interval [a, b].
    a: f64,
    b: f64,
    /// x_j = cos(j pi / N) in [-1, 1], j = 0..=N.
    x: Vec<f64>,
    /// Barycentric weights w_j.
    w: Vec<f64>,
    /// Differentiation matrix in x, (N + 1) x (N + 1), row-major.
    d: Vec<f64>,
}

impl Chebyshev {
    /// The N + 1 nodes of degree N >= 1 on [a, b], a < b.
    pub fn new(degree: usize, a: f64, b: f64) -> Self {
        let n = degree.max(1);
        // sin of the complementary angle: exactly symmetric, exactly +-1 at the ends.
        let x: Vec<f64> =
            (0..=n).map(|j| (std::f64::consts::PI * (n as f64 - 2.0 * j as f64) / (2.0 * n as f64)).sin()).collect();
        let w: Vec<f64> = (0..=n)
            .map(|j| {
                let s = if j % 2 == 0 { 1.0 } else { -1.0 };
                if j == 0 || j == n { s / 2.0 } else { s }
            })
            .collect();
        let mut d = vec![0.0; (n + 1) * (n + 1)];
        for i in 0..=n {
            let mut diag = 0.0;
            for k in (0..=n).filter(|&k| k != i) {
                let v = (w[k] / w[i]) / (x[i] - x[k]);
                d[i * (n + 1) + k] = v;
                diag -= v; // rows sum to zero: constants have derivative 0
            }
            d[i * (n + 1) + i] = diag;
        }
        Chebyshev { a, b, x, w, d }
    }

    /// The degree N.
    pub fn degree(&self) -> usize {
        self.x.len() - 1
    }

    /// The interval [a, b].
    pub fn interval(&self) -> (f64, f64) {
        (self.a, self.b)
    }

    /// Whether t lies in [a, b].
    pub fn covers(&self, t: f64) -> bool {
        (self.a..=self.b).contains(&t)
    }

    /// The nodes t_j, from b (j = 0) down to a (j = N).
    pub fn times(&self) -> Vec<f64> {
        self.x.iter().map(|x| if *x == -1.0 { self.a } else { self.a + (self.b - self.a) * (1.0 + x) / 2.0 }).collect()
    }

    /// The points the degree-2N nodes add to these: t at x = cos((2j + 1) pi / 2N).
    pub fn midpoints(&self) -> Vec<f64> {
        let fine = Chebyshev::new(2 * self.degree(), self.a, self.b).times();
        fine.into_iter().skip(1).step_by(2).collect()
    }

    /// l_j(t) and dl_j/dt for every node j, so p(t) = sum_j l_j f_j and p'(t) = sum_j l'_j f_j.
    pub fn weights(&self, t: f64) -> (Vec<f64>, Vec<f64>) {
        let n1 = self.x.len();
        let x = if t == self.a { -1.0 } else { 2.0 * (t - self.a) / (self.b - self.a) - 1.0 };
        let mut l = vec![0.0; n1];
        match self.x.iter().position(|&xj| xj == x) {
            Some(j) => l[j] = 1.0,
            None => {
                l.iter_mut().enumerate().for_each(|(j, v)| *v = self.w[j] / (x - self.x[j]));
                let s: f64 = l.iter().sum();
                l.iter_mut().for_each(|v| *v /= s);
            }
        }
        let scale = 2.0 / (self.b - self.a);
        let dl = (0..n1).map(|k| scale * (0..n1).map(|j| l[j] * self.d[j * n1 + k]).sum::<f64>()).collect();
        (l, dl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interpolation reproduces e^{-theta t} and its derivative to near rounding once the
    /// degree resolves it, is exact at the nodes, and the nested midpoints are the fine nodes.
    #[test]
    fn interpolates_exponentials_and_their_derivatives() {
        let c = Chebyshev::new(32, 0.0, 4.0);
        let nodes = c.times();
        assert_eq!((nodes[0], nodes[32]), (4.0, 0.0));
        for theta in [0.0, 0.3, 1.0, 2.0] {
            let f: Vec<f64> = nodes.iter().map(|t| (-theta * t).exp()).collect();
            for t in [0.0, 1e-9, 0.37, 1.0, 2.5, 3.999, 4.0] {
                let (l, dl) = c.weights(t);
                let p: f64 = l.iter().zip(&f).map(|(a, b)| a * b).sum();
                let dp: f64 = dl.iter().zip(&f).map(|(a, b)| a * b).sum();
                assert!((p - (-theta * t).exp()).abs() < 1e-13, "theta {theta} t {t}: {p}");
                assert!((dp + theta * (-theta * t).exp()).abs() < 1e-10, "theta {theta} t {t}: {dp}");
            }
        }
        let (l, _) = c.weights(nodes[5]);
        assert!(l.iter().enumerate().all(|(j, v)| *v == if j == 5 { 1.0 } else { 0.0 }));
        let fine = Chebyshev::new(64, 0.0, 4.0).times();
        let mids = c.midpoints();
        assert_eq!(mids.len(), 32);
        for (k, m) in mids.iter().enumerate() {
            assert_eq!(*m, fine[2 * k + 1]);
        }
        for (k, t) in nodes.iter().enumerate() {
            assert!((t - fine[2 * k]).abs() < 1e-15);
        }
        // On a shifted interval, e^{-t} is interpolated alike and t = a is a node.
        let shifted = Chebyshev::new(16, 0.3, 0.8);
        assert_eq!(shifted.times()[16], 0.3);
        let f: Vec<f64> = shifted.times().iter().map(|t| (-t).exp()).collect();
        for t in [0.3, 0.41, 0.8] {
            let (l, dl) = shifted.weights(t);
            let p: f64 = l.iter().zip(&f).map(|(a, b)| a * b).sum();
            let dp: f64 = dl.iter().zip(&f).map(|(a, b)| a * b).sum();
            assert!((p - (-t).exp()).abs() < 1e-14 && (dp + (-t).exp()).abs() < 1e-11, "t {t}: {p} {dp}");
        }
        assert!(shifted.covers(0.3) && !shifted.covers(0.29) && !shifted.covers(0.81));
        // Too low a degree does not resolve the fast decay: the check on midpoints sees it.
        let coarse = Chebyshev::new(4, 0.0, 4.0);
        let f: Vec<f64> = coarse.times().iter().map(|t| (-2.0 * t).exp()).collect();
        let worst = coarse
            .midpoints()
            .iter()
            .map(|&t| (coarse.weights(t).0.iter().zip(&f).map(|(a, b)| a * b).sum::<f64>() - (-2.0 * t).exp()).abs())
            .fold(0.0, f64::max);
        assert!(worst > 1e-4, "{worst}");
    }
}
