//! What the kernel needs from the Rust toolchain and from evcxr at run time, independent of
//! where the kernel's cache is.
//!
//! evcxr compiles each cell into a shared library with `-C prefer-dynamic`, so that library
//! links the toolchain's own `libstd-<hash>.so`, and it finds it through a RUNPATH relative to
//! `$ORIGIN` (`rpath = true`). That relative path is computed for the library where cargo
//! writes it (`target/<triple>/debug/deps/`), but evcxr loads the copy one folder up
//! (`target/<triple>/debug/`). When the cache and the toolchain share a parent below `/`
//! (the default cache `~/.cache/marble/kernel` and rustup's `~/.rustup`), the climb ends one
//! level short, the loader finds no standard library, and every cell fails with evcxr's
//! `dlopen failed`. Where they share only `/`, the extra `..` is absorbed at the root, which
//! is why a cache under `/var` or `/tmp` worked. The launcher therefore names the toolchain's
//! library folder on the loader's search path (`LOADER_PATH_ENV`), which the loader searches
//! before any RUNPATH: the load no longer depends on the relative placement of the two.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The evcxr_jupyter version the kernel is built and tested with (the README's install line
/// pins it, and `.ci/run` installs it).
pub(crate) const EVCXR_VERSION: &str = "0.22.0";

/// The variable the dynamic loader searches before a library's own RUNPATH.
#[cfg(target_os = "macos")]
pub(crate) const LOADER_PATH_ENV: &str = "DYLD_LIBRARY_PATH";
/// The variable the dynamic loader searches before a library's own RUNPATH.
#[cfg(windows)]
pub(crate) const LOADER_PATH_ENV: &str = "PATH";
/// The variable the dynamic loader searches before a library's own RUNPATH.
#[cfg(not(any(target_os = "macos", windows)))]
pub(crate) const LOADER_PATH_ENV: &str = "LD_LIBRARY_PATH";

/// The Rust toolchain evcxr compiles with: `rustc -vV` and `rustc --print sysroot`.
#[derive(Clone, Debug, PartialEq)]
pub struct Toolchain {
    /// The first line of `rustc -vV` (`rustc 1.95.0 (...)`).
    pub version: String,
    /// The host triple (`x86_64-unknown-linux-gnu`).
    pub host: String,
    /// The toolchain's root folder.
    pub sysroot: PathBuf,
}

fn rustc(args: &[&str]) -> Result<String> {
    let out = Command::new("rustc")
        .args(args)
        .output()
        .map_err(|e| Error::io("cannot run (is a Rust toolchain on PATH?)", Path::new("rustc"), e))?;
    if !out.status.success() {
        return Err(Error::argument(
            "rustc",
            format!("`rustc {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Toolchain {
    /// The toolchain `rustc` on `PATH` names (through rustup, the default one).
    pub fn find() -> Result<Toolchain> {
        let verbose = rustc(&["-vV"])?;
        let version = verbose.lines().next().unwrap_or_default().trim().to_string();
        let host = verbose.lines().find_map(|l| l.strip_prefix("host: ")).unwrap_or_default().trim().to_string();
        let sysroot = PathBuf::from(rustc(&["--print", "sysroot"])?.trim());
        Ok(Toolchain { version, host, sysroot })
    }

    /// The folder of the toolchain's shared standard library for the host, the one evcxr's
    /// libraries link: `<sysroot>/lib/rustlib/<host>/lib`.
    pub fn lib_dir(&self) -> PathBuf {
        self.sysroot.join("lib/rustlib").join(&self.host).join("lib")
    }

    /// Whether [`Toolchain::lib_dir`] holds a shared `libstd` (a minimal toolchain has one;
    /// a broken or foreign one may not).
    pub fn has_shared_std(&self) -> bool {
        std::fs::read_dir(self.lib_dir()).into_iter().flatten().flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("libstd-") && [".so", ".dylib"].iter().any(|x| name.ends_with(x))
                || name.starts_with("std-") && name.ends_with(".dll")
        })
    }

    /// `LOADER_PATH_ENV` for evcxr's process: the toolchain's library folder first, then
    /// whatever the variable held.
    pub fn loader_path(&self) -> OsString {
        let old = std::env::var_os(LOADER_PATH_ENV).unwrap_or_default();
        let paths = std::iter::once(self.lib_dir()).chain(std::env::split_paths(&old));
        std::env::join_paths(paths).unwrap_or_else(|_| self.lib_dir().into_os_string())
    }

    /// Put the toolchain's library folder on `cmd`'s loader path (see the module
    /// documentation).
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env(LOADER_PATH_ENV, self.loader_path());
    }
}

/// The version of the evcxr_jupyter binary at `evcxr`: what cargo recorded when it installed
/// it (`$CARGO_HOME/.crates2.json`), else what `--version` prints (evcxr_jupyter 0.22 has no
/// such flag, and refusing it costs a quarter of a second at every kernel start), else
/// `None`.
pub(crate) fn evcxr_version(evcxr: &Path) -> Option<String> {
    if let Some(v) = installed_by_cargo(evcxr) {
        return Some(v);
    }
    let printed = Command::new(evcxr).arg("--version").stdin(std::process::Stdio::null()).output().ok();
    if let Some(out) = printed.filter(|o| o.status.success()) {
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(v) = text.split_whitespace().map(|w| w.trim_start_matches('v')).find(|w| looks_like_version(w)) {
            return Some(v.to_string());
        }
    }
    None
}

fn looks_like_version(w: &str) -> bool {
    let parts: Vec<&str> = w.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The version cargo recorded for the package that installed `bin` into `$CARGO_HOME/bin`.
fn installed_by_cargo(bin: &Path) -> Option<String> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    if bin.parent()? != cargo_home.join("bin") {
        return None;
    }
    let name = bin.file_name()?.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(cargo_home.join(".crates2.json")).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    doc["installs"].as_object()?.iter().find_map(|(package, install)| {
        let has_bin = install["bins"].as_array()?.iter().any(|b| b.as_str() == Some(name.as_str()));
        let mut words = package.split_whitespace();
        (has_bin && words.next()? == "evcxr_jupyter").then(|| words.next().map(str::to_string))?
    })
}

/// What to say when `evcxr` is not the version the kernel is tested with, or `None` when it is.
pub fn evcxr_mismatch(evcxr: &Path) -> Option<String> {
    let install = format!("cargo install evcxr_jupyter --locked --version {EVCXR_VERSION}");
    match evcxr_version(evcxr) {
        Some(v) if v == EVCXR_VERSION => None,
        Some(v) => Some(format!(
            "marble: this kernel is tested with evcxr_jupyter {EVCXR_VERSION}, but {} is {v}; \
             if cells fail, run `{install}`",
            evcxr.display()
        )),
        None => Some(format!(
            "marble: this kernel is tested with evcxr_jupyter {EVCXR_VERSION}, and the version of {} \
             is unknown; if cells fail, run `{install}`",
            evcxr.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toolchain_names_a_folder_with_a_shared_standard_library() {
        let t = Toolchain::find().unwrap();
        assert!(t.version.starts_with("rustc "), "{t:?}");
        assert!(!t.host.is_empty(), "{t:?}");
        assert!(t.has_shared_std(), "no shared libstd in {}", t.lib_dir().display());
        // The folder comes first on the loader's path, ahead of what was there.
        let first = std::env::split_paths(&t.loader_path()).next().unwrap();
        assert_eq!(first, t.lib_dir());
    }

    #[test]
    fn versions_are_read_from_words_like_a_semver() {
        assert!(looks_like_version("0.22.0"));
        assert!(!looks_like_version("0.22"));
        assert!(!looks_like_version("evcxr_jupyter"));
        assert!(!looks_like_version("1.x.0"));
    }

    #[cfg(unix)]
    #[test]
    fn a_stand_in_evcxr_is_told_apart_by_its_version() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("evcxr_jupyter");
        let script = |v: &str| format!("#!/bin/sh\n[ \"$1\" = --version ] && echo \"evcxr_jupyter {v}\"\n");
        std::fs::write(&fake, script(EVCXR_VERSION)).unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(evcxr_version(&fake).as_deref(), Some(EVCXR_VERSION));
        assert_eq!(evcxr_mismatch(&fake), None);
        std::fs::write(&fake, script("0.17.0")).unwrap();
        let said = evcxr_mismatch(&fake).unwrap();
        assert!(said.contains("0.17.0") && said.contains(&format!("--version {EVCXR_VERSION}")), "{said}");
    }
}
