//! `marble dataset`: build the dataset (stage 1) and write its summary and arrays.

use std::path::PathBuf;

use anyhow::{Context, Result};
use marble::Dataset;
use marble::dataset::io;

use super::{Bars, DataArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: DataArgs,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let conds = args.input.conditions()?;
    let params = args.input.params()?;
    let d = Dataset::build(&conds, &params, &Bars::new())?;
    say!("{}", d.summary.to_string().trim_end());
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let (summary, arrays) = (out.join("summary.json"), out.join("dataset.npz"));
    marble::fsio::write_json(&summary, &d.summary)?;
    io::write_dataset_npz(&arrays, &d)?;
    say!("wrote {} and {}", summary.display(), arrays.display());
    Ok(())
}
