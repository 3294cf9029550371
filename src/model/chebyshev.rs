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
    /// The interval [a, b] in t.
    a: f64,
    b: f64,
    /// With `Some(tau)`, the nodes are Chebyshev points in s = ln(1 + t / tau) rather than
    /// in t (see [`Chebyshev::logarithmic`]).
    tau: Option<f64>,
    /// The interval in the interpolation variable: [a, b], or [s(a), s(b)].
    sa: f64,
    sb: f64,
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
        Chebyshev { a, b, tau: None, sa: a, sb: b, x, w, d }
    }

    /// The N + 1 nodes of degree N on [a, b] placed as Chebyshev points of s = ln(1 + t / tau),
    /// dense near small t and sparse at large t. The features' fast decays e^(-theta t) end
    /// while t is small and the slow ones change on the scale of t itself, so one such
    /// interval can serve t from 0 to many times the slowest decay time, where equally spaced
    /// Chebyshev points in t would need a far higher degree. dl/dt = dl/ds / (tau + t).
    pub fn logarithmic(degree: usize, a: f64, b: f64, tau: f64) -> Self {
        let s = |t: f64| (t / tau).ln_1p();
        Chebyshev { tau: Some(tau), sa: s(a), sb: s(b), ..Chebyshev::new(degree, a, b) }
    }

    /// The same map and interval at another degree.
    pub fn with_degree(&self, degree: usize) -> Self {
        match self.tau {
            Some(tau) => Chebyshev::logarithmic(degree, self.a, self.b, tau),
            None => Chebyshev::new(degree, self.a, self.b),
        }
    }

    /// The interpolation variable at t.
    fn s(&self, t: f64) -> f64 {
        self.tau.map_or(t, |tau| (t / tau).ln_1p())
    }

    /// t at the interpolation variable s.
    fn t(&self, s: f64) -> f64 {
        self.tau.map_or(s, |tau| tau * s.exp_m1())
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
        let (sa, sb) = (self.sa, self.sb);
        self.x
            .iter()
            .map(|&x| {
                if x == -1.0 {
                    self.a
                } else if x == 1.0 && self.tau.is_some() {
                    self.b // exactly, through the map
                } else {
                    self.t(sa + (sb - sa) * (1.0 + x) / 2.0)
                }
            })
            .collect()
    }

    /// The points the degree-2N nodes add to these: t at x = cos((2j + 1) pi / 2N).
    pub fn midpoints(&self) -> Vec<f64> {
        let fine = self.with_degree(2 * self.degree()).times();
        fine.into_iter().skip(1).step_by(2).collect()
    }

    /// l_j(t) and dl_j/dt for every node j, so p(t) = sum_j l_j f_j and p'(t) = sum_j l'_j f_j.
    pub fn weights(&self, t: f64) -> (Vec<f64>, Vec<f64>) {
        let n1 = self.x.len();
        let x = if t == self.a { -1.0 } else { 2.0 * (self.s(t) - self.sa) / (self.sb - self.sa) - 1.0 };
        let mut l = vec![0.0; n1];
        match self.x.iter().position(|&xj| xj == x) {
            Some(j) => l[j] = 1.0,
            None => {
                l.iter_mut().enumerate().for_each(|(j, v)| *v = self.w[j] / (x - self.x[j]));
                let s: f64 = l.iter().sum();
                l.iter_mut().for_each(|v| *v /= s);
            }
        }
        // dx/dt = (2 / (sb - sa)) ds/dt.
        let scale = 2.0 / (self.sb - self.sa) / self.tau.map_or(1.0, |tau| tau + t);
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

    /// Nodes placed in s = ln(1 + t / tau) serve e^{-theta t} over a span where the same
    /// degree in t does not, with the derivative through ds/dt = 1 / (tau + t); the ends are
    /// nodes exactly and the nested midpoints are the fine nodes.
    #[test]
    fn logarithmic_nodes_serve_fast_and_slow_decays_over_a_long_span() {
        let (log, lin) = (Chebyshev::logarithmic(48, 0.0, 8.0, 1.0), Chebyshev::new(48, 0.0, 8.0));
        let nodes = log.times();
        assert_eq!((nodes[0], nodes[48]), (8.0, 0.0));
        assert!(nodes.windows(2).all(|w| w[0] > w[1]), "decreasing from b to a");
        // Denser near 0: the node nearest t = 0 sits closer than linear spacing puts it.
        assert!(nodes[47] < lin.times()[47]);
        let worst = |c: &Chebyshev, theta: f64| {
            let f: Vec<f64> = c.times().iter().map(|t| (-theta * t).exp()).collect();
            let mut err = [0.0f64, 0.0];
            for k in 0..=400 {
                let t = 8.0 * k as f64 / 400.0;
                let (l, dl) = c.weights(t);
                let p: f64 = l.iter().zip(&f).map(|(a, b)| a * b).sum();
                let dp: f64 = dl.iter().zip(&f).map(|(a, b)| a * b).sum();
                err[0] = err[0].max((p - (-theta * t).exp()).abs());
                err[1] = err[1].max((dp + theta * (-theta * t).exp()).abs());
            }
            err
        };
        for theta in [0.0, 0.05, 0.5, 2.0, 6.0] {
            let [e, de] = worst(&log, theta);
            assert!(e < 1e-10 && de < 1e-8 * theta.max(1.0), "theta {theta}: {e:e} {de:e}");
        }
        // A fast decay that linear nodes of the same degree miss by far more.
        assert!(worst(&lin, 20.0)[0] > 100.0 * worst(&log, 20.0)[0]);
        let fine = log.with_degree(96).times();
        for (k, m) in log.midpoints().iter().enumerate() {
            assert!((m - fine[2 * k + 1]).abs() <= 1e-14 * m.max(1.0));
        }
        assert!(log.covers(0.0) && log.covers(8.0) && !log.covers(8.01));
    }
}
