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
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // Listening before saying so: a SIGTERM sent right after the first line is heard.
    let signalled = {
        let _in_runtime = rt.enter();
        marble::server::shutdown_signal()
    };
    say!("worker {} running {workers} fit(s) at a time; {}", engine.name(), store.describe());
    let signal = rt.block_on(signalled);
    tracing::info!(signal, "stopping: a fit in progress resumes elsewhere when its lease expires");
    say!("stopping: a fit in progress resumes elsewhere when its lease expires");
    engine.shutdown();
    Ok(())
}
