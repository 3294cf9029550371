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
    #[error("cannot read parameters from {source_name}: {}", did_you_mean(message))]
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

    /// The data folder's disk has less free space than marble keeps in reserve (or a write
    /// ran out of space): nothing more is written until space is freed.
    #[error(
        "the data folder's disk has {free_mib} MiB free{}; delete datasets, models or embeddings you \
         no longer need (deleting works on a full disk) or free space on the disk, then retry",
        needed_mib.map(|n| format!(" and writes need at least {n} MiB")).unwrap_or_default()
    )]
    DiskFull {
        /// Free space, MiB.
        free_mib: u64,
        /// The floor below which writes are refused (`--min-free-mib`), when that is the cause.
        needed_mib: Option<u64>,
    },

    /// Another process holds the data folder (its embedded store belongs to one process).
    #[error("{message}")]
    Locked {
        /// Who holds it and what to do.
        message: String,
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

/// A parser's "unknown field `epoch`, expected one of `k`, `delta`, ..." with the list of
/// every key replaced by the one that was most likely meant (`did you mean "epochs"?`),
/// when one is close by edit distance; other messages are returned as they are.
pub(crate) fn did_you_mean(message: &str) -> std::borrow::Cow<'_, str> {
    const UNKNOWN: &str = "unknown field `";
    let Some(start) = message.find(UNKNOWN).map(|i| i + UNKNOWN.len()) else { return message.into() };
    let Some(len) = message[start..].find('`') else { return message.into() };
    let given = &message[start..start + len];
    let rest = &message[start + len + 1..];
    let Some(list_at) = rest.find("expected") else { return message.into() };
    // The list runs to the end of the line, or to serde_json's " at line L column C".
    let list_end = rest[list_at..].find(['\n', '\r']).map_or(rest.len(), |e| list_at + e);
    let list_end = rest[list_at..list_end].rfind(" at line ").map_or(list_end, |e| list_at + e);
    let keys = rest[list_at..list_end].split('`').skip(1).step_by(2);
    let best = keys.map(|k| (strsim::damerau_levenshtein(given, k), k)).min();
    match best {
        Some((d, key)) if d <= (given.chars().count() / 3).max(1) => {
            format!("{}{given}`; did you mean \"{key}\"?{}", &message[..start], &rest[list_end..]).into()
        }
        _ => message.into(),
    }
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

/// One row of the error table: a stable machine-readable code and the HTTP status the
/// server answers it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode {
    /// The stable code (`problem.code` over HTTP).
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
}

/// Declares the error table: one constant per code and [`ErrorCode::ALL`], so that every
/// code, its status and the OpenAPI statuses come from one place.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $name:ident = $code:literal, $status:literal;)*) => {
        impl ErrorCode {
            $($(#[doc = $doc])* pub const $name: ErrorCode = ErrorCode { code: $code, status: $status };)*
            /// Every row of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];
        }
    };
}

error_codes! {
    /// A parameter is out of range or inconsistent with another.
    INVALID_PARAMS = "invalid_params", 422;
    /// Parameters that do not parse.
    PARAMS_PARSE = "params_parse", 422;
    /// A file could not be read or written.
    IO = "io", 500;
    /// An input file in a format we cannot read.
    INPUT_FORMAT = "input_format", 422;
    /// No conditions.
    NO_CONDITIONS = "no_conditions", 422;
    /// A condition without points.
    EMPTY_CONDITION = "empty_condition", 422;
    /// NaN or infinite values.
    NON_FINITE = "non_finite", 422;
    /// Rows of different lengths.
    RAGGED = "ragged", 422;
    /// Arrays of one condition with different numbers of rows.
    LENGTH_MISMATCH = "length_mismatch", 422;
    /// Conditions in different spaces.
    DIMENSION_MISMATCH = "dimension_mismatch", 422;
    /// Fewer points than the neighbourhood needs.
    TOO_FEW_POINTS = "too_few_points", 422;
    /// Repeated anchors.
    DUPLICATE_POINTS = "duplicate_points", 422;
    /// A neighbourhood too flat for local frames.
    DEGENERATE_NEIGHBOURHOOD = "degenerate_neighbourhood", 422;
    /// The eigensolver did not converge.
    EIGEN_NOT_CONVERGED = "eigen_not_converged", 500;
    /// A model applied to data it does not fit.
    INCOMPATIBLE_MODEL = "incompatible_model", 422;
    /// A damaged or incomplete model folder.
    MODEL_FILE = "model_file", 500;
    /// An unusable argument.
    INVALID_ARGUMENT = "invalid_argument", 422;
    /// No such object.
    NOT_FOUND = "not_found", 404;
    /// The job queue is full.
    QUEUE_FULL = "queue_full", 429;
    /// The object's state does not allow it.
    CONFLICT = "conflict", 409;
    /// An unknown name.
    UNKNOWN_NAME = "unknown_name", 422;
    /// A bug in marble.
    INTERNAL = "internal", 500;
    /// The compute device cannot start.
    DEVICE_UNAVAILABLE = "device_unavailable", 503;
    /// The job and dataset store failed.
    DATABASE = "database", 500;
    /// A wait that ran out of time.
    TIMEOUT = "timeout", 408;
    /// A part of marble that is not running.
    UNAVAILABLE = "unavailable", 503;
    /// The data folder's disk is (nearly) full.
    DISK_FULL = "disk_full", 507;
    /// The data folder belongs to another process.
    LOCKED = "locked", 409;
    /// Malformed JSON, or a body or query that does not fit its schema (HTTP layer).
    BAD_REQUEST = "bad_request", 400;
    /// A missing or wrong bearer token (HTTP layer).
    UNAUTHORIZED = "unauthorized", 401;
    /// A body larger than the server takes (HTTP layer).
    BODY_TOO_LARGE = "body_too_large", 413;
    /// A content type the route does not take (HTTP layer).
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415;
}

impl ErrorCode {
    /// The row of `code`, if the table has one.
    pub fn find(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.code == code)
    }
}

impl Error {
    /// The variant's row of the error table. The match names every variant, so a new
    /// variant cannot get a code or status silently.
    pub fn error_code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Error::InvalidParams(_) => C::INVALID_PARAMS,
            Error::ParamsParse { .. } => C::PARAMS_PARSE,
            Error::Io { .. } => C::IO,
            Error::InputFormat { .. } => C::INPUT_FORMAT,
            Error::NoConditions => C::NO_CONDITIONS,
            Error::EmptyCondition { .. } => C::EMPTY_CONDITION,
            Error::NonFinite { .. } => C::NON_FINITE,
            Error::Ragged { .. } => C::RAGGED,
            Error::LengthMismatch { .. } => C::LENGTH_MISMATCH,
            Error::DimensionMismatch { .. } => C::DIMENSION_MISMATCH,
            Error::TooFewPoints { .. } => C::TOO_FEW_POINTS,
            Error::DuplicatePoints { .. } => C::DUPLICATE_POINTS,
            Error::DegenerateNeighbourhood { .. } => C::DEGENERATE_NEIGHBOURHOOD,
            Error::EigenNotConverged { .. } => C::EIGEN_NOT_CONVERGED,
            Error::IncompatibleModel { .. } => C::INCOMPATIBLE_MODEL,
            Error::ModelFile { .. } => C::MODEL_FILE,
            Error::InvalidArgument { .. } => C::INVALID_ARGUMENT,
            Error::NotFound { .. } => C::NOT_FOUND,
            Error::QueueFull { .. } => C::QUEUE_FULL,
            Error::Conflict(_) => C::CONFLICT,
            Error::Internal(_) => C::INTERNAL,
            Error::Database { .. } => C::DATABASE,
            Error::Timeout { .. } => C::TIMEOUT,
            Error::Unavailable(_) => C::UNAVAILABLE,
            Error::DiskFull { .. } => C::DISK_FULL,
            Error::Locked { .. } => C::LOCKED,
            Error::DeviceUnavailable { .. } => C::DEVICE_UNAVAILABLE,
            Error::Unknown { .. } => C::UNKNOWN_NAME,
            Error::Remote { code, status, .. } => ErrorCode { code, status: *status },
        }
    }

    /// A stable, machine-readable name for the variant.
    pub fn code(&self) -> &'static str {
        self.error_code().code
    }

    /// The HTTP status the server answers this error with.
    pub fn status(&self) -> u16 {
        self.error_code().status
    }

    /// A failed file operation; one that ran out of space (ENOSPC, EDQUOT) is a
    /// [`Error::DiskFull`], whose message names no path (the path goes to the log).
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        const EDQUOT: i32 = 122;
        if source.kind() == std::io::ErrorKind::StorageFull || source.raw_os_error() == Some(EDQUOT) {
            warning!("{action} {}: {source}", path.display());
            let free_mib = crate::disk::free_bytes(&path).map_or(0, |b| b >> 20);
            return Error::DiskFull { free_mib, needed_mib: None };
        }
        Error::Io { action, path, source }
    }

    /// An [`Error::InvalidArgument`] for `field`.
    pub fn argument(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument { field: field.into(), message: message.into() }
    }

    pub(crate) fn format(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InputFormat { origin: origin.into(), message: message.into() }
    }
}

// The server writes it from an `Error` and `HttpEngine` reads it back into one, so callers
// match either engine alike.
/// A problem+json error body (RFC 9457) with the engine's stable code.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// Short summary of the status.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Stable machine-readable code (see `Error::code`).
    pub code: String,
    /// What went wrong and how to fix it.
    pub detail: String,
    /// For `not_found`: what kind of object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// For `not_found`: the id asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// For `invalid_argument`: the argument at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `queue_full`: jobs waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<usize>,
}

impl Problem {
    /// A problem of one row of the table (`title` is the status's reason phrase).
    pub fn new(code: ErrorCode, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            title: title.to_string(),
            status: code.status,
            code: code.code.to_string(),
            detail: detail.into(),
            kind: None,
            id: None,
            field: None,
            queued: None,
        }
    }

    /// The problem of an error, with its structured fields.
    pub fn from_error(e: Error, title: &str) -> Problem {
        let mut p = Problem::new(e.error_code(), title, e.to_string());
        match e {
            Error::NotFound { kind, id } => {
                p.kind = Some(kind.to_string());
                p.id = Some(id);
            }
            Error::InvalidArgument { field, .. } => p.field = Some(field),
            Error::QueueFull { queued } => p.queued = Some(queued),
            _ => {}
        }
        p
    }

    /// The error a problem stands for: the variant where its fields allow, else
    /// [`Error::Remote`] with the code and detail.
    pub fn into_error(self) -> Error {
        let code = ErrorCode::find(&self.code).map_or("internal", |c| c.code);
        match (code, self.kind, self.id, self.field, self.queued) {
            ("not_found", Some(kind), Some(id), _, _) => Error::NotFound { kind: known_kind(&kind), id },
            ("queue_full", _, _, _, Some(queued)) => Error::QueueFull { queued },
            ("conflict", ..) => Error::Conflict(self.detail),
            ("unavailable", ..) => Error::Unavailable(self.detail),
            ("invalid_argument", _, _, Some(field), _) => {
                let prefix = format!("`{field}`: ");
                let message = self.detail.strip_prefix(&prefix).unwrap_or(&self.detail).to_string();
                Error::InvalidArgument { field, message }
            }
            (code, ..) => Error::Remote { code, status: self.status, message: self.detail },
        }
    }
}

/// The static name of an object kind read back from a problem.
fn known_kind(kind: &str) -> &'static str {
    ["dataset", "job", "model", "embedding", "plot"].into_iter().find(|k| *k == kind).unwrap_or("object")
}

#[cfg(test)]
mod tests {
    use super::{Error, ErrorCode, Problem};
    use std::collections::BTreeSet;

    /// Keys like the parameters' (named here: error.rs sits below params).
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Keys {
        k: usize,
        delta: f64,
        epochs: usize,
        batch_size: usize,
        lr: f64,
    }

    #[test]
    fn a_misspelt_key_names_the_one_meant() {
        use super::did_you_mean;
        let json = serde_json::from_str::<Keys>(r#"{"epochz": 3}"#).unwrap_err().to_string();
        assert_eq!(did_you_mean(&json), "unknown field `epochz`; did you mean \"epochs\"? at line 1 column 9");
        let toml = toml::from_str::<Keys>("batchsize = 3").unwrap_err().to_string();
        let fixed = did_you_mean(&toml);
        assert!(fixed.contains("unknown field `batchsize`; did you mean \"batch_size\"?"), "{fixed}");
        assert!(!fixed.contains("`delta`"), "{fixed}");
        // Nothing close: the parser's list of keys stays.
        let far = serde_json::from_str::<Keys>(r#"{"colour": 3}"#).unwrap_err().to_string();
        assert_eq!(did_you_mean(&far), far);
        assert!(far.contains("`epochs`"));
        let e = Error::ParamsParse {
            source_name: "JSON".into(),
            message: "unknown field `lrr`, expected `k` or `lr`".into(),
        };
        assert!(e.to_string().contains(r#"did you mean "lr"?"#), "{e}");
    }

    #[test]
    fn the_table_has_one_row_per_code_and_valid_statuses() {
        let codes: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.code).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len(), "a code is in the table twice");
        for c in ErrorCode::ALL {
            assert!((400..600).contains(&c.status), "{} has status {}", c.code, c.status);
            assert!(c.code.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'), "{}", c.code);
        }
    }

    #[test]
    fn variants_take_code_and_status_from_the_table() {
        let cases = [
            (Error::NotFound { kind: "job", id: "job_1".into() }, "not_found", 404),
            (Error::QueueFull { queued: 3 }, "queue_full", 429),
            (Error::Timeout { what: "job j is still running".into(), seconds: 2.0 }, "timeout", 408),
            (Error::Database { backend: "sqlite", message: "disk I/O error".into() }, "database", 500),
            (Error::Unavailable("stopped".into()), "unavailable", 503),
            (Error::NoConditions, "no_conditions", 422),
            (Error::Conflict("busy".into()), "conflict", 409),
        ];
        for (e, code, status) in cases {
            assert_eq!((e.code(), e.status()), (code, status), "{e}");
            assert_eq!(ErrorCode::find(code), Some(e.error_code()));
        }
    }

    #[test]
    fn problems_round_trip_to_the_same_variant() {
        let errors = [
            Error::NotFound { kind: "dataset", id: "ds_x".into() },
            Error::QueueFull { queued: 16 },
            Error::Conflict("model job_1 is not ready".into()),
            Error::argument("n_clusters", "must be at least 1"),
            Error::Unavailable("the server thread stopped".into()),
        ];
        for e in errors {
            let text = e.to_string();
            let code = e.code();
            let back = Problem::from_error(e, "x").into_error();
            assert_eq!((back.code(), back.to_string()), (code, text));
        }
        // Codes without fields come back as Remote with the server's code and status.
        let p = Problem::from_error(Error::NoConditions, "Unprocessable Entity");
        let back = serde_json::from_str::<Problem>(&serde_json::to_string(&p).unwrap()).unwrap().into_error();
        assert!(matches!(back, Error::Remote { code: "no_conditions", status: 422, .. }), "{back:?}");
        // A code this build does not know is an internal error, keeping the status.
        let p = Problem { code: "from_the_future".into(), ..Problem::new(ErrorCode::CONFLICT, "x", "d") };
        assert!(matches!(p.into_error(), Error::Remote { code: "internal", status: 409, .. }));
    }
}
