//! `marble kernel install`: the Jupyter kernel "MARBLE (Rust)", and the commands its spec
//! runs (`kernel start`, and `kernel build` in the background).

use std::path::PathBuf;

use anyhow::{Context, Result};
use marble::kernel::{KERNEL_NAME, Location, cache, install, read_setup};

use super::Bars;

#[derive(clap::Subcommand)]
pub enum KernelCommand {
    /// Install the kernel spec (needs `cargo install evcxr_jupyter --locked --version 0.22.0`
    /// and Jupyter) and
    /// compile what the kernel loads, so that it starts in seconds. Run it again after the
    /// sources change: it compiles what changed.
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
        /// Where the kernel keeps its builds (default: $MARBLE_KERNEL_CACHE, else
        /// ~/.cache/marble/kernel).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Only write the spec; compile nothing now (e.g. when CI restores the cache).
        #[arg(long)]
        no_build: bool,
        /// Cargo features of marble the kernel loads, comma-separated. None by default: the
        /// engine, the figures and HttpEngine, and `marble::server::spawn` runs `marble
        /// serve` as a child process. `server` runs it inside the kernel instead, at a
        /// slower start (each crate a kernel links is one its type inference analyses).
        #[arg(long, value_delimiter = ',', default_value = "")]
        features: Vec<String>,
    },
    /// Run the kernel for Jupyter (what kernel.json runs).
    #[command(hide = true)]
    Start {
        /// The installed spec folder.
        #[arg(long)]
        spec_dir: PathBuf,
        /// Jupyter's connection file.
        connection_file: PathBuf,
    },
    /// Compile the build of the current sources for an installed spec, without output (what
    /// a kernel starts in the background when the sources changed).
    #[command(hide = true)]
    Build {
        /// The installed spec folder.
        #[arg(long)]
        spec_dir: PathBuf,
    },
}

pub fn run(what: KernelCommand) -> Result<()> {
    match what {
        KernelCommand::Install { user: _, prefix, crate_dir, cache, no_build, features } => {
            let location = prefix.map_or(Location::User, Location::Prefix);
            let marble = std::env::current_exe().context("cannot find this program")?;
            let features: Vec<String> = features.into_iter().filter(|f| !f.trim().is_empty()).collect();
            let done = install(&location, &marble, crate_dir.as_deref(), cache.as_deref(), &features)?;
            say!("installed the kernel \"MARBLE (Rust)\" ({KERNEL_NAME}) in {}", done.spec_dir.display());
            if let Some(m) = marble::kernel::toolchain::evcxr_mismatch(&done.setup.evcxr) {
                eprintln!("{m}");
            }
            if no_build {
                say!("nothing compiled (--no-build): a kernel with no ready build compiles before it answers");
                return Ok(());
            }
            say!(
                "compiling marble for the kernel into {} (evcxr, opt-level {})",
                done.setup.cache_dir.display(),
                cache::OPT_LEVEL
            );
            let built = cache::prebuild(&done.setup, &Bars::new())?;
            let size = built.size as f64 / f64::from(1 << 30);
            if built.was_ready {
                say!("already built for these sources: {size:.2} GiB in {}", built.build.dir.display());
            } else {
                say!(
                    "compiled in {:.0} s: {size:.2} GiB in {}; kernels now start warm",
                    built.seconds,
                    built.build.dir.display()
                );
            }
            Ok(())
        }
        KernelCommand::Start { spec_dir, connection_file } => {
            let marble = std::env::current_exe().context("cannot find this program")?;
            match marble::kernel::start(&spec_dir, &connection_file, &marble)? {}
        }
        KernelCommand::Build { spec_dir } => {
            let setup = read_setup(&spec_dir)?;
            cache::prebuild(&setup, &marble::progress::Silent)?;
            Ok(())
        }
    }
}
