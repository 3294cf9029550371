//! `marble kernel install`: the Jupyter kernel "MARBLE (Rust)".

use std::path::PathBuf;

use anyhow::Result;
use marble::kernel::{KERNEL_NAME, Location, install};

#[derive(clap::Subcommand)]
pub enum KernelCommand {
    /// Install the kernel spec (needs `cargo install evcxr_jupyter --locked` and Jupyter).
    Install {
        /// Into the user's Jupyter folder (the default).
        #[arg(long, conflicts_with = "prefix")]
        user: bool,
        /// Into PREFIX/share/jupyter (e.g. a virtual environment).
        #[arg(long)]
        prefix: Option<PathBuf>,
        /// The marble source folder the kernel loads (default: this build's).
        #[arg(long)]
        crate_dir: Option<PathBuf>,
    },
}

pub fn run(what: KernelCommand) -> Result<()> {
    let KernelCommand::Install { user: _, prefix, crate_dir } = what;
    let location = prefix.map_or(Location::User, Location::Prefix);
    let done = install(&location, crate_dir.as_deref())?;
    say!("installed the kernel \"MARBLE (Rust)\" ({KERNEL_NAME}) in {}", done.spec_dir.display());
    say!("it runs {}; the first cell compiles the crate (a few minutes, cached afterwards)", done.evcxr.display());
    Ok(())
}
