//! `marble transform`: embed a dataset with a trained model (as the engine's transform).

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::{Bars, DataArgs};

#[derive(clap::Args)]
pub struct Args {
    /// Folder written by `marble fit`.
    #[arg(long)]
    model: PathBuf,
    #[command(flatten)]
    input: DataArgs,
    /// Output .npy (n x out_channels, float32).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if args.input.params.is_some() {
        bail!("--params does not apply to transform: the dataset is built with the model's own params.json");
    }
    let conds = args.input.conditions()?;
    let emb = marble::run::transform(&args.model, &conds, &Bars::new())?.embedding;
    marble::fsio::write_npy_f32(&args.out, &emb)?;
    say!("wrote {} ({} x {})", args.out.display(), emb.nrows(), emb.ncols());
    Ok(())
}
