//! The binary's `tracing` subscriber (the library only emits events): one line per event on
//! standard error, as text or as JSON for log collectors, filtered by `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written (`--log-format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, the event's fields at the top level.
    Json,
}

/// What a command logs when `RUST_LOG` says nothing: the server and the worker log their
/// requests and jobs; the other commands only warnings (their progress is on the terminal).
pub fn default_filter(long_running: bool) -> &'static str {
    if long_running { "warn,marble=info" } else { "warn" }
}

/// Install the process's subscriber, writing to standard error. `RUST_LOG` (e.g.
/// `marble=debug,tower_http=debug`) replaces `default`; a malformed one is said and ignored.
pub fn init(format: LogFormat, default: &str, timestamps: bool) {
    let (filter, bad) = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => match EnvFilter::try_new(&v) {
            Ok(f) => (f, None),
            Err(e) => (EnvFilter::new(default), Some(format!("RUST_LOG={v:?} ignored: {e}"))),
        },
        _ => (EnvFilter::new(default), None),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match (format, timestamps) {
        (LogFormat::Json, _) => {
            builder.json().flatten_event(true).with_current_span(false).with_span_list(false).try_init()
        }
        (LogFormat::Text, true) => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
        (LogFormat::Text, false) => {
            builder.with_ansi(std::io::stderr().is_terminal()).without_time().with_target(false).try_init()
        }
    };
    if installed.is_ok() {
        if let Some(bad) = bad {
            tracing::warn!("{bad}");
        }
    }
}
