//! Seeded example inputs, as the reference's dynamics helpers make them: vector fields on
//! the plane, the same fields on a parabola in R^3, a van der Pol sweep over mu, and
//! 2-manifolds in R^3 and R^5 for benchmarks. Tests, benches, notebooks and
//! `marble example` all draw from here. Inputs only: training and analysis of real
//! recordings live in [`crate::reaching`].

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dataset::{Condition, Conditions};
use crate::error::{Error, Result};

/// A vector field on the plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Constant flow (-1, -1).
    UniformLeft,
    /// Constant flow (1, 1).
    UniformRight,
    /// Rotation about the origin: (-y, x).
    Vortex,
    /// Saddle at the origin: (x, -y).
    Saddle,
    /// Source at the origin: (x, y).
    Source,
}

impl Field {
    /// The field's value at (x, y).
    pub fn at(self, x: f64, y: f64) -> [f64; 2] {
        match self {
            Field::UniformLeft => [-1.0, -1.0],
            Field::UniformRight => [1.0, 1.0],
            Field::Vortex => [-y, x],
            Field::Saddle => [x, -y],
            Field::Source => [x, y],
        }
    }

    /// A short name for figures: "flow left", "vortex", ...
    pub fn name(self) -> &'static str {
        match self {
            Field::UniformLeft => "flow left",
            Field::UniformRight => "flow right",
            Field::Vortex => "vortex",
            Field::Saddle => "saddle",
            Field::Source => "source",
        }
    }

    /// Evaluate at every row of `x` (n x 2).
    pub fn eval(self, x: &Array2<f64>) -> Array2<f64> {
        let mut v = Array2::zeros((x.nrows(), 2));
        for (i, r) in x.rows().into_iter().enumerate() {
            let f = self.at(r[0], r[1]);
            v[[i, 0]] = f[0];
            v[[i, 1]] = f[1];
        }
        v
    }
}

/// The four fields of the planar example: flow left, flow right, vortex, saddle.
pub const PLANAR_FIELDS: [Field; 4] = [Field::UniformLeft, Field::UniformRight, Field::Vortex, Field::Saddle];

/// `n` points uniform in [-1, 1]^2.
pub fn uniform_square(n: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    Array2::from_shape_fn((n, 2), |_| rng.random_range(-1.0..1.0))
}

/// One condition per field, each `n` random points in [-1, 1]^2 (condition c drawn with
/// seed `seed + c`), named after its field. Labels are the field index.
pub fn planar_fields(fields: &[Field], n: usize, seed: u64) -> Conditions {
    let conds = fields
        .iter()
        .enumerate()
        .map(|(c, f)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed + c as u64);
            let x = uniform_square(n, &mut rng);
            let v = f.eval(&x);
            Condition::new(x, v).with_label(Array1::from_elem(n, c as f64)).with_name(f.name())
        })
        .collect();
    Conditions::new(conds).expect("generated data is valid")
}

/// The parabola z = -(a x)^2 - (a y)^2 over the plane, as in the reference's `parabola`.
pub fn parabola_point(x: f64, y: f64, alpha: f64) -> [f64; 3] {
    [x, y, -(alpha * x).powi(2) - (alpha * y).powi(2)]
}

/// Planar fields lifted to the parabola (reference `embed_parabola`): anchors p(x), vectors
/// p(x + f(x)) - p(x), rescaled to the planar vector's length.
pub fn parabola_fields(fields: &[Field], n: usize, alpha: f64, seed: u64) -> Conditions {
    let flat = planar_fields(fields, n, seed);
    let conds = flat
        .into_vec()
        .into_iter()
        .map(|c| {
            let m = c.anchor.nrows();
            let mut a = Array2::zeros((m, 3));
            let mut v = Array2::zeros((m, 3));
            for i in 0..m {
                let (x, y) = (c.anchor[[i, 0]], c.anchor[[i, 1]]);
                let (fx, fy) = (c.vector[[i, 0]], c.vector[[i, 1]]);
                let p0 = parabola_point(x, y, alpha);
                let p1 = parabola_point(x + fx, y + fy, alpha);
                let d: Vec<f64> = (0..3).map(|k| p1[k] - p0[k]).collect();
                let len = d.iter().map(|z| z * z).sum::<f64>().sqrt();
                let scale = if len > 0.0 { fx.hypot(fy) / len } else { 0.0 };
                for k in 0..3 {
                    a[[i, k]] = p0[k];
                    v[[i, k]] = d[k] * scale;
                }
            }
            Condition { anchor: a, vector: v, label: c.label, mask: None, name: c.name, value: c.value, group: c.group }
        })
        .collect();
    Conditions::new(conds).expect("generated data is valid")
}

/// The van der Pol vector field: x' = y, y' = mu (1 - x^2) y - x.
pub fn van_der_pol_field(mu: f64, p: [f64; 2]) -> [f64; 2] {
    [p[1], mu * (1.0 - p[0] * p[0]) * p[1] - p[0]]
}

/// One classical Runge-Kutta step of size h.
pub fn rk4_step(f: impl Fn([f64; 2]) -> [f64; 2], p: [f64; 2], h: f64) -> [f64; 2] {
    let add = |a: [f64; 2], b: [f64; 2], s: f64| [a[0] + s * b[0], a[1] + s * b[1]];
    let k1 = f(p);
    let k2 = f(add(p, k1, h / 2.0));
    let k3 = f(add(p, k2, h / 2.0));
    let k4 = f(add(p, k3, h));
    [
        p[0] + h / 6.0 * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]),
        p[1] + h / 6.0 * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1]),
    ]
}

/// Settings of the van der Pol sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct VanDerPol {
    /// Values of mu, one condition each.
    pub mus: Vec<f64>,
    /// Initial conditions per mu, uniform in [-3, 3]^2.
    pub n_trajectories: usize,
    /// Sampled time points per trajectory.
    pub n_steps: usize,
    /// Time between samples.
    pub dt: f64,
    /// RK4 substeps per sample.
    pub substeps: usize,
    /// Trajectories are cut where they leave [-bound, bound]^2 (the reference drops
    /// samples outside [-5, 5]).
    pub bound: f64,
}

impl Default for VanDerPol {
    fn default() -> Self {
        VanDerPol {
            mus: vec![-1.0, -0.5, 0.0, 0.5, 1.0],
            n_trajectories: 100,
            n_steps: 16,
            dt: 0.2,
            substeps: 10,
            bound: 5.0,
        }
    }
}

impl VanDerPol {
    /// Integrate every trajectory: `out[c][j]` is trajectory j of mu c (T x 2).
    pub fn trajectories(&self, seed: u64) -> Vec<Vec<Array2<f64>>> {
        self.mus
            .iter()
            .enumerate()
            .map(|(c, &mu)| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed + c as u64);
                (0..self.n_trajectories)
                    .map(|_| {
                        let mut p = [rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0)];
                        let mut rows = vec![p];
                        let h = self.dt / self.substeps as f64;
                        for _ in 1..self.n_steps {
                            for _ in 0..self.substeps {
                                p = rk4_step(|q| van_der_pol_field(mu, q), p, h);
                            }
                            if !(p[0].abs() <= self.bound && p[1].abs() <= self.bound) {
                                break;
                            }
                            rows.push(p);
                        }
                        Array2::from_shape_fn((rows.len(), 2), |(i, k)| rows[i][k])
                    })
                    .filter(|t| t.nrows() >= 2)
                    .collect()
            })
            .collect()
    }

    /// The sweep as conditions named "mu = ..." with mu as their value (so figures colour
    /// them on a scale of mu): anchors x[t], vectors by forward differences x[t+1] - x[t].
    pub fn conditions(&self, seed: u64) -> Conditions {
        let names: Vec<String> = self.mus.iter().map(|&mu| format!("mu = {}", decimal(mu))).collect();
        Conditions::from_trajectories(&self.trajectories(seed))
            .and_then(|c| c.with_names(&names))
            .and_then(|c| c.with_values(&self.mus))
            .expect("generated data is valid")
    }

    /// The sweep in group "original" and the same conditions turned by `angle` radians in
    /// the plane (anchors and vectors) in group "rotated", names and values shared: the case
    /// where an embedding-agnostic model must match every condition to its copy.
    pub fn with_rotated_copies(&self, seed: u64, angle: f64) -> Conditions {
        let flows = self.conditions(seed);
        let (c, s) = (angle.cos(), angle.sin());
        let r = ndarray::array![[c, s], [-s, c]];
        let mut all: Vec<Condition> = flows.as_slice().iter().cloned().map(|f| f.with_group("original")).collect();
        for f in flows.as_slice() {
            let mut g = f.clone().with_group("rotated");
            (g.anchor, g.vector) = (f.anchor.dot(&r), f.vector.dot(&r));
            all.push(g);
        }
        Conditions::new(all).expect("rotated copies of valid conditions are valid")
    }
}

/// A number with at least one decimal, as it is written in a sweep: 1.0, 0.5, 0.25.
fn decimal(x: f64) -> String {
    if x.fract() == 0.0 { format!("{x:.1}") } else { format!("{x}") }
}

/// A 2-manifold to draw benchmark clouds on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// A strongly curved paraboloid in R^3: (u, v, u^2 + v^2).
    ParaboloidR3,
    /// A curved sheet in R^5: (u, v, sin(pi u), cos(pi v), u v).
    SheetR5,
}

impl Surface {
    /// The embedding and its Jacobian (D x 2) at (u, v).
    fn map(self, u: f64, v: f64) -> (Vec<f64>, Vec<[f64; 2]>) {
        use std::f64::consts::PI;
        match self {
            Surface::ParaboloidR3 => (vec![u, v, u * u + v * v], vec![[1.0, 0.0], [0.0, 1.0], [2.0 * u, 2.0 * v]]),
            Surface::SheetR5 => (
                vec![u, v, (PI * u).sin(), (PI * v).cos(), u * v],
                vec![[1.0, 0.0], [0.0, 1.0], [PI * (PI * u).cos(), 0.0], [0.0, -PI * (PI * v).sin()], [v, u]],
            ),
        }
    }

    /// Embedding dimension.
    pub fn dim(self) -> usize {
        match self {
            Surface::ParaboloidR3 => 3,
            Surface::SheetR5 => 5,
        }
    }
}

/// The four planar fields pushed forward onto a surface: anchors phi(x), vectors
/// J_phi(x) f(x) (exactly tangent), `n` points per condition.
pub fn surface_fields(surface: Surface, n: usize, seed: u64) -> Conditions {
    let flat = planar_fields(&PLANAR_FIELDS, n, seed);
    let d = surface.dim();
    let conds = flat
        .into_vec()
        .into_iter()
        .map(|c| {
            let m = c.anchor.nrows();
            let mut a = Array2::zeros((m, d));
            let mut v = Array2::zeros((m, d));
            for i in 0..m {
                let (pos, jac) = surface.map(c.anchor[[i, 0]], c.anchor[[i, 1]]);
                for k in 0..d {
                    a[[i, k]] = pos[k];
                    v[[i, k]] = jac[k][0] * c.vector[[i, 0]] + jac[k][1] * c.vector[[i, 1]];
                }
            }
            Condition { anchor: a, vector: v, label: c.label, mask: None, name: c.name, value: c.value, group: c.group }
        })
        .collect();
    Conditions::new(conds).expect("generated data is valid")
}

/// A reaching-shaped synthetic workload: `conditions` (8 for the benchmark) reach
/// directions, `n` points each on a curved 5-manifold in R^5 (the image of the cube
/// [-1, 1]^5 under x -> x + 0.3 sin(pi x_next)), carrying a rotation in the first plane plus
/// a drift towards the condition's target direction (cos, sin of 2 pi c / conditions in the
/// first two coordinates, a tilt in the others), pushed forward by the map's Jacobian.
/// The shape of the macaque data after PCA (17,600 points in R^5), seeded.
pub fn reaching_like(conditions: usize, n: usize, seed: u64) -> Conditions {
    use std::f64::consts::PI;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let conds = (0..conditions)
        .map(|c| {
            let angle = 2.0 * PI * c as f64 / conditions as f64;
            let target = [angle.cos(), angle.sin(), 0.3 * angle.sin(), 0.3 * angle.cos(), 0.2];
            let mut a = Array2::zeros((n, 5));
            let mut v = Array2::zeros((n, 5));
            for i in 0..n {
                let x: [f64; 5] = std::array::from_fn(|_| rng.random_range(-1.0..1.0));
                let mut f = target;
                f[0] -= x[1];
                f[1] += x[0];
                for k in 0..5 {
                    let next = (k + 1) % 5;
                    a[[i, k]] = x[k] + 0.3 * (PI * x[next]).sin();
                    // Jacobian row k: e_k + 0.3 pi cos(pi x_next) e_next.
                    v[[i, k]] = f[k] + 0.3 * PI * (PI * x[next]).cos() * f[next];
                }
            }
            Condition::new(a, v).with_name(format!("target {:.0} deg", angle.to_degrees()))
        })
        .collect();
    Conditions::new(conds).expect("generated data is valid")
}

/// Names accepted by [`by_name`], with a line each.
pub const NAMES: [(&str, &str); 12] = [
    ("planar-fields", "4 conditions on [-1,1]^2: uniform flow left, uniform flow right, vortex, saddle"),
    ("parabola-fields", "the same 4 fields on the parabola z = -(0.05x)^2 - (0.05y)^2 in R^3 (reference)"),
    (
        "vanderpol",
        "van der Pol sweep, mu in {-1,-0.5,0,0.5,1} (each condition's value), RK4 trajectories, finite differences",
    ),
    (
        "vanderpol-long",
        "the same sweep as 20 trajectories of 60 steps per mu (orbits at mu = 0 are separate components)",
    ),
    ("uniform-left", "one condition: uniform flow (-1,-1) on [-1,1]^2"),
    ("uniform-right", "one condition: uniform flow (1,1) on [-1,1]^2"),
    ("vortex", "one condition: vortex (-y, x) on [-1,1]^2"),
    ("saddle", "one condition: saddle (x, -y) on [-1,1]^2"),
    ("source", "one condition: source (x, y) on [-1,1]^2"),
    ("surface-r3", "4 fields pushed onto the paraboloid (u, v, u^2+v^2) in R^3"),
    ("surface-r5", "4 fields pushed onto a curved sheet in R^5"),
    ("reaching-like", "8 reach directions on a curved 5-manifold in R^5 (2,200 points each by default)"),
];

/// An example by name. `n` is points per condition (trajectories per mu for `vanderpol`;
/// default 512, 100 for `vanderpol`).
pub fn by_name(name: &str, n: Option<usize>, seed: u64) -> Result<Conditions> {
    let pts = n.unwrap_or(512);
    let single = |f: Field| planar_fields(&[f], pts, seed);
    Ok(match name {
        "planar-fields" => planar_fields(&PLANAR_FIELDS, pts, seed),
        "parabola-fields" => parabola_fields(&PLANAR_FIELDS, pts, 0.05, seed),
        "vanderpol" => VanDerPol { n_trajectories: n.unwrap_or(100), ..Default::default() }.conditions(seed),
        "vanderpol-long" => {
            VanDerPol { n_trajectories: n.unwrap_or(20), n_steps: 60, ..Default::default() }.conditions(seed)
        }
        "uniform-left" => single(Field::UniformLeft),
        "uniform-right" => single(Field::UniformRight),
        "vortex" => single(Field::Vortex),
        "saddle" => single(Field::Saddle),
        "source" => single(Field::Source),
        "surface-r3" => surface_fields(Surface::ParaboloidR3, pts, seed),
        "surface-r5" => surface_fields(Surface::SheetR5, pts, seed),
        "reaching-like" => reaching_like(8, n.unwrap_or(2200), seed),
        _ => {
            return Err(Error::Unknown {
                kind: "example",
                name: name.to_string(),
                choices: NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::s;

    #[test]
    fn rk4_is_fourth_order_on_the_harmonic_oscillator() {
        // mu = 0 is x'' = -x: the exact solution from (1, 0) is (cos t, -sin t).
        let err = |steps: usize| {
            let h = 1.0 / steps as f64;
            let mut p = [1.0, 0.0];
            for _ in 0..steps {
                p = rk4_step(|q| van_der_pol_field(0.0, q), p, h);
            }
            ((p[0] - 1f64.cos()).powi(2) + (p[1] + 1f64.sin()).powi(2)).sqrt()
        };
        let ratio = err(10) / err(20);
        assert!((ratio - 16.0).abs() < 1.5, "halving h should divide the error by ~16, got {ratio}");
    }

    #[test]
    fn generators_are_seeded_and_shaped() {
        let a = planar_fields(&PLANAR_FIELDS, 50, 1);
        assert_eq!(a, planar_fields(&PLANAR_FIELDS, 50, 1));
        assert_ne!(a, planar_fields(&PLANAR_FIELDS, 50, 2));
        assert_eq!((a.len(), a.embedding_dim(), a.signal_dim()), (4, 2, 2));
        let vortex = &a.as_slice()[2];
        let r = vortex.anchor.row(0);
        assert_eq!(vortex.vector.row(0).to_vec(), vec![-r[1], r[0]]);
        let vdp = VanDerPol::default().conditions(0);
        assert_eq!(vdp.len(), 5);
        assert_eq!(vdp.values(), VanDerPol::default().mus.into_iter().map(Some).collect::<Vec<_>>());
        assert!(vdp.n_points() > 1000);
        // Forward differences: vector = next anchor - anchor within a trajectory.
        let c = &vdp.as_slice()[3];
        let d = &c.anchor.slice(s![1, ..]) - &c.anchor.slice(s![0, ..]);
        assert_eq!(c.vector.row(0).to_owned(), d);
        // Surfaces: vectors are tangent (orthogonal to the paraboloid's normal).
        let sf = surface_fields(Surface::ParaboloidR3, 30, 0);
        for cond in sf.as_slice() {
            for i in 0..30 {
                let (u, v) = (cond.anchor[[i, 0]], cond.anchor[[i, 1]]);
                let normal = [2.0 * u, 2.0 * v, -1.0];
                let dot: f64 = (0..3).map(|k| normal[k] * cond.vector[[i, k]]).sum();
                assert!(dot.abs() < 1e-12);
            }
        }
        assert!(by_name("nope", None, 0).is_err());
    }
}
