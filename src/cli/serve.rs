//! `marble serve`: the REST API over an engine in this process.

use anyhow::{Result, bail};
use marble::engine::defaults;

use super::StoreArgs;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// Fits run at the same time in this process; 0 serves the API only (with
    /// `marble worker` processes on the same store running the fits).
    #[arg(long, default_value_t = defaults::WORKERS)]
    workers: usize,
    /// Jobs that may wait; more get 429.
    #[arg(long, default_value_t = defaults::MAX_QUEUED)]
    max_queued: usize,
    /// Largest request body, MiB: an .npz upload is streamed to the data folder as it
    /// arrives, so this bounds disk, not memory; larger bodies get 413.
    #[arg(long, default_value_t = defaults::MAX_BODY_MIB)]
    max_body_mib: usize,
    /// Largest JSON body, MiB (also at most --max-body-mib): a JSON body is read whole
    /// into memory, so this bounds the memory of each request.
    #[arg(long, default_value_t = defaults::MAX_JSON_MIB)]
    max_json_mib: usize,
    /// Request timeout, seconds (event streams excepted).
    #[arg(long, default_value_t = defaults::TIMEOUT_S)]
    timeout_s: u64,
    /// A web origin (`https://lab.example.org`, `http://localhost:3000`) whose pages may call
    /// the API from a browser, bearer token included; repeat for more, or `*` for any origin
    /// (without credentials). None by default: browsers on other origins are refused.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// Ask for the bearer token (MARBLE_TOKEN) on GET /metrics too; by default it is open,
    /// like /healthz, so that Prometheus scrapes it without the API's key.
    #[arg(long)]
    metrics_token: bool,
    /// After SIGTERM or Ctrl-C, seconds that requests in flight may take to finish before
    /// the server stops anyway; running fits resume later from their checkpoints.
    #[arg(long, default_value_t = defaults::SHUTDOWN_TIMEOUT_S)]
    shutdown_timeout_s: u64,
    /// Stop when standard input closes: how `marble::server::spawn` in a lean build ties
    /// the server's life to the process that started it.
    #[arg(long, hide = true)]
    until_stdin_closes: bool,
}

pub fn run(args: Args) -> Result<()> {
    let Args {
        addr,
        store,
        workers,
        max_queued,
        max_body_mib,
        max_json_mib,
        timeout_s,
        cors_origins,
        metrics_token,
        shutdown_timeout_s,
        until_stdin_closes,
    } = args;
    if workers == 0 && store.store.is_none() {
        bail!(
            "--workers 0 leaves the fits to `marble worker` processes, which need a shared store: \
             give --store postgres://... too"
        );
    }
    let mut options = marble::server::ServerOptions::new(&store.data_dir);
    options.engine = store.engine(workers)?;
    options.engine.max_queued = max_queued;
    options.max_body = max_body_mib << 20;
    options.max_json_body = max_json_mib << 20;
    options.timeout = std::time::Duration::from_secs(timeout_s);
    options.cors_origins = cors_origins;
    options.metrics_token = metrics_token;
    options.shutdown_timeout = std::time::Duration::from_secs(shutdown_timeout_s);
    if metrics_token && options.token.is_none() {
        bail!("--metrics-token puts /metrics behind the API's bearer token, but MARBLE_TOKEN is not set");
    }
    let auth = if options.token.is_some() { "bearer token from MARBLE_TOKEN required" } else { "no token" };
    if until_stdin_closes {
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            std::process::exit(0);
        });
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(marble::server::serve(addr, options, |a| {
        say!("listening on http://{a} (docs at http://{a}/docs, OpenAPI at http://{a}/openapi.json; {auth})");
        say!("{}", store.describe());
    }))?;
    // Work left on blocking threads (a request past the grace period) ends with the process.
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(())
}
