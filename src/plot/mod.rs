//! Figures as SVG strings, sized and labelled for a paper figure: 640 x 480 px, 14-18 px
//! sans-serif text, a bold title, axis titles, a frame with light grid lines, and a legend
//! or colour bar right of the plot. Each function checks its input, draws with plotters'
//! SVG backend and returns an [`Svg`] (save it with [`Svg::save`]).
//!
//! - [`vector_field`]: quiver plot of a field on a point cloud (projected onto two principal
//!   axes when D > 2).
//! - [`embedding`]: scatter plot of a 2-D embedding.
//! - [`distance_matrix`]: heatmap of distances between conditions.
//! - [`loss_curves`]: training and validation loss per epoch.
//! - [`cluster_histograms`]: how each condition's points fall into clusters
//!   ([`cluster_histograms_by_value`] with a value per condition).
//! - [`condition_map`]: the conditions placed by classical MDS of their distances.
//!
//! Conditions recorded in groups (animals, sessions, networks) are drawn with a
//! [`Grouping`] by the `_grouped` variants ([`embedding_grouped`], [`vector_field_grouped`],
//! [`condition_map_grouped`], [`distance_matrix_grouped`]): each group takes a marker shape,
//! with a legend of the shapes under the title, while colour keeps showing the condition or
//! value; the distance matrix separates the groups' blocks and names them. Given `None` they
//! draw exactly what the plain functions draw.
//!
//! Points are coloured by a [`Colouring`]: groups on the Tableau 10 palette with a legend
//! (up to ten groups whose names a legend tells apart), more groups on viridis in order with
//! an ordered colour bar naming them, groups by a value each (e.g. mu) or a value per point
//! (e.g. hand velocity) on viridis with a colour bar, or one colour. A colour never stands
//! for two groups, and every word stays inside the canvas at any number of groups: a
//! legend holds at most ten entries, an ordered bar writes every m-th name when all would
//! not fit, and a heat map's axes do the same.
//!
//! ## Counting marks
//! Every mark of the data can be counted in the document, which is how the tests check the
//! figures. The element kinds are used as follows:
//! - `<circle>`: points (of groups drawn as circles, when grouped), the test-loss marker,
//!   and legend swatches (one per legend entry).
//! - `<polyline>`: arrow shafts, loss curves, and a grouped distance matrix's separators and
//!   brackets only (no axis lines or tick marks are drawn).
//! - `<polygon>`: arrow heads (three vertices), colour-bar bands (four vertices: 64 for a
//!   bar of values, one per group for an ordered bar of names), and the markers of groups
//!   drawn in shapes other than circles (see [`Grouping`]).
//! - `<rect>`: heatmap cells and histogram bars are the ones filled with a colour other than
//!   white; the background and legend box are white, the frame and outlines unfilled.
//! - `<line>`: grid lines; `<text>`: every word.
//!
//! Each function's documentation gives its exact counts.
//!
//! ```
//! use marble::plot::{Colouring, embedding};
//! use ndarray::array;
//! let points = array![[0.0, 0.0], [1.0, 0.5], [2.0, 2.0]];
//! let names = vec!["rest".to_string(), "reach".to_string()];
//! let svg = embedding(points.view(), Colouring::Categorical { labels: &[0, 0, 1], names: &names }, "Latents").unwrap();
//! assert_eq!(svg.as_str().matches("<circle").count(), 3 + 2);
//! ```

mod canvas;
mod check;
mod colour;
#[cfg(test)]
mod figure_tests;
mod groups;
mod losses;
mod map;
mod matrix;
mod points;
mod svg;

pub use colour::{Colouring, MAX_CATEGORIES, value_name};
pub use groups::{Grouping, qualified_names};
pub use losses::loss_curves;
pub use map::{condition_map, condition_map_grouped};
pub use matrix::{cluster_histograms, cluster_histograms_by_value, distance_matrix, distance_matrix_grouped};
pub use points::{MAX_ARROWS, embedding, embedding_grouped, vector_field, vector_field_grouped};
pub use svg::Svg;

/// The figures a model has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlotKind {
    /// The 2-D view coloured by condition.
    Embedding,
    /// Heat map of the distances between conditions.
    Distances,
    /// Training and validation losses.
    Losses,
    /// Cluster histograms per condition.
    Clusters,
    /// The input vector fields.
    VectorField,
    /// The conditions placed by classical MDS of their distances, coloured by value or name.
    ConditionMap,
}

impl PlotKind {
    /// File name in the run folder.
    pub fn file(self) -> &'static str {
        match self {
            PlotKind::Embedding => "embedding.svg",
            PlotKind::Distances => "distances.svg",
            PlotKind::Losses => "losses.svg",
            PlotKind::Clusters => "clusters.svg",
            PlotKind::VectorField => "vector_field.svg",
            PlotKind::ConditionMap => "condition_map.svg",
        }
    }

    /// Every kind, in the order above.
    pub const ALL: [PlotKind; 6] = [
        PlotKind::Embedding,
        PlotKind::Distances,
        PlotKind::Losses,
        PlotKind::Clusters,
        PlotKind::VectorField,
        PlotKind::ConditionMap,
    ];

    /// The kind's name in routes: "embedding", "condition_map", ...
    pub fn name(self) -> &'static str {
        self.file().trim_end_matches(".svg")
    }

    /// The kind called `name`, or the error `unknown_name` listing the kinds.
    pub fn parse(name: &str) -> crate::Result<PlotKind> {
        PlotKind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| crate::Error::Unknown {
            kind: "plot",
            name: name.to_string(),
            choices: PlotKind::ALL.map(PlotKind::name).join(", "),
        })
    }
}
