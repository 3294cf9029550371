//! One error type for the whole library.
//!
//! Every variant carries the context a user needs to fix the problem (which condition,
//! which array, which row) and its message says what to change. `code()` gives a stable
//! machine-readable name for each variant, for scripts and HTTP clients.

use std::path::PathBuf;

/// A parameter that failed its check: the field, the value received and what to do.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("`{field}` = {value}: {fix}")]
pub struct ParamsError {
    /// Name of the offending field, as in the JSON key.
    pub field: &'static str,
    /// The value received, as text.
    pub value: String,
    /// What to change.
    pub fix: String,
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `marble`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of range or inconsistent with another.
    #[error(transparent)]
    InvalidParams(#[from] ParamsError),

    /// A parameter file or string could not be parsed (syntax, type, unknown key).
    #[error("cannot read parameters from {source_name}: {message}")]
    ParamsParse {
        /// Where the parameters came from (a path, or "JSON", "TOML").
        source_name: String,
        /// The parser's message, which names the offending key.
        message: String,
    },

    /// A file could not be opened, read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we tried to do ("cannot read", "cannot write").
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// An input file is not in a format we can read, or lacks a required array.
    #[error("{origin}: {message}")]
    InputFormat {
        /// File (and array or line) the problem was found in.
        origin: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// No conditions were given at all.
    #[error("the input holds no conditions: give at least one condition with anchors and vectors")]
    NoConditions,

    /// A condition has no points.
    #[error("condition {condition} is empty: every condition needs at least k + 1 points")]
    EmptyCondition {
        /// Index of the condition.
        condition: usize,
    },

    /// An array holds NaN or an infinite value.
    #[error(
        "condition {condition}: {array}[{row}, {column}] is {value}; remove or interpolate \
         non-finite samples before building the dataset"
    )]
    NonFinite {
        /// Index of the condition.
        condition: usize,
        /// Which array ("anchor", "vector", "label").
        array: &'static str,
        /// Row of the bad value.
        row: usize,
        /// Column of the bad value.
        column: usize,
        /// The value itself, as text ("NaN", "inf").
        value: String,
    },

    /// Rows of a nested list have different lengths.
    #[error("{origin}: row {row} has {found} values but earlier rows have {expected}; every row needs the same length")]
    Ragged {
        /// Where the ragged rows were found.
        origin: String,
        /// First row whose length differs.
        row: usize,
        /// Length of the earlier rows.
        expected: usize,
        /// Length of this row.
        found: usize,
    },

    /// Two arrays of one condition disagree on the number of points.
    #[error(
        "condition {condition}: {array} has {found} rows but anchor has {expected}; \
         give one {array} row per anchor"
    )]
    LengthMismatch {
        /// Index of the condition.
        condition: usize,
        /// The array whose length is wrong.
        array: &'static str,
        /// Number of anchors.
        expected: usize,
        /// Number of rows found.
        found: usize,
    },

    /// Conditions disagree on a dimension.
    #[error(
        "condition {condition}: {array} has {found} columns but condition 0 has {expected}; \
         all conditions must live in the same space"
    )]
    DimensionMismatch {
        /// Index of the condition.
        condition: usize,
        /// Which array.
        array: &'static str,
        /// Dimension of condition 0.
        expected: usize,
        /// Dimension found.
        found: usize,
    },

    /// A condition has too few points for the neighbourhood size.
    #[error(
        "`k` = {k} but condition {condition} has {n_points} points{after}; use k < {n_points} \
         (or a smaller `spacing`)"
    )]
    TooFewPoints {
        /// Index of the condition.
        condition: usize,
        /// Points available (after sampling).
        n_points: usize,
        /// The neighbourhood size asked for.
        k: usize,
        /// " after sampling" when sampling removed points, else "".
        after: &'static str,
    },

    /// Two anchors of a condition coincide, so the edge weight 1/|x_i - x_j| is infinite.
    #[error(
        "condition {condition}: anchors {first} and {second} are the same point; set \
         `duplicates = \"merge\"` to merge repeated states, or remove duplicate samples"
    )]
    DuplicatePoints {
        /// Index of the condition.
        condition: usize,
        /// Input row of the first point.
        first: usize,
        /// Input row of the second point.
        second: usize,
    },

    /// Local frames could not be fitted.
    #[error(
        "condition {condition}: the geodesic neighbourhood of input row {row} spans fewer than \
         {needed} dimensions; increase `k` or `frac_geodesic_nb`, or turn off `local_gauges`"
    )]
    DegenerateNeighbourhood {
        /// Index of the condition.
        condition: usize,
        /// Input row of the point.
        row: usize,
        /// Dimensions needed.
        needed: usize,
    },

    /// The eigensolver did not reach its tolerance.
    #[error(
        "the eigensolver for {operator} of condition {condition} stopped after {iterations} \
         iterations with residual {residual:.2e} (tolerance {tolerance:.0e}); lower \
         `n_eigenpairs`, raise `diffusion_tolerance`, or use diffusion_method = \"krylov\""
    )]
    EigenNotConverged {
        /// Which operator ("Laplacian", "connection Laplacian").
        operator: &'static str,
        /// Index of the condition.
        condition: usize,
        /// Iterations run.
        iterations: usize,
        /// Largest relative residual reached.
        residual: f64,
        /// Tolerance asked for.
        tolerance: f64,
    },

    /// A trained model does not fit the dataset it is applied to.
    #[error(
        "the model was trained on data with {what} = {model}, but this dataset has {what} = {data}; \
         build the dataset like the training data (same dimensions and `local_gauges`) or train a new model"
    )]
    IncompatibleModel {
        /// What differs.
        what: &'static str,
        /// The model's value.
        model: String,
        /// The dataset's value.
        data: String,
    },

    /// A model or checkpoint folder lacks a file or holds a damaged one.
    #[error("{path}: {message}")]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },

    /// An argument of an analysis or plot call is unusable (wrong shape, non-finite, out of
    /// range).
    #[error("`{field}`: {message}")]
    InvalidArgument {
        /// The argument (or array) at fault.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A stored object (dataset, job, model, embedding) does not exist.
    #[error("no {kind} with id `{id}`{}", list_hint(kind))]
    NotFound {
        /// "dataset", "job", "model", "embedding".
        kind: &'static str,
        /// The id asked for.
        id: String,
    },

    /// The job queue is full.
    #[error("{queued} jobs are already queued (the limit); wait for one to finish or cancel one")]
    QueueFull {
        /// Jobs waiting.
        queued: usize,
    },

    /// The request conflicts with the state of an object (e.g. a model whose job has not
    /// finished).
    #[error("{0}")]
    Conflict(String),

    /// The job and dataset store (SQLite or PostgreSQL) failed or cannot be reached.
    #[error("the {backend} store failed: {message}")]
    Database {
        /// Which backend ("sqlite", "postgres").
        backend: &'static str,
        /// The database's own message, with its cause (never a password).
        message: String,
    },

    /// Waiting for something took longer than allowed.
    #[error("{what} after {seconds:.0} s; wait longer or check the server's log")]
    Timeout {
        /// What was still not done ("job job_... is still running").
        what: String,
        /// How long was waited.
        seconds: f64,
    },

    /// A service marble needs is not running (a server thread that stopped).
    #[error("{0}")]
    Unavailable(String),

    /// A failure inside marble itself (a fit that panicked); a bug to report.
    #[error("internal error: {0}; please report it")]
    Internal(String),

    /// An error reported by a remote server, for codes without a local variant.
    #[error("{message}")]
    Remote {
        /// The server's stable code.
        code: &'static str,
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },

    /// The compute device (a CUDA GPU, in the `cuda` build) cannot start.
    #[error("{message}")]
    DeviceUnavailable {
        /// What is missing and what to do.
        message: String,
    },

    /// A name (example, format) that is not known.
    #[error("unknown {kind} `{name}`; choose one of: {choices}")]
    Unknown {
        /// What kind of name.
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names that exist.
        choices: String,
    },
}

/// Where the objects of a kind can be listed, for [`Error::NotFound`].
fn list_hint(kind: &str) -> &'static str {
    match kind {
        "dataset" => "; list them with GET /v1/datasets or the engine's list_datasets",
        "job" => "; list them with GET /v1/jobs or the engine's list_jobs",
        "model" => "; a model has the id of the job that fitted it: list them with GET /v1/jobs",
        _ => "",
    }
}

impl Error {
    /// A stable, machine-readable name for the variant.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidParams(_) => "invalid_params",
            Error::ParamsParse { .. } => "params_parse",
            Error::Io { .. } => "io",
            Error::InputFormat { .. } => "input_format",
            Error::NoConditions => "no_conditions",
            Error::EmptyCondition { .. } => "empty_condition",
            Error::NonFinite { .. } => "non_finite",
            Error::Ragged { .. } => "ragged",
            Error::LengthMismatch { .. } => "length_mismatch",
            Error::DimensionMismatch { .. } => "dimension_mismatch",
            Error::TooFewPoints { .. } => "too_few_points",
            Error::DuplicatePoints { .. } => "duplicate_points",
            Error::DegenerateNeighbourhood { .. } => "degenerate_neighbourhood",
            Error::EigenNotConverged { .. } => "eigen_not_converged",
            Error::IncompatibleModel { .. } => "incompatible_model",
            Error::ModelFile { .. } => "model_file",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::NotFound { .. } => "not_found",
            Error::QueueFull { .. } => "queue_full",
            Error::Conflict(_) => "conflict",
            Error::Internal(_) => "internal",
            Error::Database { .. } => "database",
            Error::Timeout { .. } => "timeout",
            Error::Unavailable(_) => "unavailable",
            Error::Remote { code, .. } => code,
            Error::DeviceUnavailable { .. } => "device_unavailable",
            Error::Unknown { .. } => "unknown_name",
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    /// Every code [`Error::code`] can return.
    pub const CODES: [&'static str; 30] = [
        "invalid_params",
        "params_parse",
        "io",
        "input_format",
        "no_conditions",
        "empty_condition",
        "non_finite",
        "ragged",
        "length_mismatch",
        "dimension_mismatch",
        "too_few_points",
        "duplicate_points",
        "degenerate_neighbourhood",
        "eigen_not_converged",
        "incompatible_model",
        "model_file",
        "invalid_argument",
        "not_found",
        "queue_full",
        "conflict",
        "unknown_name",
        "internal",
        "bad_request",
        "unauthorized",
        "unsupported_media_type",
        "body_too_large",
        "device_unavailable",
        "database",
        "timeout",
        "unavailable",
    ];

    /// The HTTP status the server answers this error with.
    pub fn status(&self) -> u16 {
        match self {
            Error::NotFound { .. } => 404,
            Error::QueueFull { .. } => 429,
            Error::Conflict(_) => 409,
            Error::Io { .. } | Error::EigenNotConverged { .. } | Error::ModelFile { .. } | Error::Internal(_) => 500,
            Error::Database { .. } => 500,
            Error::Timeout { .. } => 408,
            Error::DeviceUnavailable { .. } | Error::Unavailable(_) => 503,
            Error::Remote { status, .. } => *status,
            _ => 422,
        }
    }

    /// An [`Error::InvalidArgument`] for `field`.
    pub fn argument(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument { field: field.into(), message: message.into() }
    }

    pub(crate) fn format(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InputFormat { origin: origin.into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;
    use std::collections::BTreeSet;

    /// Quoted snake_case words in `text` (the shape every error code has).
    fn quoted_codes(text: &str) -> BTreeSet<&str> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect()
    }

    /// `Error::CODES` is hand-kept (the OpenAPI document and HttpEngine read it): every
    /// code `Error::code` returns is listed, and every listed code is returned by
    /// `Error::code` or used by the server.
    #[test]
    fn codes_list_every_code_in_use() {
        let src = include_str!("error.rs");
        let start = src.find("pub fn code(&self)").expect("Error::code is defined here");
        let body = &src[start..start + src[start..].find("\n    }\n").expect("end of Error::code")];
        let returned = quoted_codes(body);
        assert!(returned.len() > 20, "Error::code was not read: {returned:?}");
        let listed: BTreeSet<&str> = Error::CODES.into_iter().collect();
        assert_eq!(listed.len(), Error::CODES.len(), "a code is listed twice");
        for code in &returned {
            assert!(listed.contains(code), "Error::code returns \"{code}\", which Error::CODES lacks");
        }
        let server_src = [
            include_str!("server/mod.rs"),
            include_str!("server/problem.rs"),
            include_str!("server/datasets.rs"),
            include_str!("server/jobs.rs"),
            include_str!("server/models.rs"),
            include_str!("server/embeddings.rs"),
        ]
        .concat();
        let server = quoted_codes(&server_src);
        for code in &listed {
            assert!(
                returned.contains(code) || server.contains(code),
                "\"{code}\" is in Error::CODES but nothing returns it"
            );
        }
    }
}
