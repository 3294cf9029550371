//! The server's options, and the REST API in a child process: [`spawn`] takes the same
//! arguments as the in-process `server::spawn` and returns the bound address, but runs
//! `marble serve`. A build without the `server` feature (the notebook kernel's lean build)
//! has this as its `marble::server`.
//!
//! The kernel's build leaves out axum, tokio and Swagger UI because every crate it links is
//! also a crate its type inference (rust-analyzer, inside evcxr) must analyse at start-up.
//! The child serves the same routes from the same store; it stops when this process ends,
//! because it watches the pipe on its standard input (`--until-stdin-closes`).

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::engine::LocalOptions;
use crate::error::{Error, Result};
use crate::kernel::BIN_ENV;

/// Settings of the server, in this process or a child.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The engine's store, workers and queue.
    pub engine: LocalOptions,
    /// Largest request body, in bytes (whole MiB for a child process): an .npz upload, which
    /// is streamed to the data folder, so this bounds disk, not memory.
    pub max_body: usize,
    /// Largest JSON body, in bytes (whole MiB for a child process), which is read whole into
    /// memory; `max_body` bounds it too.
    pub max_json_body: usize,
    /// Requests (other than event streams) taking longer are answered 408 (whole seconds for
    /// a child process).
    pub timeout: Duration,
    /// Bearer token required on every route but /healthz, /readyz and (unless
    /// `metrics_token`) /metrics, when set.
    pub token: Option<String>,
    /// Put `/metrics` behind the bearer token too (it is open by default, like the probes).
    pub metrics_token: bool,
    /// Web origins (`https://lab.example.org`) whose pages may call the API from a browser,
    /// with credentials; `*` for any origin, without credentials. Empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// After SIGTERM or Ctrl-C, how long requests in flight may take to finish before the
    /// server stops anyway (whole seconds for a child process).
    pub shutdown_timeout: Duration,
}

impl ServerOptions {
    /// Defaults: 4 GiB uploads, 512 MiB JSON bodies, 10-minute requests, token from
    /// `MARBLE_TOKEN`.
    pub fn new(data_dir: impl Into<PathBuf>) -> ServerOptions {
        ServerOptions {
            engine: LocalOptions::new(data_dir),
            max_body: crate::engine::defaults::MAX_BODY_MIB << 20,
            max_json_body: crate::engine::defaults::MAX_JSON_MIB << 20,
            timeout: Duration::from_secs(crate::engine::defaults::TIMEOUT_S),
            token: std::env::var("MARBLE_TOKEN").ok().filter(|t| !t.is_empty()),
            metrics_token: false,
            cors_origins: Vec::new(),
            shutdown_timeout: Duration::from_secs(crate::engine::defaults::SHUTDOWN_TIMEOUT_S),
        }
    }
}

/// The `marble serve` arguments that carry `options`, or the option a child process cannot
/// honour.
fn serve_args(addr: SocketAddr, options: &ServerOptions) -> Result<Vec<OsString>> {
    let e = &options.engine;
    if e.poll != LocalOptions::new(&e.data_dir).poll {
        return Err(Error::argument(
            "engine.poll",
            "has no `marble serve` flag, so a server in a child process cannot use it; \
             keep the default or build marble with the `server` feature",
        ));
    }
    let whole = |what: &str, ok: bool, unit: &str| {
        if ok {
            Ok(())
        } else {
            Err(Error::argument(what, format!("must be a whole number of {unit} for a server in a child process")))
        }
    };
    whole("max_body", options.max_body % (1 << 20) == 0, "MiB")?;
    whole("max_json_body", options.max_json_body % (1 << 20) == 0, "MiB")?;
    whole("timeout", options.timeout.subsec_nanos() == 0, "seconds")?;
    whole("shutdown_timeout", options.shutdown_timeout.subsec_nanos() == 0, "seconds")?;
    let mut data_dir = OsString::from("--data-dir=");
    data_dir.push(&e.data_dir);
    let mut args: Vec<OsString> = vec!["serve".into(), "--until-stdin-closes".into(), data_dir];
    args.extend(
        [
            format!("--addr={addr}"),
            format!("--workers={}", e.workers),
            format!("--max-queued={}", e.max_queued),
            format!("--lease-s={}", e.lease.as_secs_f64()),
            format!("--min-free-mib={}", e.min_free_mib),
            format!("--max-body-mib={}", options.max_body >> 20),
            format!("--max-json-mib={}", options.max_json_body >> 20),
            format!("--timeout-s={}", options.timeout.as_secs()),
            format!("--shutdown-timeout-s={}", options.shutdown_timeout.as_secs()),
        ]
        .map(OsString::from),
    );
    args.extend(options.cors_origins.iter().map(|o| format!("--cors-origin={o}").into()));
    args.extend(options.metrics_token.then(|| "--metrics-token".into()));
    args.extend(e.store.iter().map(|s| format!("--store={s}").into()));
    args.extend(e.artifacts.iter().map(|a| format!("--artifacts={a}").into()));
    Ok(args)
}

/// Start the REST API as a `marble serve` child process (the program in `MARBLE_BIN`, else
/// `marble` on `PATH`); returns the address it bound. For notebooks: the server lives until
/// this process ends.
pub fn spawn(addr: SocketAddr, options: ServerOptions) -> Result<SocketAddr> {
    let program = std::env::var_os(BIN_ENV).map_or_else(|| PathBuf::from("marble"), PathBuf::from);
    spawn_with(&program, addr, options)
}

/// [`spawn`] with the `marble` program named.
pub fn spawn_with(program: &Path, addr: SocketAddr, options: ServerOptions) -> Result<SocketAddr> {
    let mut cmd = Command::new(program);
    cmd.args(serve_args(addr, &options)?)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("MARBLE_STORE")
        .env_remove("MARBLE_ARTIFACTS");
    match &options.token {
        Some(t) => cmd.env("MARBLE_TOKEN", t),
        None => cmd.env_remove("MARBLE_TOKEN"),
    };
    let mut child = cmd.spawn().map_err(|e| {
        Error::Unavailable(format!(
            "cannot run `{}` ({e}): the server runs as `marble serve` in a child process; set {BIN_ENV} \
             to the marble program or put it on PATH (or build marble with the `server` feature to \
             serve in-process)",
            program.display()
        ))
    })?;
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let mut lines = BufReader::new(stdout);
    let mut first = String::new();
    let _ = lines.read_line(&mut first);
    let bound = first
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse::<SocketAddr>().ok());
    let Some(bound) = bound else {
        let _ = child.kill();
        let mut why = String::new();
        let _ = stderr.read_to_string(&mut why);
        let _ = child.wait();
        let why = why.trim();
        return Err(Error::Unavailable(format!(
            "`{} serve` did not start: {}",
            program.display(),
            if why.is_empty() { first.trim() } else { why }
        )));
    };
    // Keep reading what the child writes, so that it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    // The child stops when its standard input closes: keep our end open until we exit.
    std::mem::forget(child.stdin.take());
    std::mem::forget(child);
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_becomes_a_flag() {
        let mut o = ServerOptions::new("/tmp/d");
        o.engine.workers = 3;
        o.engine.store = Some("postgres://u@h/db".into());
        o.max_body = 64 << 20;
        o.max_json_body = 8 << 20;
        o.timeout = Duration::from_secs(30);
        o.shutdown_timeout = Duration::from_secs(7);
        o.cors_origins = vec!["http://a.test".into(), "http://b.test:8000".into()];
        o.metrics_token = true;
        let args = serve_args("127.0.0.1:0".parse().unwrap(), &o).unwrap();
        for want in [
            "--addr=127.0.0.1:0",
            "--data-dir=/tmp/d",
            "--workers=3",
            "--max-body-mib=64",
            "--max-json-mib=8",
            "--timeout-s=30",
            "--shutdown-timeout-s=7",
            "--cors-origin=http://a.test",
            "--cors-origin=http://b.test:8000",
            "--metrics-token",
        ] {
            assert!(args.iter().any(|a| a == want), "{want} missing from {args:?}");
        }
        assert!(args.iter().any(|a| a == "--store=postgres://u@h/db"));
        o.timeout = Duration::from_millis(1500);
        let e = serve_args("127.0.0.1:0".parse().unwrap(), &o).unwrap_err().to_string();
        assert!(e.contains("timeout") && e.contains("whole number of seconds"), "{e}");
        o.timeout = Duration::from_secs(1);
        o.engine.poll = Duration::from_secs(7);
        let e = serve_args("127.0.0.1:0".parse().unwrap(), &o).unwrap_err().to_string();
        assert!(e.contains("poll"), "{e}");
    }
}
