//! The bundled Jupyter kernel: `marble kernel install` writes a kernel spec, "MARBLE (Rust)",
//! that runs evcxr with this crate and [`crate::prelude`] loaded from the first cell.
//!
//! The spec runs `marble kernel start`, which picks a build in the kernel's cache ([`cache`])
//! and a slot in it, then becomes evcxr there (`EVCXR_TMPDIR`, `EVCXR_CONFIG_DIR`), so that
//! a kernel reuses what earlier kernels compiled and answers Jupyter within seconds.
//! `marble kernel install` compiles that build first, with a progress bar.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub mod cache;
mod display;
pub mod doctor;
pub mod toolchain;

/// Set, in the kernel's builds, to the live source folder (the kernel compiles a copy).
pub(crate) const SOURCE_DIR_ENV: &str = "MARBLE_KERNEL_SOURCE_DIR";

/// This crate's source folder (where notebooks find `../shared/data`): the folder it was
/// built from, or, in the kernel, the folder the kernel's copy was made from.
pub const CRATE_DIR: &str = match option_env!("MARBLE_KERNEL_SOURCE_DIR") {
    Some(dir) => dir,
    None => env!("CARGO_MANIFEST_DIR"),
};

/// Name of the kernel spec folder (and `--kernel` for `jupyter execute`).
pub const KERNEL_NAME: &str = "marble-rust";

/// The kernel's display name in Jupyter.
pub(crate) const DISPLAY_NAME: &str = "MARBLE (Rust)";

/// The file beside `kernel.json` that holds the kernel's [`cache::Setup`].
pub(crate) const SETUP_FILE: &str = "marble-kernel.json";

/// Where the spec goes.
#[derive(Clone, Debug)]
pub enum Location {
    /// The user's Jupyter data folder (`$JUPYTER_DATA_DIR`, else
    /// `~/.local/share/jupyter`).
    User,
    /// `PREFIX/share/jupyter` (e.g. a virtual environment).
    Prefix(PathBuf),
}

/// What was installed.
#[derive(Clone, Debug)]
pub struct Installed {
    /// The kernel spec folder.
    pub spec_dir: PathBuf,
    /// What the kernel runs.
    pub setup: cache::Setup,
}

/// The evcxr_jupyter on `PATH`, else in `~/.cargo/bin`.
pub(crate) fn find_evcxr() -> Result<PathBuf> {
    let name = "evcxr_jupyter";
    let mut candidates: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).map(|d| d.join(name)).collect()).unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cargo/bin").join(name));
    }
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        Error::argument(
            "evcxr_jupyter",
            format!(
                "is not installed; run `cargo install evcxr_jupyter --locked --version {}` first",
                toolchain::EVCXR_VERSION
            ),
        )
    })
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io("cannot write", path, e))
}

/// Where the `marble` program is: `marble kernel start` sets it to itself, so that a lean
/// kernel's `marble::server::spawn` can run `marble serve`. Without it, `marble` is looked
/// up on `PATH`.
pub(crate) const BIN_ENV: &str = "MARBLE_BIN";

/// Marble's Cargo features a kernel may load (the others are for the command line).
pub(crate) const KERNEL_FEATURES: [&str; 3] = ["server", "postgres", "s3"];

/// Install the kernel spec at `location`: the kernel runs `marble` (the binary at
/// `launcher`, `marble kernel start`), loading the crate at `crate_dir` (this source tree by
/// default) with `features` from builds in `cache_dir` ([`cache::default_cache_dir`] by
/// default). Nothing is compiled here: see [`cache::prebuild`].
pub fn install(
    location: &Location,
    launcher: &Path,
    crate_dir: Option<&Path>,
    cache_dir: Option<&Path>,
    features: &[String],
) -> Result<Installed> {
    if let Some(f) = features.iter().find(|f| !KERNEL_FEATURES.contains(&f.as_str())) {
        return Err(Error::argument(
            "features",
            format!("`{f}` is not a feature of marble; choose from {}", KERNEL_FEATURES.join(", ")),
        ));
    }
    let evcxr = find_evcxr()?;
    let base = match location {
        Location::Prefix(p) => p.join("share/jupyter"),
        Location::User => match std::env::var_os("JUPYTER_DATA_DIR") {
            Some(d) => PathBuf::from(d),
            None => {
                let home = std::env::var_os("HOME")
                    .ok_or_else(|| Error::argument("HOME", "is not set; use --prefix DIR instead of --user"))?;
                Path::new(&home).join(".local/share/jupyter")
            }
        },
    };
    let spec_dir = base.join("kernels").join(KERNEL_NAME);
    std::fs::create_dir_all(&spec_dir).map_err(|e| Error::io("cannot create", &spec_dir, e))?;
    let crate_dir = crate_dir.map_or_else(|| PathBuf::from(CRATE_DIR), Path::to_path_buf);
    let crate_dir = crate_dir.canonicalize().map_err(|e| Error::io("cannot find the crate at", &crate_dir, e))?;
    let cache_dir = match cache_dir {
        Some(d) => d.to_path_buf(),
        None => cache::default_cache_dir()?,
    };
    std::fs::create_dir_all(&cache_dir).map_err(|e| Error::io("cannot create", &cache_dir, e))?;
    let cache_dir = cache_dir.canonicalize().map_err(|e| Error::io("cannot find", &cache_dir, e))?;
    let setup = cache::Setup { crate_dir, cache_dir, evcxr, features: features.to_vec() };
    let spec = serde_json::json!({
        "argv": [launcher, "kernel", "start", "--spec-dir", spec_dir, "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "rust",
        "interrupt_mode": "message",
    });
    write(&spec_dir.join("kernel.json"), &serde_json::to_string_pretty(&spec).expect("plain data"))?;
    write(&spec_dir.join(SETUP_FILE), &serde_json::to_string_pretty(&setup).expect("plain data"))?;
    // An older install kept evcxr's configuration here; the builds hold it now.
    let _ = std::fs::remove_dir_all(spec_dir.join("evcxr"));
    Ok(Installed { spec_dir, setup })
}

/// The setup an installed kernel spec holds.
pub fn read_setup(spec_dir: &Path) -> Result<cache::Setup> {
    let path = spec_dir.join(SETUP_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::io("cannot read the kernel's setup (run `marble kernel install` again)", &path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::argument(
            "kernel",
            format!("{} is not a kernel setup ({e}); run `marble kernel install` again", path.display()),
        )
    })
}

/// Start the kernel for Jupyter: choose a build and a slot, and become evcxr in it (on Unix
/// the process is replaced, holding the slot's lock). `marble` is the binary to run a
/// background build with, when the sources changed since the newest build.
pub fn start(spec_dir: &Path, connection_file: &Path, marble: &Path) -> Result<std::convert::Infallible> {
    let setup = read_setup(spec_dir)?;
    let choice = cache::choose(&setup)?;
    if let Some(pending) = &choice.pending {
        cache::build_in_background(marble, spec_dir, pending);
    }
    let keep: Vec<&cache::Build> = std::iter::once(&choice.build).chain(choice.pending.as_ref()).collect();
    cache::collect_garbage(&setup, &keep);
    let slot = cache::take_slot(&setup, &choice.build)?;
    if choice.config == cache::Config::First {
        warning!(
            "no build of {} is ready, so this kernel compiles it before it answers \
             (run `marble kernel install` to do that beforehand, with a progress bar)",
            setup.crate_dir.display()
        );
    }
    let mut cmd = std::process::Command::new(&setup.evcxr);
    // The toolchain's standard library on the loader's path, wherever the cache is.
    toolchain::Toolchain::find()?.apply(&mut cmd);
    cmd.arg("--control_file")
        .arg(connection_file)
        .env("EVCXR_TMPDIR", &slot.dir)
        .env("EVCXR_CONFIG_DIR", choice.build.config_dir(choice.config))
        .env(BIN_ENV, marble);
    let mismatch = toolchain::evcxr_mismatch(&setup.evcxr);
    if let Some(m) = &mismatch {
        warning!("{m}");
    }
    let notice: Vec<&str> = choice.notice.iter().chain(&mismatch).map(String::as_str).collect();
    match notice.is_empty() {
        false => cmd.env(cache::NOTICE_ENV, notice.join("\n")),
        true => cmd.env_remove(cache::NOTICE_ENV),
    };
    become_evcxr(cmd, slot, &setup.evcxr)
}

#[cfg(unix)]
fn become_evcxr(mut cmd: std::process::Command, slot: cache::Slot, evcxr: &Path) -> Result<std::convert::Infallible> {
    use std::os::unix::process::CommandExt;
    // The slot's lock must outlive this program: keep its descriptor open across exec.
    rustix::io::fcntl_setfd(&slot.lock, rustix::io::FdFlags::empty())
        .map_err(|e| Error::io("cannot hold the lock of", &slot.dir, e.into()))?;
    let e = cmd.exec();
    Err(Error::io("cannot run", evcxr, e))
}

#[cfg(not(unix))]
fn become_evcxr(mut cmd: std::process::Command, slot: cache::Slot, evcxr: &Path) -> Result<std::convert::Infallible> {
    let status = cmd.status().map_err(|e| Error::io("cannot run", evcxr, e))?;
    drop(slot);
    std::process::exit(status.code().unwrap_or(1))
}

/// Said once per kernel, by the first `engine!()`, when the kernel runs an older build than
/// the sources (see [`cache::choose`]).
pub fn notice() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        if let Some(n) = std::env::var_os(cache::NOTICE_ENV) {
            warning!("{}", n.to_string_lossy());
        }
    });
}

/// Print `content` as a rich display block of `mime` type for evcxr.
pub(crate) fn display(mime: &str, content: &str) {
    println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
}

/// Escape text for HTML.
pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
