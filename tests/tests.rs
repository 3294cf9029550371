//! Integration tests, compiled into one binary.

mod analysis;
mod api_fuzz;
mod awkward_data;
mod browser;
mod cli;
mod data_folder;
mod engine_contract;
mod figures;
mod geometry;
mod groups;
mod inputs;
mod model;
mod modules;
mod names;
mod notebooks;
mod observability;
mod pg;
mod pg_tls;
mod plot;
mod prepare;
mod python_package;
mod run_folder;
mod scale_out;
mod sdk_python;
mod sdk_typescript;
mod server;
mod store;
mod uploads;
mod values;

/// An external tool a test needs, named by the environment variable `var`. Without it the
/// test says so (with `hint`) and is skipped, unless `require` is set (as in CI), when
/// the test fails instead.
pub fn external_tool(var: &str, require: &str, hint: &str) -> Option<std::path::PathBuf> {
    match std::env::var_os(var) {
        Some(p) => Some(p.into()),
        None => {
            assert!(std::env::var_os(require).is_none(), "{require} is set, so {var} must be: {hint}");
            eprintln!("skipped: set {var} ({hint}; .ci/run does)");
            None
        }
    }
}
