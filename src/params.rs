//! Parameters: one struct for every stage, with the reference implementation's keys and
//! defaults, checked once.
//!
//! [`Params`] is what users write (JSON, TOML, or Rust); [`Params::check`] is the only way to
//! obtain a [`ValidParams`], which is what the stages take. Unknown keys are rejected, so a
//! misspelt key is an error rather than a silently ignored setting.
//!
//! ```
//! let p = marble::Params::from_json(r#"{"k": 10, "local_gauges": true}"#).unwrap();
//! let valid = p.check().unwrap();
//! assert_eq!(valid.k, 10);
//! assert_eq!(valid.order, 2); // the reference's default
//! assert!(marble::Params::from_json(r#"{"kk": 10}"#).is_err());
//! ```

use std::ops::Deref;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

pub use crate::error::ParamsError;
use crate::error::{Error, Result};

/// How the proximity graph of each condition is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GraphType {
    /// Continuous k-nearest neighbours: i ~ j when |x_i - x_j| < delta * sqrt(rho_i rho_j),
    /// rho_i the distance from i to its k-th nearest other point.
    Cknn,
    /// k nearest neighbours of each point, symmetrised (i ~ j if either is among the other's k).
    Knn,
    /// All pairs closer than `radius`.
    Radius,
}

/// How exp(-t L) is applied to the signal for diffusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DiffusionMethod {
    /// Lanczos on the signal itself: exact to `diffusion_tolerance` for every t up to 100,
    /// no eigensolver, O(n_eigenpairs nnz) per channel.
    Krylov,
    /// The `n_eigenpairs` lowest eigenpairs of each condition's normalised Laplacian, as the
    /// reference does (which keeps all of them by default).
    Spectral,
}

/// What to do with anchors that coincide within a condition (repeated states, common in
/// binned spike counts; equal up to 1e-12 of the cloud's coordinate range), whose edge
/// weight 1 / |x_i - x_j| would be infinite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Duplicates {
    /// Merge each group of identical anchors into one point whose vector is the group's mean
    /// (label and mask from its first row). Every input row still gets an embedding row: the
    /// embedding of its merged point.
    Merge,
    /// Refuse them with a `duplicate_points` error naming two such rows.
    Error,
}

/// Optimiser for training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Stochastic gradient descent with momentum (the reference's choice).
    Sgd,
    /// Adam (betas 0.9, 0.999).
    Adam,
}

/// Every parameter of MARBLE: dataset construction, network and training.
///
/// Keys and defaults follow the reference implementation, so a Python params dict pastes in
/// as JSON. Missing keys take their defaults; unknown keys are errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    // ---- dataset construction -------------------------------------------------------------
    /// Proximity graph: `cknn` (default), `knn` or `radius`.
    pub graph_type: GraphType,
    /// Neighbourhood size of the proximity graph (default 20). For `cknn` it sets the local
    /// scale rho_i (distance to the k-th nearest other point); for `knn` the neighbours kept.
    #[schema(minimum = 1)]
    pub k: usize,
    /// CkNN scale factor (default 1.0): i ~ j when |x_i - x_j| < delta * sqrt(rho_i rho_j).
    #[schema(exclusive_minimum = 0.0)]
    pub delta: f64,
    /// Connection radius for `graph_type = "radius"`, in the units of the anchors. Required
    /// for that graph type, not allowed for the others.
    #[schema(exclusive_minimum = 0.0)]
    pub radius: Option<f64>,
    /// Identical anchors within a condition: `merge` (default) into one point with the mean
    /// vector, or `error`.
    pub duplicates: Duplicates,
    /// Size of the geodesic neighbourhood used to fit local frames, as a multiple of `k`
    /// (default 1.5, i.e. 30 neighbours for k = 20).
    #[schema(exclusive_minimum = 0.0)]
    pub frac_geodesic_nb: f64,
    /// Farthest-point sampling stops when the next point is closer than `spacing` times the
    /// cloud's diameter to the points already kept (default 0.0: keep every point).
    #[schema(minimum = 0.0, exclusive_maximum = 1.0)]
    pub spacing: f64,
    /// Fraction of variance the local frames must explain, on average minus one standard
    /// deviation over points, to fix the manifold dimension (default 0.9).
    #[schema(exclusive_minimum = 0.0, maximum = 1.0)]
    pub var_explained: f64,
    /// Fit a local orthonormal frame at each point and transport signals between frames
    /// (default false: the identity frame of R^D everywhere). Used only when the embedding
    /// dimension is above 2 and the signal is a vector.
    pub local_gauges: bool,
    /// With `local_gauges`, orient each local frame from the data instead of the ambient
    /// axes (default false, the reference's choice): each axis's sign makes the mean signal
    /// over the point and its graph neighbours point along it (or, where that mean is
    /// perpendicular to the axis, the neighbours' third moment), so the frames of an
    /// exactly rotated copy of a recording are the rotated frames. Also uses local frames
    /// at embedding dimension 2, where the reference keeps the identity frame, whose
    /// inner-product features are not invariant under rotation. Beyond the reference.
    // Sent only when set, so a client that sends its parameters to an older server still
    // works unless it asks for canonical frames.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub canonical_frames: bool,
    /// How diffusion is computed: `krylov` (default) or `spectral`.
    pub diffusion_method: DiffusionMethod,
    /// Most eigenpairs kept per condition and signal channel (default 64): Ritz pairs of
    /// the Krylov space (`krylov`) or lowest eigenpairs of the normalised (connection)
    /// Laplacian (`spectral`). Conditions with at most this many rows keep everything.
    #[schema(minimum = 1)]
    pub n_eigenpairs: usize,
    /// Accuracy of diffusion (default 1e-6): the Krylov error relative to |x| for t <= 100,
    /// or the eigenpair residual |L v - lambda v| for `spectral`.
    #[schema(exclusive_minimum = 0.0, exclusive_maximum = 1.0)]
    pub diffusion_tolerance: f64,
    /// Fraction of points held out for validation (default 0.1).
    #[schema(minimum = 0.0, exclusive_maximum = 1.0)]
    pub val_fraction: f64,
    /// Fraction of points held out for testing (default 0.1).
    #[schema(minimum = 0.0, exclusive_maximum = 1.0)]
    pub test_fraction: f64,

    // ---- network ------------------------------------------------------------------------
    /// Diffuse the signal with a learned time t >= 0 before taking gradients (default true).
    pub diffusion: bool,
    /// Order of the directional-derivative filters (default 2).
    #[schema(minimum = 1, maximum = 8)]
    pub order: usize,
    /// Keep the signal itself among the features (default true).
    pub include_self: bool,
    /// Append the anchor positions to the features (default false).
    pub include_positions: bool,
    /// Embedding-agnostic mode: replace gradient features by rotation-invariant inner
    /// products between them (default false).
    pub inner_product_features: bool,
    /// Normalise each order of features to unit length (default false).
    pub vec_norm: bool,
    /// Normalise the output embedding to the unit sphere (default false).
    pub emb_norm: bool,
    /// Fraction of each point's neighbours sampled for gradients during training; -1 keeps
    /// all neighbours (default -1).
    #[schema(schema_with = frac_sampled_nb_schema)]
    pub frac_sampled_nb: f64,
    /// Memory budget, in MiB, for features precomputed once per dataset (default 4096).
    /// Within it (and without `vec_norm` or `frac_sampled_nb` < 1), a training step
    /// gathers its rows of precomputed coefficients instead of differentiating over the
    /// batch's neighbourhoods; 0 always does the latter. Both give the same features (with
    /// local frames and diffusion, interpolated in t to 1e-10 of their scale).
    pub precompute_mib: usize,
    /// Hidden layer widths of the encoder MLP: a number or a list (default [32]).
    #[serde(deserialize_with = "number_or_list")]
    #[schema(schema_with = hidden_channels_schema)]
    pub hidden_channels: Vec<usize>,
    /// Dimension of the embedding (default 3).
    #[schema(minimum = 1)]
    pub out_channels: usize,
    /// Dropout probability in the hidden layers (default 0.0).
    #[schema(minimum = 0.0, exclusive_maximum = 1.0)]
    pub dropout: f64,
    /// Batch normalisation in the hidden layers (default true).
    pub batch_norm: bool,
    /// Learn bias terms in the MLP (default true).
    pub bias: bool,

    // ---- training -----------------------------------------------------------------------
    /// Training epochs (default 100).
    #[schema(minimum = 1)]
    pub epochs: usize,
    /// Anchor points per minibatch (default 64).
    #[schema(minimum = 1)]
    pub batch_size: usize,
    /// Initial learning rate (default 0.01).
    #[schema(exclusive_minimum = 0.0)]
    pub lr: f64,
    /// SGD momentum (default 0.9).
    #[schema(minimum = 0.0, exclusive_maximum = 1.0)]
    pub momentum: f64,
    /// `sgd` (default) or `adam`.
    pub optimizer: Optimizer,
    /// Seed for every random choice: sampling start, split, initialisation, batches
    /// (default 0).
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            graph_type: GraphType::Cknn,
            k: 20,
            delta: 1.0,
            radius: None,
            duplicates: Duplicates::Merge,
            frac_geodesic_nb: 1.5,
            spacing: 0.0,
            var_explained: 0.9,
            local_gauges: false,
            canonical_frames: false,
            diffusion_method: DiffusionMethod::Krylov,
            n_eigenpairs: 64,
            diffusion_tolerance: 1e-6,
            val_fraction: 0.1,
            test_fraction: 0.1,
            diffusion: true,
            order: 2,
            include_self: true,
            include_positions: false,
            inner_product_features: false,
            vec_norm: false,
            emb_norm: false,
            frac_sampled_nb: -1.0,
            precompute_mib: 4096,
            hidden_channels: vec![32],
            out_channels: 3,
            dropout: 0.0,
            batch_norm: true,
            bias: true,
            epochs: 100,
            batch_size: 64,
            lr: 0.01,
            momentum: 0.9,
            optimizer: Optimizer::Sgd,
            seed: 0,
        }
    }
}

/// -1, or a fraction in (0, 1].
fn frac_sampled_nb_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(-1)).maximum(Some(-1)))
        .item(ObjectBuilder::new().schema_type(Type::Number).exclusive_minimum(Some(0.0)).maximum(Some(1.0)))
        .description(Some("-1 (all neighbours, the default) or a fraction in (0, 1]"))
        .default(Some(serde_json::json!(-1.0)))
        .build()
        .into()
}

/// Widths of the hidden layers: one integer >= 1, or a list of them.
fn hidden_channels_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    let width = || ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1));
    OneOfBuilder::new()
        .item(width())
        .item(ArrayBuilder::new().items(width()))
        .description(Some("Widths of the hidden layers: 32 or [64, 32] (default [32])"))
        .default(Some(serde_json::json!([32])))
        .build()
        .into()
}

fn number_or_list<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<usize>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(usize),
        Many(Vec<usize>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(n)) => Ok(vec![n]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::custom(
            "`hidden_channels` must be a non-negative integer or a list of them, e.g. 32 or [64, 32]",
        )),
    }
}

/// Highest derivative order accepted: the feature count grows as D^order.
pub const MAX_ORDER: usize = 8;

fn bad(field: &'static str, value: impl ToString, fix: impl Into<String>) -> ParamsError {
    ParamsError { field, value: value.to_string(), fix: fix.into() }
}

/// Read settings (any serde struct: [`Params`], analysis parameters) from a `.json` or
/// `.toml` file, chosen by the extension in any case; any other extension is refused.
pub fn read_settings<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let parsed = match ext.as_str() {
        "json" => serde_json::from_str(&text).map_err(|e| e.to_string()),
        "toml" => toml::from_str(&text).map_err(|e| e.to_string()),
        _ => Err("unknown extension; name the file .json or .toml".to_string()),
    };
    parsed.map_err(|message| Error::ParamsParse { source_name: path.display().to_string(), message })
}

impl Params {
    /// Parse parameters from a JSON object. Unknown keys are errors.
    pub fn from_json(text: &str) -> Result<Params> {
        serde_json::from_str(text)
            .map_err(|e| Error::ParamsParse { source_name: "JSON".into(), message: e.to_string() })
    }

    /// Parse parameters from a TOML table. Unknown keys are errors.
    pub fn from_toml(text: &str) -> Result<Params> {
        toml::from_str(text).map_err(|e| Error::ParamsParse { source_name: "TOML".into(), message: e.to_string() })
    }

    /// Read parameters from a `.json` or `.toml` file (chosen by extension, see
    /// [`read_settings`]).
    pub fn from_file(path: &Path) -> Result<Params> {
        read_settings(path)
    }

    /// Number of geodesic neighbours used to fit each local frame: floor(k * frac_geodesic_nb).
    pub fn n_geodesic_nb(&self) -> usize {
        (self.k as f64 * self.frac_geodesic_nb).floor() as usize
    }

    /// Check every rule; the only way to a [`ValidParams`]. Rules run stage by stage (graph,
    /// geometry, split, network, training) and the first broken one is reported.
    pub fn check(self) -> Result<ValidParams, ParamsError> {
        self.check_graph()?;
        self.check_geometry()?;
        self.check_split()?;
        self.check_network()?;
        self.check_training()?;
        Ok(ValidParams(self))
    }

    /// The proximity graph: k, delta, and a radius exactly for radius graphs.
    fn check_graph(&self) -> Result<(), ParamsError> {
        if self.k < 1 {
            return Err(bad("k", self.k, "use k >= 1 (the reference's default is 20)"));
        }
        if !(self.delta.is_finite() && self.delta > 0.0) {
            return Err(bad("delta", self.delta, "use a positive finite scale (default 1.0)"));
        }
        match (self.graph_type, self.radius) {
            (GraphType::Radius, None) => Err(bad("radius", "null", "graph_type = \"radius\" needs a radius > 0")),
            (GraphType::Radius, Some(r)) if !(r.is_finite() && r > 0.0) => {
                Err(bad("radius", r, "use a positive finite radius"))
            }
            (GraphType::Cknn | GraphType::Knn, Some(r)) => Err(bad(
                "radius",
                r,
                "radius is used only with graph_type = \"radius\"; remove it or change graph_type",
            )),
            _ => Ok(()),
        }
    }

    /// Frames, sampling and diffusion: geodesic neighbours, spacing, explained variance,
    /// eigenpairs and the diffusion tolerance.
    fn check_geometry(&self) -> Result<(), ParamsError> {
        if !(self.frac_geodesic_nb.is_finite() && self.frac_geodesic_nb > 0.0) || self.n_geodesic_nb() < 2 {
            return Err(bad(
                "frac_geodesic_nb",
                self.frac_geodesic_nb,
                format!("k * frac_geodesic_nb must be at least 2 (k = {}); default 1.5", self.k),
            ));
        }
        unit("spacing", self.spacing, false, true)?;
        unit("var_explained", self.var_explained, true, false)?;
        if self.n_eigenpairs < 1 {
            return Err(bad("n_eigenpairs", self.n_eigenpairs, "keep at least 1 eigenpair (default 64)"));
        }
        let tol = self.diffusion_tolerance;
        if !(tol.is_finite() && tol > 0.0 && tol < 1.0) {
            return Err(bad("diffusion_tolerance", tol, "use a value in (0, 1), e.g. 1e-6"));
        }
        Ok(())
    }

    /// The split: fractions in [0, 1) that leave points to train on.
    fn check_split(&self) -> Result<(), ParamsError> {
        unit("val_fraction", self.val_fraction, false, true)?;
        unit("test_fraction", self.test_fraction, false, true)?;
        if self.val_fraction + self.test_fraction >= 1.0 {
            return Err(bad(
                "test_fraction",
                self.test_fraction,
                format!(
                    "val_fraction + test_fraction must leave points to train on (val_fraction = {})",
                    self.val_fraction
                ),
            ));
        }
        Ok(())
    }

    /// Features and layers: order, sampled neighbours, widths and dropout.
    fn check_network(&self) -> Result<(), ParamsError> {
        if !(1..=MAX_ORDER).contains(&self.order) {
            return Err(bad(
                "order",
                self.order,
                format!("derivative order must lie in 1..={MAX_ORDER} (default 2); features grow as D^order"),
            ));
        }
        let f = self.frac_sampled_nb;
        if !(f == -1.0 || (f > 0.0 && f <= 1.0)) {
            return Err(bad("frac_sampled_nb", f, "use -1 (all neighbours) or a fraction in (0, 1]"));
        }
        if let Some(i) = self.hidden_channels.iter().position(|&h| h == 0) {
            return Err(bad(
                "hidden_channels",
                format!("{:?}", self.hidden_channels),
                format!("layer {i} has width 0; every hidden layer needs at least 1 unit"),
            ));
        }
        if self.out_channels < 1 {
            return Err(bad("out_channels", self.out_channels, "the embedding needs at least 1 dimension (default 3)"));
        }
        unit("dropout", self.dropout, false, true)
    }

    /// The optimiser: epochs, batch size, learning rate and momentum.
    fn check_training(&self) -> Result<(), ParamsError> {
        if self.epochs < 1 {
            return Err(bad("epochs", self.epochs, "train for at least 1 epoch (default 100)"));
        }
        if self.batch_size < 1 {
            return Err(bad("batch_size", self.batch_size, "use at least 1 point per batch (default 64)"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(bad("lr", self.lr, "use a positive learning rate (default 0.01)"));
        }
        unit("momentum", self.momentum, false, true)
    }
}

/// `v` lies in the unit interval, each end open or closed.
fn unit(field: &'static str, v: f64, lo_open: bool, hi_open: bool) -> Result<(), ParamsError> {
    let lo_ok = if lo_open { v > 0.0 } else { v >= 0.0 };
    let hi_ok = if hi_open { v < 1.0 } else { v <= 1.0 };
    if v.is_finite() && lo_ok && hi_ok {
        Ok(())
    } else {
        let range = format!("{}0, 1{}", if lo_open { "(" } else { "[" }, if hi_open { ")" } else { "]" });
        Err(bad(field, v, format!("must lie in {range}")))
    }
}

/// Parameters that passed [`Params::check`]. Dereferences to [`Params`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidParams(Params);

impl Deref for ValidParams {
    type Target = Params;
    fn deref(&self) -> &Params {
        &self.0
    }
}

impl ValidParams {
    /// The same parameters for `epochs` more epochs of a resumed fit; 0 is allowed here (a
    /// fit resumed after its last epoch only restores its best model).
    pub fn with_epochs(mut self, epochs: usize) -> ValidParams {
        self.0.epochs = epochs;
        self
    }

    /// The checked parameters, back as a plain [`Params`].
    pub fn into_inner(self) -> Params {
        self.0
    }
}

impl Default for ValidParams {
    fn default() -> Self {
        Params::default().check().expect("the defaults pass their own checks")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_references() {
        let p = Params::default();
        assert_eq!((p.k, p.delta, p.frac_geodesic_nb, p.spacing, p.var_explained), (20, 1.0, 1.5, 0.0, 0.9));
        assert_eq!((p.order, p.out_channels, p.batch_size, p.epochs), (2, 3, 64, 100));
        assert_eq!((p.lr, p.momentum, p.dropout), (0.01, 0.9, 0.0));
        assert_eq!(p.hidden_channels, vec![32]);
        assert!(p.include_self && p.batch_norm && p.bias && p.diffusion);
        assert!(!p.local_gauges && !p.inner_product_features && !p.vec_norm && !p.emb_norm);
        assert_eq!(p.graph_type, GraphType::Cknn);
        assert!(p.check().is_ok());
    }

    #[test]
    fn json_and_toml_agree() {
        let j = Params::from_json(r#"{"k": 7, "hidden_channels": [64, 16], "graph_type": "knn"}"#).unwrap();
        let t = Params::from_toml("k = 7\nhidden_channels = [64, 16]\ngraph_type = \"knn\"\n").unwrap();
        assert_eq!(j, t);
        assert_eq!(j.k, 7);
        assert_eq!(j.graph_type, GraphType::Knn);
        // A single number is one hidden layer, as in the reference.
        assert_eq!(Params::from_json(r#"{"hidden_channels": 16}"#).unwrap().hidden_channels, vec![16]);
    }

    #[test]
    fn settings_files_are_json_or_toml_by_extension_in_any_case() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let p = Params::from_file(&write("p.TOML", "k = 7\n")).unwrap();
        assert_eq!(p.k, 7);
        // Any settings struct, as --analysis-params reads AnalysisParams (in a module above
        // this one, so not named here).
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Other {
            n_clusters: usize,
        }
        let a: Other = read_settings(&write("a.Json", r#"{"n_clusters": 4}"#)).unwrap();
        assert_eq!(a.n_clusters, 4);
        for name in ["p.yaml", "p"] {
            let e = read_settings::<Params>(&write(name, "{}")).unwrap_err().to_string();
            assert!(e.contains("name the file .json or .toml"), "{e}");
        }
        let e = read_settings::<Other>(&write("a.toml", "clusters = 3\n")).unwrap_err();
        assert!(e.to_string().contains("a.toml") && e.to_string().contains("clusters"), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        for text in [r#"{"kk": 3}"#, r#"{"number_of_eigenvectors": 10}"#] {
            let err = Params::from_json(text).unwrap_err().to_string();
            assert!(err.contains("unknown field"), "{err}");
        }
        let err = Params::from_toml("lr = 0.1\nlearning_rate = 0.1\n").unwrap_err().to_string();
        assert!(err.contains("learning_rate"), "{err}");
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(&str, Params)> = vec![
            ("k", Params { k: 0, ..Default::default() }),
            ("delta", Params { delta: -1.0, ..Default::default() }),
            ("delta", Params { delta: f64::NAN, ..Default::default() }),
            ("radius", Params { graph_type: GraphType::Radius, ..Default::default() }),
            ("radius", Params { radius: Some(0.5), ..Default::default() }),
            ("radius", Params { graph_type: GraphType::Radius, radius: Some(-2.0), ..Default::default() }),
            ("frac_geodesic_nb", Params { frac_geodesic_nb: 0.0, ..Default::default() }),
            ("frac_geodesic_nb", Params { k: 1, frac_geodesic_nb: 1.5, ..Default::default() }),
            ("spacing", Params { spacing: 1.0, ..Default::default() }),
            ("var_explained", Params { var_explained: 0.0, ..Default::default() }),
            ("n_eigenpairs", Params { n_eigenpairs: 0, ..Default::default() }),
            ("diffusion_tolerance", Params { diffusion_tolerance: 0.0, ..Default::default() }),
            ("val_fraction", Params { val_fraction: -0.1, ..Default::default() }),
            ("test_fraction", Params { val_fraction: 0.5, test_fraction: 0.5, ..Default::default() }),
            ("order", Params { order: 0, ..Default::default() }),
            ("frac_sampled_nb", Params { frac_sampled_nb: 0.0, ..Default::default() }),
            ("hidden_channels", Params { hidden_channels: vec![8, 0], ..Default::default() }),
            ("out_channels", Params { out_channels: 0, ..Default::default() }),
            ("dropout", Params { dropout: 1.0, ..Default::default() }),
            ("epochs", Params { epochs: 0, ..Default::default() }),
            ("batch_size", Params { batch_size: 0, ..Default::default() }),
            ("lr", Params { lr: 0.0, ..Default::default() }),
            ("momentum", Params { momentum: 1.5, ..Default::default() }),
        ];
        for (field, p) in cases {
            let err = p.check().expect_err(field);
            assert_eq!(err.field, field);
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("`{field}` = ")), "{msg}");
        }
    }
}
