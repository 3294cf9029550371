//! `marble example`: write a seeded example input.

use std::path::PathBuf;

use anyhow::{Result, bail};
use marble::dataset::io;
use marble::examples;

#[derive(clap::Args)]
pub struct Args {
    /// Example name (see --list).
    name: Option<String>,
    /// Output file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Points per condition (trajectories per mu for vanderpol).
    #[arg(long)]
    n: Option<usize>,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// List the examples.
    #[arg(long)]
    list: bool,
}

pub fn run(args: Args) -> Result<()> {
    let Some(name) = args.name.filter(|_| !args.list) else {
        for (name, what) in examples::NAMES {
            say!("{name:>16}  {what}");
        }
        return Ok(());
    };
    let Some(out) = args.out else { bail!("--out FILE.npz is required") };
    let conds = examples::by_name(&name, args.n, args.seed)?;
    io::write_npz(&out, &conds)?;
    say!("wrote {} ({} conditions, {} points)", out.display(), conds.len(), conds.n_points());
    Ok(())
}
