//! A private PostgreSQL server for a test: `initdb` into a temporary folder, `pg_ctl start` on
//! a free port of 127.0.0.1 (and a socket in that folder), stopped and removed on drop.
//! Debian's server binaries live in /usr/lib/postgresql/<version>/bin: `MARBLE_PG_BIN` names
//! that folder (.ci/run sets it). Without it the tests say so and pass, unless
//! `MARBLE_REQUIRE_PG` is set (as in CI). As root, the server runs as the `postgres` user,
//! since PostgreSQL refuses to run as root. [`Postgres::start_tls`] starts one with TLS on.

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    owner: Option<String>,
    _dir: tempfile::TempDir,
    /// The folder of its Unix socket.
    socket: PathBuf,
    port: u16,
    /// `postgres://marble@127.0.0.1:PORT/postgres`
    pub(crate) url: String,
}

/// What a TLS server is given: its certificate (with the chain above it) and key, in PEM,
/// and the password its TCP connections need (scram-sha-256).
pub(crate) struct TlsServer<'a> {
    pub(crate) cert: &'a str,
    pub(crate) key: &'a str,
    pub(crate) password: &'a str,
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

/// Write `text` to `path`, the server's own (`owner`'s) with `mode`: it refuses a key file
/// that others can read.
fn write_for(owner: &Option<String>, path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    if let Some(user) = owner {
        let ok = Command::new("chown").arg(user).arg(path).status().unwrap().success();
        assert!(ok, "cannot give {} to {user}", path.display());
    }
}

impl Postgres {
    /// A fresh server, or None (with a note) when `MARBLE_PG_BIN` is unset.
    pub(crate) fn start() -> Option<Postgres> {
        Self::start_with(None)
    }

    /// A fresh server with TLS on (`ssl`, `ssl_cert_file` and `ssl_key_file` in its
    /// postgresql.conf, so that `ALTER SYSTEM SET ssl = off` can turn it off), whose TCP
    /// connections need `tls.password` (its Unix socket trusts anyone, for [`Self::admin`]).
    pub(crate) fn start_tls(tls: &TlsServer) -> Option<Postgres> {
        Self::start_with(Some(tls))
    }

    fn start_with(tls: Option<&TlsServer>) -> Option<Postgres> {
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
        let mut initdb = vec!["-D".to_string(), data.display().to_string()];
        initdb.extend(["-U", "marble", "--no-sync", "-E", "UTF8"].map(String::from));
        if let Some(tls) = tls {
            let pwfile = dir.path().join("password");
            write_for(&owner, &pwfile, tls.password, 0o600);
            initdb.extend(["--auth-local=trust", "--auth-host=scram-sha-256"].map(String::from));
            initdb.push(format!("--pwfile={}", pwfile.display()));
        } else {
            initdb.push("--auth=trust".into());
        }
        let out = run_as(&owner, &bin.join("initdb"), &initdb.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        if let Some(tls) = tls {
            write_for(&owner, &data.join("server.crt"), tls.cert, 0o644);
            write_for(&owner, &data.join("server.key"), tls.key, 0o600);
            let conf = data.join("postgresql.conf");
            let mut text = std::fs::read_to_string(&conf).unwrap();
            text.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
            std::fs::write(&conf, text).unwrap();
        }
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
        let socket = dir.path().to_path_buf();
        let url = format!("postgres://marble@127.0.0.1:{port}/postgres");
        Some(Postgres { bin, data, owner, _dir: dir, socket, port, url })
    }

    /// The port it listens on, on 127.0.0.1.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// A new connection as `marble` (a superuser) over the Unix socket, which needs no
    /// password, for a test to look at the server or change its settings.
    pub(crate) fn admin(&self) -> postgres::Client {
        let mut config = postgres::Config::new();
        config.host_path(&self.socket).port(self.port).user("marble").dbname("postgres");
        config.connect(postgres::NoTls).unwrap()
    }

    /// Replace pg_hba.conf with `text`; [`Self::reload`] applies it.
    pub(crate) fn set_hba(&self, text: &str) {
        write_for(&self.owner, &self.data.join("pg_hba.conf"), text, 0o600);
    }

    /// Reload the settings, and wait until a new connection sees `ready` hold (the server
    /// reloads after the call returns).
    pub(crate) fn reload(&self, ready: impl Fn() -> bool) {
        self.admin().batch_execute("SELECT pg_reload_conf()").unwrap();
        for _ in 0..100 {
            if ready() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the server's new settings did not take within 10 s");
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
