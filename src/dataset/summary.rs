//! What a build made, for people and for `summary.json`: the [`Summary`], one
//! [`ConditionSummary`] per condition and the [`StepTime`] of each phase.

use serde::{Deserialize, Serialize};

use crate::params::{DiffusionMethod, GraphType};

/// Per-condition facts for the summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConditionSummary {
    /// The condition's name, when it was given one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The number the condition was recorded under (e.g. mu), when it was given one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The group (animal, session or network) the condition was recorded in, when the
    /// conditions were given groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Points in the input.
    pub points_in: usize,
    /// Points kept by farthest-point sampling.
    pub points_sampled: usize,
    /// Undirected edges of the proximity graph.
    pub edges: usize,
    /// Fewest neighbours of any point.
    pub degree_min: usize,
    /// Most neighbours of any point.
    pub degree_max: usize,
    /// Connected components of the proximity graph (more than one gets a warning).
    pub components: usize,
    /// Input rows merged into an earlier identical anchor (`duplicates = "merge"`).
    #[serde(default)]
    pub repeated_rows: usize,
    /// Exponentials per signal channel in the diffusion of this condition (Ritz pairs for
    /// `krylov`, eigenpairs for `spectral`); the most over channels.
    pub diffusion_terms: usize,
    /// Estimated error of Krylov diffusion for t <= 100, relative to |x| (0 for `spectral`).
    pub diffusion_error: f64,
    /// Eigenpairs of the normalised Laplacian kept (`spectral` only).
    pub eigenpairs: Option<usize>,
    /// Largest eigenpair residual |L v - lambda v| (`spectral` only).
    pub eigen_residual: Option<f64>,
    /// Smallest and largest kept eigenvalue (`spectral` only).
    #[schema(value_type = Option<Vec<f64>>)]
    pub eigenvalue_range: Option<(f64, f64)>,
    /// Eigenpairs of the normalised connection Laplacian kept (local frames only).
    pub connection_eigenpairs: Option<usize>,
}

/// How long a step took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepTime {
    /// Name of the step.
    pub step: String,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl StepTime {
    /// "time: step 0.12s, other 3.40s, total 3.52s".
    pub fn line(steps: &[StepTime]) -> String {
        let total: f64 = steps.iter().map(|t| t.seconds).sum();
        let each: String = steps.iter().map(|t| format!(" {} {:.2}s,", t.step, t.seconds)).collect();
        format!("time:{each} total {total:.2}s")
    }
}

/// What was built, for people and for `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Summary {
    /// Number of conditions.
    pub n_conditions: usize,
    /// Points after sampling, all conditions.
    pub n_points: usize,
    /// Undirected edges, all conditions.
    pub n_edges: usize,
    /// Embedding dimension D.
    pub embedding_dim: usize,
    /// Signal dimension S.
    pub signal_dim: usize,
    /// Manifold dimension m (D in global mode).
    pub manifold_dim: usize,
    /// Whether local frames were used.
    pub local_gauges: bool,
    /// Whether the local frames were oriented from the data (`canonical_frames`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub canonical_frames: bool,
    /// Graph type used.
    pub graph_type: GraphType,
    /// Diffusion method (None when `diffusion` is off).
    pub diffusion: Option<DiffusionMethod>,
    /// Mean minus standard deviation of the cumulative explained variance of the local PCA,
    /// by number of components (local frames only).
    pub explained_variance: Option<Vec<f64>>,
    /// Points in train / validation / test.
    pub split: [usize; 3],
    /// Per-condition details.
    pub conditions: Vec<ConditionSummary>,
    /// Time per step.
    pub timings: Vec<StepTime>,
    /// Things the user should know (e.g. a setting that could not apply).
    pub notes: Vec<String>,
    /// Things in the data the user should look at (e.g. a graph in several components).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Summary {
    /// The name shown for each condition: its own, or "condition c".
    pub fn condition_names(&self) -> Vec<String> {
        crate::dataset::input::display_names(self.conditions.iter().map(|c| c.name.clone()))
    }

    /// The value of each condition, `None` where it has none.
    pub fn condition_values(&self) -> Vec<Option<f64>> {
        self.conditions.iter().map(|c| c.value).collect()
    }

    /// The group of each condition, when the conditions were given groups.
    pub fn condition_groups(&self) -> Option<Vec<String>> {
        self.conditions.iter().map(|c| c.group.clone()).collect()
    }

    /// "global", "local" or "local, canonical": the frames the features were taken in.
    pub fn frames_kind(&self) -> &'static str {
        match (self.local_gauges, self.canonical_frames) {
            (false, _) => "global",
            (true, false) => "local",
            (true, true) => "local, canonical",
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} conditions, {} points, {} edges ({:?} graph)",
            self.n_conditions, self.n_points, self.n_edges, self.graph_type
        )?;
        writeln!(
            f,
            "embedding dim {}, signal dim {}, manifold dim {} ({} frames)",
            self.embedding_dim,
            self.signal_dim,
            self.manifold_dim,
            self.frames_kind()
        )?;
        writeln!(f, "split: {} train / {} validation / {} test", self.split[0], self.split[1], self.split[2])?;
        let (what, check) = match self.diffusion {
            Some(DiffusionMethod::Krylov) => ("Ritz pairs", "error"),
            Some(DiffusionMethod::Spectral) => ("eigenpairs", "residual"),
            None => ("(diffusion off)", ""),
        };
        let named = self.conditions.iter().any(|c| c.name.is_some());
        let name_head = if named { "  name" } else { "" };
        let valued = self.conditions.iter().any(|c| c.value.is_some());
        let value_head = if valued { "      value" } else { "" };
        let group_width = self.conditions.iter().filter_map(|c| c.group.as_deref()).map(|g| g.chars().count()).max();
        let group_head = group_width.map(|w| format!("  {:<w$}", "group", w = w.max(5))).unwrap_or_default();
        writeln!(
            f,
            "  cond   input  sampled    edges  degree  components  {what:>10}  {check:>8}{value_head}{group_head}{name_head}"
        )?;
        for (c, s) in self.conditions.iter().enumerate() {
            let check = match self.diffusion {
                Some(DiffusionMethod::Krylov) => format!("{:.1e}", s.diffusion_error),
                Some(DiffusionMethod::Spectral) => format!("{:.1e}", s.eigen_residual.unwrap_or(0.0)),
                None => String::new(),
            };
            let name = s.name.as_deref().map(|n| format!("  {n}")).unwrap_or_default();
            let value = match (valued, s.value) {
                (false, _) => String::new(),
                (true, Some(v)) => format!("  {v:>9.4}"),
                (true, None) => format!("  {:>9}", "-"),
            };
            let group = match (group_width, &s.group) {
                (Some(w), Some(g)) => format!("  {g:<w$}", w = w.max(5)),
                _ => String::new(),
            };
            writeln!(
                f,
                "  {c:>4} {:>7} {:>8} {:>8}  {:>3}-{:<3} {:>10}  {:>10}  {check:>8}{value}{group}{name}",
                s.points_in, s.points_sampled, s.edges, s.degree_min, s.degree_max, s.components, s.diffusion_terms
            )?;
        }
        writeln!(f, "{}", StepTime::line(&self.timings))?;
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}
