//! A private PostgreSQL server for a test: `initdb` into a temporary folder, `pg_ctl start` on
//! a free port of 127.0.0.1 (and a socket in that folder), stopped and removed on drop.
//! Debian's server binaries live in /usr/lib/postgresql/<version>/bin: `MARBLE_PG_BIN` names
//! that folder (.ci/run sets it). Without it the tests say so and pass, unless
//! `MARBLE_REQUIRE_PG` is set (as in CI). As root, the server runs as the `postgres` user,
//! since PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    owner: Option<String>,
    _dir: tempfile::TempDir,
    /// `postgres://marble@127.0.0.1:PORT/postgres`
    pub(crate) url: String,
}

fn run_as(owner: &Option<String>, program: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = match owner {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

impl Postgres {
    /// A fresh server, or None (with a note) when `MARBLE_PG_BIN` is unset.
    pub(crate) fn start() -> Option<Postgres> {
        let bin: PathBuf = crate::external_tool(
            "MARBLE_PG_BIN",
            "MARBLE_REQUIRE_PG",
            "the folder of initdb and pg_ctl, e.g. /usr/lib/postgresql/15/bin",
        )?;
        let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
        let owner = root.then(|| "postgres".to_string());
        let dir = tempfile::Builder::new().prefix("marble-pg").tempdir_in("/tmp").unwrap();
        if let Some(user) = &owner {
            let ok = Command::new("chown").args([user.as_str()]).arg(dir.path()).status().unwrap().success();
            assert!(ok, "cannot give {} to {user}", dir.path().display());
        }
        let data = dir.path().join("data");
        let out = run_as(
            &owner,
            &bin.join("initdb"),
            &["-D", data.to_str().unwrap(), "-U", "marble", "--auth=trust", "--no-sync", "-E", "UTF8"],
        );
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            dir.path().display()
        );
        let log = dir.path().join("log");
        let out = run_as(
            &owner,
            &bin.join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-o", &opts, "-l", log.to_str().unwrap(), "-w", "-t", "60", "start"],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(Postgres { bin, data, owner, _dir: dir, url: format!("postgres://marble@127.0.0.1:{port}/postgres") })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = run_as(
            &self.owner,
            &self.bin.join("pg_ctl"),
            &["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
    }
}
