//! The `marble` command line: parses the flags and hands each command to its file in
//! `cli/`, which calls the library (the same functions as the engine behind the server).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

#[derive(Parser)]
#[command(name = "marble", version, about = "MARBLE: latent representations of dynamics on manifolds")]
struct Cli {
    /// How log lines on standard error are written: text, or one JSON object per line for
    /// log collectors. `RUST_LOG` filters them (default: warnings; `serve` and `worker` also
    /// log each request and job).
    #[arg(long, global = true, value_enum, default_value_t, env = "MARBLE_LOG_FORMAT")]
    log_format: cli::log::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write an example input (seeded) as .npz.
    Example(cli::example::Args),
    /// Reduce recordings of different dimension (animals, sessions) each by its own PCA to
    /// a common dimension, and write them as one .npz with each condition's group.
    Prepare(cli::prepare::Args),
    /// Build the dataset (stage 1), print a summary and write DIR/summary.json and
    /// DIR/dataset.npz.
    Dataset(cli::dataset::Args),
    /// Build the dataset and train a network (stages 1-3); write the embedding, the
    /// model and its losses to DIR.
    Fit(cli::fit::Args),
    /// Analyse a fitted run again: clusters, distances between conditions, 2-D views and
    /// figures, and (with --behaviour) linear decoding against a PCA baseline.
    Analyze(cli::analyze::Args),
    /// Embed a dataset with a trained model.
    Transform(cli::transform::Args),
    /// Serve the REST API (OpenAPI at /openapi.json, docs at /docs) with an embedded store.
    Serve(cli::serve::Args),
    /// Run fits queued on a shared store, without serving the API (see README, "More than
    /// one machine"). Stops on Ctrl-C or SIGTERM; a fit it was running is taken over by
    /// another worker when its lease expires.
    Worker(cli::worker::Args),
    /// Print the OpenAPI document of the REST API.
    Openapi,
    /// The Jupyter kernel "MARBLE (Rust)" (evcxr with this crate preloaded).
    Kernel {
        #[command(subcommand)]
        what: cli::kernel::KernelCommand,
    },
    /// Check what the notebook kernel needs, one line each: the toolchain and evcxr, the
    /// kernel specs Jupyter sees, the kernel's cache and ready build, and whether a first cell
    /// loads. Exits non-zero when something fails.
    Doctor(cli::doctor::Args),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: cli::bench::Bench,
    },
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Example(args) => cli::example::run(args),
        Command::Prepare(args) => cli::prepare::run(args),
        Command::Dataset(args) => cli::dataset::run(args),
        Command::Fit(args) => cli::fit::run(args),
        Command::Analyze(args) => cli::analyze::run(args),
        Command::Transform(args) => cli::transform::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Worker(args) => cli::worker::run(args),
        Command::Openapi => cli::openapi::run(),
        Command::Kernel { what } => cli::kernel::run(what),
        Command::Doctor(args) => cli::doctor::run(args),
        Command::Bench { what } => cli::bench::run(what),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let long_running = matches!(cli.command, Command::Serve(_) | Command::Worker(_));
    cli::log::init(cli.log_format, cli::log::default_filter(long_running), long_running);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli::causes(&e));
            ExitCode::FAILURE
        }
    }
}
