//! `marble doctor`: a first-contact check of the notebook kernel, one line per thing that
//! must hold for "MARBLE (Rust)" to start and run cells: the toolchain and evcxr, the
//! kernel specs Jupyter sees, the cache and its ready build, and whether a first cell loads.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::cache::{self, Config, Setup};
use super::toolchain::{self, EVCXR_VERSION, Toolchain};
use super::{KERNEL_NAME, find_evcxr, read_setup};

/// How a finding reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// As it should be.
    Ok,
    /// Works, but not as tested, or slowly.
    Warn,
    /// The kernel will not start or will not run cells until this is mended.
    Fail,
    /// Not checked, because something it needs failed.
    Skipped,
}

/// One line of the check.
#[derive(Clone, Debug)]
pub struct Finding {
    /// How it reads.
    pub status: Status,
    /// What was checked (`toolchain`, `evcxr`, `kernel spec`, `cache`, `first cell`).
    pub what: &'static str,
    /// What was found, and what to do when it is not right.
    pub text: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skipped => "skip",
        };
        write!(f, "{mark}  {}: {}", self.what, self.text)
    }
}

fn finding(status: Status, what: &'static str, text: impl Into<String>) -> Finding {
    Finding { status, what, text: text.into() }
}

/// What `marble doctor` checks.
#[derive(Clone, Debug)]
pub struct Options {
    /// The `jupyter` command whose data folders are searched for the spec (`jupyter` on
    /// `PATH` when `None`).
    pub jupyter: Option<PathBuf>,
    /// Run a first cell on the ready build (several seconds); off, the check stops at the
    /// cache.
    pub first_cell: bool,
}

/// Check everything, in the order a kernel needs it.
pub fn examine(o: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    let tc = Toolchain::find();
    out.push(match &tc {
        Ok(t) if t.has_shared_std() => finding(
            Status::Ok,
            "toolchain",
            format!("{} ({}), standard library in {}", t.version, t.host, t.lib_dir().display()),
        ),
        Ok(t) => finding(
            Status::Fail,
            "toolchain",
            format!(
                "{}: no shared libstd in {}; reinstall the toolchain with rustup",
                t.version,
                t.lib_dir().display()
            ),
        ),
        Err(e) => finding(Status::Fail, "toolchain", format!("{e}; install Rust with rustup")),
    });
    out.push(evcxr_finding());
    let (dirs, source) = jupyter_data_dirs(o.jupyter.as_deref());
    let specs: Vec<PathBuf> =
        dirs.iter().map(|d| d.join("kernels").join(KERNEL_NAME)).filter(|d| d.join("kernel.json").is_file()).collect();
    out.push(spec_finding(&specs, &dirs, &source));
    let setup = specs.iter().find_map(|s| read_setup(s).ok()).or_else(default_setup);
    let Some(setup) = setup else {
        out.push(finding(Status::Skipped, "cache", "no kernel setup (install the kernel first)"));
        return out;
    };
    let (cache_finding, ready) = cache_finding(&setup);
    out.push(cache_finding);
    out.push(match (ready, &tc) {
        (None, _) => {
            finding(Status::Skipped, "first cell", "no ready build to load (`marble kernel install` checks it)")
        }
        (Some(_), Err(_)) => finding(Status::Skipped, "first cell", "no toolchain"),
        (Some(_), Ok(_)) if !o.first_cell => finding(Status::Skipped, "first cell", "not run (--no-first-cell)"),
        (Some(build), Ok(_)) => match cache::check_first_cell(&setup, &build, Duration::from_secs(300)) {
            Ok(s) => finding(Status::Ok, "first cell", format!("loads and runs ({s:.1} s, offline, on that build)")),
            Err(e) => finding(Status::Fail, "first cell", e.to_string()),
        },
    });
    out
}

fn evcxr_finding() -> Finding {
    let install = format!("cargo install evcxr_jupyter --locked --version {EVCXR_VERSION}");
    match find_evcxr() {
        Err(_) => finding(Status::Fail, "evcxr", format!("evcxr_jupyter is not installed; run `{install}`")),
        Ok(path) => match toolchain::evcxr_version(&path) {
            Some(v) if v == EVCXR_VERSION => {
                finding(Status::Ok, "evcxr", format!("evcxr_jupyter {v} at {}", path.display()))
            }
            Some(v) => finding(
                Status::Warn,
                "evcxr",
                format!("evcxr_jupyter {v} at {}, tested with {EVCXR_VERSION}; run `{install}`", path.display()),
            ),
            None => finding(
                Status::Warn,
                "evcxr",
                format!("evcxr_jupyter of unknown version at {}; tested with {EVCXR_VERSION}", path.display()),
            ),
        },
    }
}

fn spec_finding(specs: &[PathBuf], dirs: &[PathBuf], source: &str) -> Finding {
    if specs.is_empty() {
        let list: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return finding(
            Status::Fail,
            "kernel spec",
            format!(
                "\"MARBLE (Rust)\" is in none of Jupyter's data folders ({source}: {}); run `marble kernel \
                 install --user`, or `--prefix VENV` for the venv whose jupyter you run",
                list.join(", ")
            ),
        );
    }
    let list: Vec<String> = specs.iter().map(|d| d.display().to_string()).collect();
    finding(Status::Ok, "kernel spec", format!("visible to Jupyter in {} ({source})", list.join(", ")))
}

/// The cache's state for `setup`, and the ready build a kernel would start on, if any.
fn cache_finding(setup: &Setup) -> (Finding, Option<cache::Build>) {
    let dir = setup.cache_dir.display();
    let choice = match cache::choose(setup) {
        Ok(c) => c,
        Err(e) => return (finding(Status::Fail, "cache", format!("{dir}: {e}")), None),
    };
    match (choice.config, &choice.pending) {
        (Config::First, _) => (
            finding(
                Status::Fail,
                "cache",
                format!(
                    "{dir} has no ready build, so a kernel compiles for minutes before it answers; \
                     run `marble kernel install`"
                ),
            ),
            None,
        ),
        (_, Some(_)) => (
            finding(
                Status::Warn,
                "cache",
                format!(
                    "{dir}: the sources in {} changed since the newest ready build, which kernels run \
                     until `marble kernel install` compiles the new one",
                    setup.crate_dir.display()
                ),
            ),
            Some(choice.build),
        ),
        _ => (
            finding(
                Status::Ok,
                "cache",
                format!("{dir}: a ready build of {} ({})", setup.crate_dir.display(), choice.build.dir.display()),
            ),
            Some(choice.build),
        ),
    }
}

/// What a kernel installed now would use: the default cache, this build's sources.
fn default_setup() -> Option<Setup> {
    Some(Setup {
        crate_dir: PathBuf::from(super::CRATE_DIR),
        cache_dir: cache::default_cache_dir().ok()?,
        evcxr: find_evcxr().ok()?,
        features: Vec::new(),
    })
}

/// Jupyter's data folders, where it looks for kernel specs: what `jupyter --paths --json`
/// says, else Jupyter's documented defaults (and which of the two, for the message).
pub(crate) fn jupyter_data_dirs(jupyter: Option<&Path>) -> (Vec<PathBuf>, String) {
    let cmd = jupyter.unwrap_or(Path::new("jupyter"));
    let out = Command::new(cmd).args(["--paths", "--json"]).stdin(std::process::Stdio::null()).output();
    if let Ok(out) = out.as_ref().map(|o| (o.status.success(), &o.stdout))
        && out.0
        && let Ok(doc) = serde_json::from_slice::<serde_json::Value>(out.1)
        && let Some(data) = doc["data"].as_array()
    {
        let dirs = data.iter().filter_map(|d| d.as_str()).map(PathBuf::from).collect();
        return (dirs, format!("`{} --paths`", cmd.display()));
    }
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("JUPYTER_PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    match std::env::var_os("JUPYTER_DATA_DIR") {
        Some(d) => dirs.push(PathBuf::from(d)),
        None => {
            if let Some(home) = std::env::var_os("HOME") {
                dirs.push(Path::new(&home).join(".local/share/jupyter"));
            }
        }
    }
    dirs.extend(["/usr/local/share/jupyter", "/usr/share/jupyter"].map(PathBuf::from));
    (dirs, format!("Jupyter's default folders; `{}` did not run", cmd.display()))
}
