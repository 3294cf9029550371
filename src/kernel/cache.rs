//! The kernel's builds, kept between sessions so that a kernel starts warm.
//!
//! evcxr compiles a notebook's dependencies in its own folder (`EVCXR_TMPDIR`), a fresh
//! temporary one per kernel unless told otherwise, and it builds what `init.evcxr` names
//! before it answers Jupyter's `kernel_info` request. So every kernel start used to compile
//! marble (a path crate, which evcxr's own cache leaves out) and a cold one its whole
//! dependency tree, while clients gave up after 60 s. Here each version of the sources gets
//! one build folder, made once (by `marble kernel install`, with a progress bar), and every
//! later kernel reuses it:
//!
//! ```text
//! <cache>/builds/<key>/        key: hash of the sources, features, profile, rustc and evcxr
//!     crate/                   a copy of the sources the kernel compiles (a snapshot)
//!     .cargo/config.toml       tells the build where the live sources are (CRATE_DIR)
//!     config/ first/           EVCXR_CONFIG_DIRs (init.evcxr, prelude.rs): a warm start
//!                              (offline), and a first start or `kernel install`
//!     slot-0/ slot-1/ ...      EVCXR_TMPDIRs, one per kernel running at once (`lock`)
//!     ready                    written by the prelude once everything compiled
//!     build.lock, build.log    held and written while `kernel install` builds
//! ```
//!
//! The kernel compiles the snapshot, not the live sources, so that a changed source tree
//! never makes a kernel compile before it answers: a kernel started after the sources
//! changed runs the last ready build, says so in its first `engine!()`, and rebuilds in the
//! background; the kernel after that is warm on the new sources.

use std::collections::BTreeSet;
use std::fs::File;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::toolchain::{self, Toolchain};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// evcxr's optimisation level for the notebook and all its dependencies: training at
/// `:opt 0` is tens of times slower, while level 1 keeps cell compiles quick.
pub const OPT_LEVEL: u8 = 1;

/// How many kernels can run at once on one build, each in its own slot.
const SLOTS: usize = 16;

/// Set by the launcher for the kernel's process when it runs an older build than the sources;
/// [`crate::kernel::notice`] prints it once.
pub const NOTICE_ENV: &str = "MARBLE_KERNEL_NOTICE";

/// Where the kernel finds its sources, its cache and evcxr: written beside `kernel.json` by
/// `marble kernel install` and read by the launcher at every start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// The live source folder of the crate.
    pub crate_dir: PathBuf,
    /// The cache of builds.
    pub cache_dir: PathBuf,
    /// The evcxr_jupyter binary.
    pub evcxr: PathBuf,
    /// Cargo features of marble the kernel asks for (besides none by default).
    pub features: Vec<String>,
}

/// The default cache: `$MARBLE_KERNEL_CACHE`, else `$XDG_CACHE_HOME/marble/kernel`, else
/// `~/.cache/marble/kernel`.
pub fn default_cache_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("MARBLE_KERNEL_CACHE") {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(Path::new(&d).join("marble/kernel"));
    }
    let home = std::env::var_os("HOME")
        .ok_or_else(|| Error::argument("HOME", "is not set; give the cache with --cache DIR"))?;
    Ok(Path::new(&home).join(".cache/marble/kernel"))
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |e| Error::io(action, path, e)
}

/// `rustc -vV`: the compiler evcxr will use (its version is part of the key) and the host.
fn rustc_version() -> Result<String> {
    let out = Command::new("rustc").arg("-vV").output().map_err(io("cannot run", Path::new("rustc")))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn host_triple(rustc: &str) -> Option<&str> {
    rustc.lines().find_map(|l| l.strip_prefix("host: ")).map(str::trim)
}

/// The files of the crate a build compiles, relative to the crate folder, sorted.
fn source_files(crate_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for top in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        if crate_dir.join(top).is_file() {
            files.push(PathBuf::from(top));
        }
    }
    let mut stack = vec![PathBuf::from("src")];
    while let Some(rel) = stack.pop() {
        let dir = crate_dir.join(&rel);
        for entry in std::fs::read_dir(&dir).map_err(io("cannot read", &dir))? {
            let entry = entry.map_err(io("cannot read", &dir))?;
            let kind = entry.file_type().map_err(io("cannot read", &dir))?;
            let child = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(child);
            } else if kind.is_file() {
                files.push(child);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The key of the build for the sources as they are now: a hash of every source file, the
/// folder they are in (the build records it for `CRATE_DIR`, so another checkout of the same
/// sources gets a build of its own), the features, the profile, the compiler and the evcxr
/// binary.
pub fn key(setup: &Setup) -> Result<String> {
    let mut h = std::hash::DefaultHasher::new();
    h.write(setup.crate_dir.as_os_str().as_encoded_bytes());
    h.write_u8(0);
    h.write(rustc_version()?.as_bytes());
    h.write(env!("CARGO_PKG_VERSION").as_bytes());
    h.write_u8(OPT_LEVEL);
    for f in &setup.features {
        h.write(f.as_bytes());
        h.write_u8(0);
    }
    let evcxr = std::fs::metadata(&setup.evcxr).map_err(io("cannot find", &setup.evcxr))?;
    h.write_u64(evcxr.len());
    h.write_u64(
        evcxr.modified().ok().and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs()),
    );
    for rel in source_files(&setup.crate_dir)? {
        let path = setup.crate_dir.join(&rel);
        h.write(rel.to_string_lossy().as_bytes());
        h.write_u8(0);
        h.write(&std::fs::read(&path).map_err(io("cannot read", &path))?);
    }
    Ok(format!("{:016x}", h.finish()))
}

/// One build folder (see the module documentation).
#[derive(Clone, Debug)]
pub struct Build {
    /// `<cache>/builds/<key>`.
    pub dir: PathBuf,
}

/// What `ready` records.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ready {
    /// When the build was finished, seconds since the epoch.
    pub finished: u64,
}

/// Which of evcxr's start-up configurations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// A start on a ready build: offline, so that cargo resolves to the crates it built with.
    Warm,
    /// A start on a build never made, and `marble kernel install`: online, and marks the
    /// build ready once it compiled.
    First,
    /// `marble doctor`'s check of a ready build: offline, and marks that a first cell loaded.
    Check,
}

impl Build {
    /// The build for `key` (its folder need not exist yet).
    pub fn new(setup: &Setup, key: &str) -> Build {
        Build { dir: setup.cache_dir.join("builds").join(key) }
    }

    fn crate_dir(&self) -> PathBuf {
        self.dir.join("crate")
    }

    /// evcxr's configuration folder for `config`.
    pub fn config_dir(&self, config: Config) -> PathBuf {
        self.dir.join(match config {
            Config::Warm => "config",
            Config::First => "first",
            Config::Check => "check",
        })
    }

    /// The file the prelude of `config` writes once its first cell ran (none for a warm
    /// start).
    fn marker(&self, config: Config) -> Option<PathBuf> {
        match config {
            Config::Warm => None,
            Config::First => Some(self.ready_path()),
            Config::Check => Some(self.dir.join("checked")),
        }
    }

    /// evcxr's folder for the `i`-th kernel running at once.
    pub fn slot_dir(&self, i: usize) -> PathBuf {
        self.dir.join(format!("slot-{i}"))
    }

    fn ready_path(&self) -> PathBuf {
        self.dir.join("ready")
    }

    /// The live sources the build was made from (what `kernel::CRATE_DIR` names in it).
    fn source_dir(&self) -> Option<PathBuf> {
        let text = std::fs::read_to_string(self.dir.join(".cargo/config.toml")).ok()?;
        let table: toml::Table = text.parse().ok()?;
        Some(PathBuf::from(table.get("env")?.get(super::SOURCE_DIR_ENV)?.as_str()?))
    }

    /// When the build was finished, if it was.
    pub fn ready(&self) -> Option<Ready> {
        let text = std::fs::read_to_string(self.ready_path()).ok()?;
        Some(serde_json::from_str(&text).unwrap_or(Ready { finished: 0 }))
    }

    /// The log of the last `kernel install` build.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("build.log")
    }

    /// The log evcxr writes when run headless with `config`: the build's, or the check's.
    fn log_for(&self, config: Config) -> PathBuf {
        match config {
            Config::Check => self.dir.join("check.log"),
            Config::Warm | Config::First => self.log_path(),
        }
    }

    /// Copy the sources and write evcxr's configurations (once: a build's sources never
    /// change; the folder `crate` appears whole, renamed into place).
    pub fn prepare(&self, setup: &Setup) -> Result<()> {
        let target = self.crate_dir();
        if !target.join("Cargo.toml").is_file() {
            std::fs::create_dir_all(&self.dir).map_err(io("cannot create", &self.dir))?;
            let tmp = self.dir.join(format!("crate.tmp-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&tmp);
            snapshot(&setup.crate_dir, &tmp)?;
            if let Err(e) = std::fs::rename(&tmp, &target) {
                let _ = std::fs::remove_dir_all(&tmp);
                if !target.join("Cargo.toml").is_file() {
                    return Err(Error::io("cannot create", &target, e));
                }
            }
        }
        // Where the live sources are, for `kernel::CRATE_DIR` (notebooks find data beside it).
        let cargo = self.dir.join(".cargo");
        std::fs::create_dir_all(&cargo).map_err(io("cannot create", &cargo))?;
        let env = format!(
            "[env]\n{} = {}\n",
            super::SOURCE_DIR_ENV,
            toml::Value::String(setup.crate_dir.to_string_lossy().into_owned())
        );
        write(&cargo.join("config.toml"), &env)?;
        for config in [Config::Warm, Config::First, Config::Check] {
            let dir = self.config_dir(config);
            std::fs::create_dir_all(&dir).map_err(io("cannot create", &dir))?;
            write(&dir.join("init.evcxr"), &self.init(setup, config))?;
            write(&dir.join("prelude.rs"), &self.prelude(config))?;
        }
        Ok(())
    }

    /// evcxr's `init.evcxr`: the crate and ndarray at `OPT_LEVEL`. Not evcxr's `:cache`: it
    /// hands cargo compiler output made in another folder, whose dependency lists name that
    /// folder's build-script outputs, so once that folder is gone cargo rebuilds those crates
    /// and all that depends on them at every cell. A new build starts from a copy of the last
    /// one instead (see [`take_slot`]).
    fn init(&self, setup: &Setup, config: Config) -> String {
        let features = setup.features.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ");
        let offline = u8::from(config != Config::First);
        format!(
            ":opt {OPT_LEVEL}\n:offline {offline}\n\
             :dep marble = {{ path = {:?}, default-features = false, features = [{features}] }}\n\
             :dep ndarray = \"0.17\"\n",
            self.crate_dir().to_string_lossy()
        )
    }

    /// The prelude: marble's, and on a first start (or `kernel install`, or `marble doctor`)
    /// the line that marks the build ready (it runs only once everything compiled and the
    /// first cell loaded).
    fn prelude(&self, config: Config) -> String {
        let mut text = String::from("use marble::prelude::*;\n");
        if let Some(marker) = self.marker(config) {
            text.push_str(&format!("marble::kernel::cache::mark_ready({:?});\n", marker.to_string_lossy()));
        }
        text
    }

    /// Size of the build folder, bytes.
    pub fn size(&self) -> u64 {
        dir_size(&self.dir)
    }
}

/// Called by the prelude of a first start or a prebuild: the build compiled.
pub fn mark_ready(path: &str) {
    let finished = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let text = serde_json::to_string(&Ready { finished }).expect("plain data");
    let _ = crate::fsio::write_atomic(Path::new(path), |tmp| {
        std::fs::write(tmp, &text).map_err(|e| Error::io("cannot write", tmp, e))
    });
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(io("cannot write", path))
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// Copy what a build compiles into `to`: the sources, the lock file, and the manifest with
/// only what a dependency needs (no tests, benches, binaries or dev-dependencies, whose
/// files the copy leaves out).
fn snapshot(from: &Path, to: &Path) -> Result<()> {
    for rel in source_files(from)? {
        let (src, dst) = (from.join(&rel), to.join(&rel));
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
        }
        if rel == Path::new("Cargo.toml") {
            write(&dst, &dependency_manifest(&src)?)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io("cannot copy", &src))?;
        }
    }
    Ok(())
}

fn dependency_manifest(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(io("cannot read", path))?;
    let mut manifest: toml::Table =
        text.parse().map_err(|e| Error::argument("Cargo.toml", format!("cannot read {}: {e}", path.display())))?;
    for section in ["bin", "test", "bench", "example", "dev-dependencies"] {
        manifest.remove(section);
    }
    if let Some(toml::Value::Table(package)) = manifest.get_mut("package") {
        for auto in ["autobins", "autotests", "autobenches", "autoexamples"] {
            package.insert(auto.into(), toml::Value::Boolean(false));
        }
    }
    Ok(manifest.to_string())
}

/// A slot held by this process: its folder, and the lock that says so (dropped, or the
/// process gone, frees it).
#[derive(Debug)]
pub struct Slot {
    /// The slot's folder (evcxr's `EVCXR_TMPDIR`).
    pub dir: PathBuf,
    /// The held lock file.
    pub lock: File,
}

/// Hold the first free slot of `build`. A slot never used starts from a copy of compiled
/// crates: slot 0's, so that a second kernel at once is warm too, or for slot 0 of a new
/// build those of the newest ready build, so that a change of the sources recompiles marble
/// alone.
pub fn take_slot(setup: &Setup, build: &Build) -> Result<Slot> {
    for i in 0..SLOTS {
        let dir = build.slot_dir(i);
        std::fs::create_dir_all(&dir).map_err(io("cannot create", &dir))?;
        let path = dir.join("lock");
        let lock =
            File::options().create(true).truncate(false).write(true).open(&path).map_err(io("cannot open", &path))?;
        if lock.try_lock().is_err() {
            continue;
        }
        if !dir.join("target").exists() {
            if i > 0 && build.slot_dir(0).join("target").is_dir() {
                seed(&build.slot_dir(0), &dir);
            } else if i == 0
                && let Some((older, _)) = ready_builds(setup).into_iter().find(|(b, _)| b.dir != build.dir)
            {
                seed(&older.slot_dir(0), &dir);
                forget_marble(&dir.join("target"));
            }
        }
        return Ok(Slot { dir, lock });
    }
    Err(Error::argument("kernel", format!("all {SLOTS} kernel slots of {} are in use", build.dir.display())))
}

/// Copy a slot's target folder (and the notebook crate's lock file) into a new slot, as is:
/// cargo records the files below its target folder relative to it, so it finds everything
/// fresh there. Best effort: a failed copy only means a cold slot.
fn seed(from: &Path, to: &Path) {
    let tmp = to.join("target.seeding");
    let _ = std::fs::remove_dir_all(&tmp);
    let copied = Command::new("cp")
        .args(["-a", "--reflink=auto"])
        .arg(from.join("target"))
        .arg(&tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if copied && std::fs::rename(&tmp, to.join("target")).is_ok() {
        let _ = std::fs::copy(from.join("Cargo.lock"), to.join("Cargo.lock"));
    } else {
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

/// Remove another build's marble from a copied target folder: its path differs, so it is
/// never used here, and copies of copies would pile up one marble per change of the sources.
fn forget_marble(target: &Path) {
    let mut stack = vec![target.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if name.starts_with("marble-") || name.starts_with("libmarble-") {
                let _ = if is_dir { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            } else if is_dir
                && matches!(name.as_str(), "target" | "debug" | "deps" | ".fingerprint" | "incremental" | "build")
                || is_dir && dir == *target
            {
                stack.push(path);
            }
        }
    }
}

/// The build a kernel starts on, and what it should say.
#[derive(Debug)]
pub struct Choice {
    /// The build to run.
    pub build: Build,
    /// evcxr's configuration for it.
    pub config: Config,
    /// Said by the first `engine!()` when this is not a build of the current sources.
    pub notice: Option<String>,
    /// The build of the current sources, when it is not `build` and must still be made.
    pub pending: Option<Build>,
}

/// Ready builds in the cache, newest first.
fn ready_builds(setup: &Setup) -> Vec<(Build, Ready)> {
    let root = setup.cache_dir.join("builds");
    let mut found: Vec<(Build, Ready)> = std::fs::read_dir(&root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| Build { dir: e.path() })
        .filter_map(|b| b.ready().map(|r| (b, r)))
        .collect();
    found.sort_by_key(|(_, r)| std::cmp::Reverse(r.finished));
    found
}

/// Which build a kernel starting now runs: the build of the current sources when it is ready;
/// else the newest ready one, while the current one is built in the background; else the
/// current one, compiled by this start.
pub fn choose(setup: &Setup) -> Result<Choice> {
    let current = Build::new(setup, &key(setup)?);
    current.prepare(setup)?;
    if current.ready().is_some() {
        return Ok(Choice { build: current, config: Config::Warm, notice: None, pending: None });
    }
    // The newest ready build of these sources' folder, else of any.
    let mut ready = ready_builds(setup);
    if let Some(i) = ready.iter().position(|(b, _)| b.source_dir().as_deref() == Some(setup.crate_dir.as_path())) {
        ready.swap(0, i);
    }
    if let Some((older, ready)) = ready.into_iter().next() {
        let age = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_sub(ready.finished);
        let notice = format!(
            "marble: the sources in {} changed since this kernel's build ({} ago), so it runs that \
             build while the new one compiles in the background (log: {}). Restart the kernel once \
             it is done, or run `marble kernel install` to watch it.",
            setup.crate_dir.display(),
            ago(age),
            current.log_path().display()
        );
        return Ok(Choice { build: older, config: Config::Warm, notice: Some(notice), pending: Some(current) });
    }
    Ok(Choice { build: current, config: Config::First, notice: None, pending: None })
}

fn ago(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

/// Remove the builds that no kernel or build holds, except `keep`, the newest ready one, and
/// the newest ready one of each source folder that still exists: checkouts that share a
/// cache (a clone for CI beside a working copy) keep a build each. Best effort.
pub fn collect_garbage(setup: &Setup, keep: &[&Build]) {
    let mut kept: Vec<PathBuf> = keep.iter().map(|b| b.dir.clone()).collect();
    let mut sources: Vec<PathBuf> = Vec::new();
    for (i, (build, _)) in ready_builds(setup).into_iter().enumerate() {
        match build.source_dir() {
            Some(src) if src.join("Cargo.toml").is_file() && !sources.contains(&src) => {
                sources.push(src);
                kept.push(build.dir);
            }
            _ if i == 0 => kept.push(build.dir),
            _ => {}
        }
    }
    let root = setup.cache_dir.join("builds");
    for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let dir = entry.path();
        if kept.contains(&dir) || !dir.is_dir() {
            continue;
        }
        let build = Build { dir };
        // Held locks are kept open until the removal is done.
        let mut held = Vec::new();
        let mut busy = false;
        let locks =
            std::iter::once(build.dir.join("build.lock")).chain((0..SLOTS).map(|i| build.slot_dir(i).join("lock")));
        for path in locks.filter(|p| p.exists()) {
            match File::options().write(true).open(&path) {
                Ok(f) if f.try_lock().is_ok() => held.push(f),
                _ => busy = true,
            }
        }
        if !busy {
            let _ = std::fs::remove_dir_all(&build.dir);
        }
    }
}

/// What `prebuild` did.
#[derive(Clone, Debug)]
pub struct Built {
    /// The build.
    pub build: Build,
    /// Seconds it took (0 when it was ready already).
    pub seconds: f64,
    /// Whether it was ready already.
    pub was_ready: bool,
    /// Size of the build folder, bytes.
    pub size: u64,
}

/// Make the build of the current sources ready, as a kernel would compile it: run evcxr
/// with the prebuild configuration until its prelude marks the build ready, reporting the
/// crates compiled as progress. Only one process builds a build at once; a second waits.
pub fn prebuild(setup: &Setup, progress: &dyn Progress) -> Result<Built> {
    let build = Build::new(setup, &key(setup)?);
    build.prepare(setup)?;
    let lock_path = build.dir.join("build.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io("cannot open", &lock_path))?;
    lock.lock().map_err(io("cannot lock", &lock_path))?;
    if build.ready().is_some() {
        let size = build.size();
        return Ok(Built { build, seconds: 0.0, was_ready: true, size });
    }
    let start = Instant::now();
    let slot = take_slot(setup, &build)?;
    let rustc = rustc_version()?;
    let triple = host_triple(&rustc).unwrap_or_default().to_string();
    let total = count_packages(setup, &build, &triple);
    progress.begin("compiling crates", total);
    let toolchain = Toolchain::find()?;
    let mut child = start_evcxr(setup, &build, &slot, Config::First, &toolchain)?;
    let mut shown = 0;
    let outcome = loop {
        std::thread::sleep(Duration::from_millis(250));
        if build.ready().is_some() {
            break Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(evcxr_stopped(&build.log_path(), status, &toolchain));
        }
        let done = compiled_packages(&slot.dir, &triple).min(total.saturating_sub(1).max(shown));
        if done > shown {
            progress.advance(done - shown);
            shown = done;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    outcome?;
    progress.advance(total.saturating_sub(shown));
    let seconds = start.elapsed().as_secs_f64();
    progress.end("compiling crates", seconds);
    drop(slot);
    collect_garbage(setup, &[&build]);
    let size = build.size();
    Ok(Built { build, seconds, was_ready: false, size })
}

/// Why evcxr stopped before its prelude ran, from its log: in one line when the first cell
/// compiled but could not be loaded, else with the log's last lines.
fn evcxr_stopped(log_path: &Path, status: std::process::ExitStatus, toolchain: &Toolchain) -> Error {
    let log = std::fs::read_to_string(log_path).unwrap_or_default();
    if log.contains("dlopen failed") || log.contains("LOAD_AND_RUN") {
        return Error::argument(
            "kernel",
            format!(
                "evcxr compiled the first cell but could not load it (dlopen failed), although {} \
                 named the toolchain's standard library ({}, {}); check that `rustc --print sysroot` \
                 is the toolchain evcxr compiles with, then run `marble doctor` (log: {})",
                toolchain::LOADER_PATH_ENV,
                toolchain.lib_dir().display(),
                if toolchain.has_shared_std() { "libstd found there" } else { "but no shared libstd is there" },
                log_path.display()
            ),
        );
    }
    let tail: Vec<&str> = log.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
    Error::argument(
        "kernel",
        format!(
            "evcxr stopped ({status}) before the crate compiled; its log is {}:\n{}",
            log_path.display(),
            tail.join("\n")
        ),
    )
}

/// Whether a first cell loads on the ready `build`: evcxr runs a prelude that marks it, on a
/// free slot, offline. The seconds it took, or why not.
pub fn check_first_cell(setup: &Setup, build: &Build, timeout: Duration) -> Result<f64> {
    build.prepare(setup)?;
    let marker = build.marker(Config::Check).expect("the check marks");
    let _ = std::fs::remove_file(&marker);
    let slot = take_slot(setup, build)?;
    let toolchain = Toolchain::find()?;
    let start = Instant::now();
    let mut child = start_evcxr(setup, build, &slot, Config::Check, &toolchain)?;
    let outcome = loop {
        std::thread::sleep(Duration::from_millis(200));
        if marker.is_file() {
            break Ok(start.elapsed().as_secs_f64());
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(evcxr_stopped(&build.log_for(Config::Check), status, &toolchain));
        }
        if start.elapsed() > timeout {
            break Err(Error::argument(
                "kernel",
                format!(
                    "a first cell did not run within {} s (log: {})",
                    timeout.as_secs(),
                    build.log_for(Config::Check).display()
                ),
            ));
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&marker);
    outcome
}

/// Run evcxr_jupyter on `slot` with `config`, its output to the build log, as a kernel
/// (with a connection file on free local ports) that no client talks to, with the
/// toolchain's standard library on the loader's path (see [`toolchain`]).
fn start_evcxr(setup: &Setup, build: &Build, slot: &Slot, config: Config, toolchain: &Toolchain) -> Result<Child> {
    let connection = slot.dir.join("prebuild-connection.json");
    let mut ports = Vec::new();
    for _ in 0..5 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("cannot bind", Path::new("127.0.0.1:0")))?;
        ports.push(l.local_addr().map_err(io("cannot bind", Path::new("127.0.0.1:0")))?.port());
    }
    let spec = serde_json::json!({
        "transport": "tcp", "ip": "127.0.0.1", "signature_scheme": "hmac-sha256", "key": "",
        "shell_port": ports[0], "iopub_port": ports[1], "stdin_port": ports[2],
        "control_port": ports[3], "hb_port": ports[4],
    });
    write(&connection, &spec.to_string())?;
    let log_path = build.log_for(config);
    let log = File::create(&log_path).map_err(io("cannot create", &log_path))?;
    let log2 = log.try_clone().map_err(io("cannot open", &log_path))?;
    let mut cmd = Command::new(&setup.evcxr);
    toolchain.apply(&mut cmd);
    cmd.arg("--control_file")
        .arg(&connection)
        .current_dir(&slot.dir)
        .env("EVCXR_TMPDIR", &slot.dir)
        .env("EVCXR_CONFIG_DIR", build.config_dir(config))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(io("cannot run", &setup.evcxr))
}

/// How many packages the kernel's build compiles (0 when cargo cannot say): those cargo
/// resolves for a crate with the kernel's two dependencies, on this host.
fn count_packages(setup: &Setup, build: &Build, triple: &str) -> u64 {
    let meta = build.dir.join("count");
    let features = setup.features.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ");
    let manifest = format!(
        "[package]\nname = \"marble-kernel-count\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[lib]\npath = \"lib.rs\"\n\n\
         [dependencies]\nmarble = {{ path = {:?}, default-features = false, features = [{features}] }}\nndarray = \"0.17\"\n",
        build.crate_dir().to_string_lossy()
    );
    let ok = std::fs::create_dir_all(&meta).is_ok()
        && write(&meta.join("Cargo.toml"), &manifest).is_ok()
        && write(&meta.join("lib.rs"), "").is_ok();
    if !ok {
        return 0;
    }
    let _ = std::fs::copy(build.crate_dir().join("Cargo.lock"), meta.join("Cargo.lock"));
    let mut cmd = Command::new("cargo");
    cmd.args(["metadata", "--format-version", "1"]).arg("--manifest-path").arg(meta.join("Cargo.toml"));
    if !triple.is_empty() {
        cmd.args(["--filter-platform", triple]);
    }
    let Ok(out) = cmd.stderr(Stdio::null()).output() else { return 0 };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else { return 0 };
    let names: BTreeSet<String> = doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| *n != "marble-kernel-count")
        .map(|n| n.replace('-', "_"))
        .collect();
    names.len() as u64
}

/// How many packages have started compiling in a slot: distinct crate names among cargo's
/// fingerprint folders (`<name>-<hash>`) for the host and the target.
fn compiled_packages(slot: &Path, triple: &str) -> u64 {
    let target = slot.join("target");
    let mut names = BTreeSet::new();
    for dir in [target.join("debug/.fingerprint"), target.join(triple).join("debug/.fingerprint")] {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some((crate_name, _hash)) = name.rsplit_once('-') {
                let crate_name = crate_name.replace('-', "_");
                if crate_name != "ctx" && !crate_name.starts_with("evcxr") {
                    names.insert(crate_name);
                }
            }
        }
    }
    names.len() as u64
}

/// Start building `build` in a process of its own that outlives this one (a kernel's
/// launcher hands it over before it becomes evcxr): `marble kernel install` with this setup.
/// Nothing when another process is building it already.
pub fn build_in_background(marble: &Path, spec_dir: &Path, build: &Build) {
    let lock_path = build.dir.join("build.lock");
    if let Ok(f) = File::options().create(true).truncate(false).write(true).open(&lock_path)
        && f.try_lock().is_err()
    {
        return;
    }
    let mut cmd = Command::new(marble);
    cmd.args(["kernel", "build", "--spec-dir"])
        .arg(spec_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // A process group of its own: Jupyter stops a kernel by signalling its group.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let _ = cmd.spawn();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(dir: &Path) -> Setup {
        let crate_dir = dir.join("crate");
        std::fs::create_dir_all(crate_dir.join("src/inner")).unwrap();
        std::fs::write(
            crate_dir.join("Cargo.toml"),
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\nautotests = false\n\n[dependencies]\nserde = \"1\"\n\n\
             [dev-dependencies]\ntempfile = \"3\"\n\n[[test]]\nname = \"t\"\npath = \"tests/t.rs\"\n\n\
             [[bench]]\nname = \"b\"\nharness = false\n\n[features]\ndefault = [\"a\"]\na = []\n",
        )
        .unwrap();
        std::fs::write(crate_dir.join("src/lib.rs"), "pub fn f() {}\n").unwrap();
        std::fs::write(crate_dir.join("src/inner/m.rs"), "pub fn g() {}\n").unwrap();
        let evcxr = dir.join("evcxr_jupyter");
        std::fs::write(&evcxr, "#!/bin/sh\n").unwrap();
        Setup { crate_dir, cache_dir: dir.join("cache"), evcxr, features: vec![] }
    }

    #[test]
    fn the_key_follows_the_sources_and_features_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = setup(dir.path());
        let k = key(&s).unwrap();
        assert_eq!(k.len(), 16);
        assert_eq!(key(&s).unwrap(), k, "the same sources, the same key");
        // A file outside what a build compiles (tests, notebooks) changes nothing.
        std::fs::create_dir_all(s.crate_dir.join("tests")).unwrap();
        std::fs::write(s.crate_dir.join("tests/t.rs"), "").unwrap();
        assert_eq!(key(&s).unwrap(), k);
        std::fs::write(s.crate_dir.join("src/inner/m.rs"), "pub fn g() { }\n").unwrap();
        let k2 = key(&s).unwrap();
        assert_ne!(k2, k, "an edited source file");
        let with_server = Setup { features: vec!["server".into()], ..s.clone() };
        assert_ne!(key(&with_server).unwrap(), k2, "other features");
    }

    #[test]
    fn a_snapshot_holds_the_sources_and_a_manifest_for_a_dependency() {
        let dir = tempfile::tempdir().unwrap();
        let s = setup(dir.path());
        let b = Build::new(&s, &key(&s).unwrap());
        b.prepare(&s).unwrap();
        let copy = b.dir.join("crate");
        assert_eq!(std::fs::read_to_string(copy.join("src/inner/m.rs")).unwrap(), "pub fn g() {}\n");
        let manifest: toml::Table = std::fs::read_to_string(copy.join("Cargo.toml")).unwrap().parse().unwrap();
        assert!(manifest.get("test").is_none() && manifest.get("bench").is_none());
        assert!(manifest.get("dev-dependencies").is_none());
        assert_eq!(manifest["package"]["autobenches"].as_bool(), Some(false));
        assert_eq!(manifest["dependencies"]["serde"].as_str(), Some("1"));
        assert!(manifest["features"].get("a").is_some());
        // The snapshot is the sources at the time: a later edit does not reach it.
        std::fs::write(s.crate_dir.join("src/lib.rs"), "pub fn f() { }\n").unwrap();
        b.prepare(&s).unwrap();
        assert_eq!(std::fs::read_to_string(copy.join("src/lib.rs")).unwrap(), "pub fn f() {}\n");
        let warm = std::fs::read_to_string(b.config_dir(Config::Warm).join("init.evcxr")).unwrap();
        assert!(warm.contains(":offline 1") && warm.contains("default-features = false"), "{warm}");
        assert!(warm.contains(&format!("{:?}", copy.to_string_lossy())), "{warm}");
        let first = std::fs::read_to_string(b.config_dir(Config::First).join("prelude.rs")).unwrap();
        assert!(first.contains("mark_ready"), "{first}");
        let config = std::fs::read_to_string(b.dir.join(".cargo/config.toml")).unwrap();
        assert!(config.contains(super::super::SOURCE_DIR_ENV), "{config}");
    }

    #[test]
    fn a_kernel_runs_the_current_build_or_the_newest_ready_one() {
        let dir = tempfile::tempdir().unwrap();
        let s = setup(dir.path());
        // Nothing built: this start compiles the current sources.
        let c = choose(&s).unwrap();
        assert_eq!(c.config, Config::First);
        assert!(c.notice.is_none() && c.pending.is_none());
        let first = c.build.clone();
        mark_ready(&first.ready_path().to_string_lossy());
        let c = choose(&s).unwrap();
        assert_eq!((c.build.dir.clone(), c.config), (first.dir.clone(), Config::Warm));
        // The sources change: the ready build runs, the new one is pending.
        std::fs::write(s.crate_dir.join("src/lib.rs"), "pub fn f() { 1; }\n").unwrap();
        let c = choose(&s).unwrap();
        assert_eq!(c.build.dir, first.dir);
        assert!(c.notice.as_deref().unwrap().contains("changed since"), "{:?}", c.notice);
        let pending = c.pending.unwrap();
        assert_ne!(pending.dir, first.dir);
        // Once it is ready, it runs, and the old one is collected.
        std::thread::sleep(Duration::from_millis(1100));
        mark_ready(&pending.ready_path().to_string_lossy());
        let c = choose(&s).unwrap();
        assert_eq!((c.build.dir.clone(), c.config), (pending.dir.clone(), Config::Warm));
        collect_garbage(&s, &[&c.build]);
        assert!(!first.dir.exists() && pending.dir.exists());
    }

    #[test]
    fn two_checkouts_sharing_a_cache_keep_a_build_each() {
        let dir = tempfile::tempdir().unwrap();
        let a = setup(&dir.path().join("a"));
        let b = Setup { crate_dir: dir.path().join("b/crate"), ..a.clone() };
        snapshot(&a.crate_dir, &b.crate_dir).unwrap();
        std::fs::write(b.crate_dir.join("src/lib.rs"), "pub fn f() { 2; }\n").unwrap();
        let ready_build = |s: &Setup| {
            // The build of `s`'s sources: the one this start compiles, or the pending one.
            let c = choose(s).unwrap();
            let build = c.pending.unwrap_or(c.build);
            mark_ready(&build.ready_path().to_string_lossy());
            std::thread::sleep(Duration::from_millis(1100));
            build
        };
        let (built_a, built_b) = (ready_build(&a), ready_build(&b));
        assert_ne!(built_a.dir, built_b.dir);
        collect_garbage(&a, &[]);
        assert!(built_a.dir.exists() && built_b.dir.exists(), "each checkout keeps its newest build");
        // A's sources change: its kernels run A's last build (not B's newer one) meanwhile.
        std::fs::write(a.crate_dir.join("src/lib.rs"), "pub fn f() { 3; }\n").unwrap();
        let c = choose(&a).unwrap();
        assert_eq!(c.build.dir, built_a.dir);
        // A's new build is ready, and B's checkout is gone: only A's new build stays.
        let pending = c.pending.unwrap();
        mark_ready(&pending.ready_path().to_string_lossy());
        std::fs::remove_dir_all(dir.path().join("b")).unwrap();
        collect_garbage(&a, &[]);
        assert!(pending.dir.exists() && !built_a.dir.exists() && !built_b.dir.exists());
    }

    #[test]
    fn kernels_at_once_take_different_slots_and_a_held_build_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let s = setup(dir.path());
        let b = Build::new(&s, "0000000000000001");
        mark_ready(&{
            std::fs::create_dir_all(&b.dir).unwrap();
            b.ready_path().to_string_lossy().into_owned()
        });
        std::fs::create_dir_all(b.slot_dir(0).join("target/debug")).unwrap();
        std::fs::write(b.slot_dir(0).join("target/debug/libx.so"), "x").unwrap();
        let one = take_slot(&s, &b).unwrap();
        let two = take_slot(&s, &b).unwrap();
        assert_eq!((one.dir.clone(), two.dir.clone()), (b.slot_dir(0), b.slot_dir(1)));
        assert_eq!(std::fs::read_to_string(two.dir.join("target/debug/libx.so")).unwrap(), "x", "seeded from slot 0");
        drop(one);
        assert_eq!(take_slot(&s, &b).unwrap().dir, b.slot_dir(0), "a freed slot is taken again");
        // A newer ready build does not remove one a kernel still runs on.
        let newer = Build::new(&s, "0000000000000002");
        std::fs::create_dir_all(&newer.dir).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        mark_ready(&newer.ready_path().to_string_lossy());
        collect_garbage(&s, &[]);
        assert!(b.dir.exists(), "slot 1 is held");
        drop(two);
        // Best effort: a process another test forks at that moment holds the freed lock until
        // it execs, and the next collection then removes the build.
        for _ in 0..50 {
            collect_garbage(&s, &[]);
            if !b.dir.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!b.dir.exists() && newer.dir.exists());
    }

    #[test]
    fn a_new_build_starts_from_the_last_ready_one_without_its_marble() {
        let dir = tempfile::tempdir().unwrap();
        let s = setup(dir.path());
        let old = Build::new(&s, "00000000000000aa");
        std::fs::create_dir_all(&old.dir).unwrap();
        mark_ready(&old.ready_path().to_string_lossy());
        let deps = old.slot_dir(0).join("target/x86/debug/deps");
        std::fs::create_dir_all(&deps).unwrap();
        std::fs::create_dir_all(old.slot_dir(0).join("target/x86/debug/.fingerprint/marble-01")).unwrap();
        std::fs::create_dir_all(old.slot_dir(0).join("target/x86/debug/.fingerprint/serde-02")).unwrap();
        for f in ["libserde-02.rlib", "libmarble-01.so", "libmarble-01.rlib"] {
            std::fs::write(deps.join(f), f).unwrap();
        }
        let new = Build::new(&s, "00000000000000bb");
        let slot = take_slot(&s, &new).unwrap();
        let t = slot.dir.join("target/x86/debug");
        assert!(t.join("deps/libserde-02.rlib").is_file() && t.join(".fingerprint/serde-02").is_dir());
        assert!(!t.join("deps/libmarble-01.so").exists() && !t.join(".fingerprint/marble-01").exists());
        assert!(deps.join("libmarble-01.so").is_file(), "the old build keeps its own");
    }

    #[test]
    fn counting_compiled_crates_reads_fingerprint_names() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("target");
        for d in
            ["debug/.fingerprint/serde-0123", "debug/.fingerprint/serde-4567", "x86/debug/.fingerprint/rand_core-89ab"]
        {
            std::fs::create_dir_all(t.join(d)).unwrap();
        }
        std::fs::create_dir_all(t.join("x86/debug/.fingerprint/ctx-cdef")).unwrap();
        assert_eq!(compiled_packages(dir.path(), "x86"), 2);
        assert_eq!(ago(30), "30 s");
        assert_eq!(ago(3 * 3600), "3 h");
    }
}
