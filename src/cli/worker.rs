//! `marble worker`: run fits queued on a shared store, without serving the API.

use anyhow::{Result, bail};

use super::StoreArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// Fits run at the same time in this process.
    #[arg(long, default_value_t = marble::engine::defaults::WORKERS)]
    workers: usize,
}

pub fn run(args: Args) -> Result<()> {
    let Args { store, workers } = args;
    if workers == 0 {
        bail!("--workers must be at least 1 for a worker");
    }
    if store.store.is_none() {
        bail!(
            "a worker needs a store shared with the API process: give --store postgres://... \
             (the embedded SQLite store belongs to one `marble serve`)"
        );
    }
    let engine = marble::engine::LocalEngine::open(store.engine(workers)?)?;
    say!("worker {} running {workers} fit(s) at a time; {}", engine.name(), store.describe());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(marble::server::shutdown_signal());
    say!("stopping: a fit in progress resumes elsewhere when its lease expires");
    engine.shutdown();
    Ok(())
}
