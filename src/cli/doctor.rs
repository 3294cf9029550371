//! `marble doctor`: why the notebook kernel does not start, one line per check.

use std::path::PathBuf;

use anyhow::{Result, bail};
use marble::kernel::doctor::{self, Status};

#[derive(clap::Args)]
pub struct Args {
    /// The `jupyter` command whose data folders hold the kernel spec (default: `jupyter` on
    /// PATH, e.g. an activated virtual environment's).
    #[arg(long)]
    jupyter: Option<PathBuf>,
    /// Skip running a first cell on the ready build (it takes several seconds).
    #[arg(long)]
    no_first_cell: bool,
}

pub fn run(args: Args) -> Result<()> {
    let findings = doctor::examine(&doctor::Options { jupyter: args.jupyter, first_cell: !args.no_first_cell });
    for f in &findings {
        say!("{f}");
    }
    let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
    if failed > 0 {
        bail!("{failed} of the kernel's checks failed (marked FAIL above)");
    }
    Ok(())
}
