//! Rich display in Jupyter: evcxr calls `evcxr_display` on a cell's value when the type has
//! one. Figures are SVG, summaries HTML tables, each with a text/plain fallback.

use super::{display, html_escape};
use crate::engine::{AnalysisInfo, DatasetInfo, DecodeInfo, EmbeddingInfo, JobInfo, ModelInfo};
use crate::plot::Svg;

fn table(title: &str, rows: &[(&str, String)]) -> String {
    let body: String = rows
        .iter()
        .map(|(k, v)| {
            format!("<tr><th style=\"text-align:left\">{}</th><td>{}</td></tr>", html_escape(k), html_escape(v))
        })
        .collect();
    format!("<table><caption>{}</caption>{body}</table>", html_escape(title))
}

fn plain(rows: &[(&str, String)]) -> String {
    rows.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n")
}

fn show(title: &str, rows: &[(&str, String)], svg: Option<&Svg>) {
    display("text/plain", &format!("{title}\n{}", plain(rows)));
    let mut html = table(title, rows);
    if let Some(s) = svg {
        html.push_str(s.as_str());
    }
    display("text/html", &html);
}

impl Svg {
    /// Show the figure in Jupyter (evcxr).
    pub fn evcxr_display(&self) {
        display("image/svg+xml", self.as_str());
    }
}

impl DatasetInfo {
    /// Show the dataset summary in Jupyter (evcxr).
    pub fn evcxr_display(&self) {
        let s = &self.summary;
        show(
            &format!("dataset {}", self.id),
            &[
                ("conditions", format!("{} ({})", s.n_conditions, s.condition_names().join(", "))),
                ("points", s.n_points.to_string()),
                ("edges", s.n_edges.to_string()),
                ("dimension", format!("{} (manifold {})", s.embedding_dim, s.manifold_dim)),
                ("frames", s.frames_kind().to_string()),
            ],
            None,
        );
    }
}

impl JobInfo {
    /// Show the job's state in Jupyter (evcxr).
    pub fn evcxr_display(&self) {
        let mut rows =
            vec![("state", self.state.as_str().to_string()), ("epoch", format!("{} / {}", self.epoch, self.epochs))];
        if let (Some(t), Some(v)) = (self.train_loss, self.val_loss) {
            rows.push(("loss", format!("train {t:.4}, validation {v:.4}")));
        }
        if let Some(m) = &self.message {
            rows.push(("message", m.clone()));
        }
        show(&format!("job {}", self.id), &rows, None);
    }
}

impl ModelInfo {
    /// Show the model and its loss curves in Jupyter (evcxr).
    pub fn evcxr_display(&self) {
        let svg = crate::plot::loss_curves(&self.losses, "Training").ok();
        show(
            &format!("model {}", self.id),
            &[
                ("epochs", self.losses.train_loss.len().to_string()),
                ("diffusion time", format!("{:.4}", self.diffusion_time)),
                ("out_channels", self.params.out_channels.to_string()),
            ],
            svg.as_ref(),
        );
    }
}

impl EmbeddingInfo {
    /// Show the embedding's shape in Jupyter (evcxr).
    pub fn evcxr_display(&self) {
        let cols = self.embedding.first().map_or(0, Vec::len);
        show(&format!("embedding {}", self.id), &[("shape", format!("{} x {cols}", self.embedding.len()))], None);
    }
}

impl AnalysisInfo {
    /// Show the distance matrix as a heat map, and the condition map (coloured by the
    /// conditions' values where every condition has one), in Jupyter (evcxr). With groups of
    /// conditions, the heat map separates and names the groups, the map draws each group in
    /// its own marker shape, and the plain-text table writes "group: name" where a name
    /// repeats across groups.
    pub fn evcxr_display(&self) {
        let c = self.distances.len();
        let m = ndarray::Array2::from_shape_fn((c, c), |(i, j)| self.distances[i][j]);
        let names =
            if self.condition_names.len() == c { self.condition_names.clone() } else { crate::run::condition_names(c) };
        let groups = self.condition_groups.as_ref().filter(|g| g.len() == c).map(|g| crate::analysis::Groups::new(g));
        let grouping = groups.as_ref().map(crate::plot::Grouping::from);
        let svg = crate::plot::distance_matrix_grouped(m.view(), &names, grouping, "Distances between conditions").ok();
        let listed = grouping.map_or_else(|| names.clone(), |g| crate::plot::qualified_names(&names, g));
        let width = listed.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let text: Vec<String> = self
            .distances
            .iter()
            .zip(&listed)
            .map(|(r, n)| format!("{n:>width$} {}", r.iter().map(|v| format!("{v:8.4}")).collect::<Vec<_>>().join(" ")))
            .collect();
        display("text/plain", &format!("distances ({}):\n{}", self.distance_method, text.join("\n")));
        if let Some(m) = &self.matching {
            display("text/plain", &format!("nearest condition in each other group:\n  {}", m.lines().join("\n  ")));
        }
        if let Some(s) = svg {
            display("image/svg+xml", s.as_str());
        }
        if self.condition_map.len() == c && self.condition_map.iter().all(|p| p.len() == 2) {
            let points = ndarray::Array2::from_shape_fn((c, 2), |(i, j)| self.condition_map[i][j]);
            let values: Option<Vec<f64>> = self.condition_values.iter().copied().collect();
            let map = crate::plot::condition_map_grouped(
                points.view(),
                &names,
                values.as_deref().filter(|v| v.len() == c),
                grouping,
                &self.condition_map_explained,
                "Condition map",
            );
            if let Ok(s) = map {
                display("image/svg+xml", s.as_str());
            }
        }
    }
}

impl DecodeInfo {
    /// Show decoding scores in Jupyter (evcxr).
    pub fn evcxr_display(&self) {
        let f = |v: &[f64]| v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(", ");
        show(
            "decoding R^2",
            &[
                ("latents", format!("{} (mean {:.3})", f(&self.r2), self.r2_mean)),
                ("PCA baseline", format!("{} (mean {:.3})", f(&self.baseline_r2), self.baseline_r2_mean)),
            ],
            None,
        );
        if let Some(t) = &self.transfer {
            display("text/plain", &format!("decoding across groups (mean R^2):\n  {}", t.lines().join("\n  ")));
        }
    }
}
