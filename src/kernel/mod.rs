//! The bundled Jupyter kernel: `marble kernel install` writes a kernel spec, "MARBLE (Rust)",
//! that runs evcxr with this crate and [`crate::prelude`] loaded from the first cell.
//!
//! evcxr reads `init.evcxr` and `prelude.rs` from `$EVCXR_CONFIG_DIR`; the spec points that
//! variable at a folder beside `kernel.json` holding both, so no `:dep` line is needed.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

mod display;

/// This crate's source folder (where the kernel's `:dep` points by default, and where
/// notebooks find `../shared/data`).
pub const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Name of the kernel spec folder (and `--kernel` for `jupyter execute`).
pub const KERNEL_NAME: &str = "marble-rust";

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
    /// The evcxr binary the spec runs.
    pub evcxr: PathBuf,
}

fn find_evcxr() -> Result<PathBuf> {
    let name = "evcxr_jupyter";
    let mut candidates: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).map(|d| d.join(name)).collect()).unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cargo/bin").join(name));
    }
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        Error::argument("evcxr_jupyter", "is not installed; run `cargo install evcxr_jupyter --locked` first")
    })
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io("cannot write", path, e))
}

/// Install the kernel spec at `location`, loading the crate at `crate_dir` (this source
/// tree by default).
pub fn install(location: &Location, crate_dir: Option<&Path>) -> Result<Installed> {
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
    let config = spec_dir.join("evcxr");
    std::fs::create_dir_all(&config).map_err(|e| Error::io("cannot create", &config, e))?;
    let crate_dir = match crate_dir {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from(CRATE_DIR),
    };
    let crate_dir = crate_dir.canonicalize().map_err(|e| Error::io("cannot find the crate at", &crate_dir, e))?;
    let spec = serde_json::json!({
        "argv": [evcxr, "--control_file", "{connection_file}"],
        "display_name": "MARBLE (Rust)",
        "language": "rust",
        "interrupt_mode": "message",
        "env": { "EVCXR_CONFIG_DIR": config },
    });
    write(&spec_dir.join("kernel.json"), &serde_json::to_string_pretty(&spec).expect("plain data"))?;
    // `:opt 1` for the crate and its dependencies: training at `:opt 0` is tens of times slower,
    // while opt-level 1 keeps cell compiles quick. The cache keeps the builds between sessions.
    let init = format!(
        ":cache 4000\n:opt 1\n:dep marble = {{ path = {:?} }}\n:dep ndarray = \"0.17\"\n",
        crate_dir.display().to_string()
    );
    write(&config.join("init.evcxr"), &init)?;
    write(&config.join("prelude.rs"), "use marble::prelude::*;\n")?;
    Ok(Installed { spec_dir, evcxr })
}

/// Print `content` as a rich display block of `mime` type for evcxr.
pub fn display(mime: &str, content: &str) {
    println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
}

/// Escape text for HTML.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
