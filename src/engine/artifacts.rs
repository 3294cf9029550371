//! The files of a deployment: datasets, run folders and embeddings.
//!
//! ```text
//! datasets/<id>.npz        the conditions as uploaded
//! datasets/upload_<r>.tmp  an upload being received by the server (removed once read)
//! runs/<job id>/           a run folder (see crate::run): checkpoint, model, analysis
//! embeddings/<id>.npy      latents of a transform (float32), with <id>.condition.npy
//! ```
//!
//! They live in the data folder, which is all there is on one machine, or a folder that every
//! machine mounts. With an S3-compatible object store (`--artifacts s3://BUCKET/PREFIX`,
//! through the `object_store` crate) the data folder is each process's local copy instead:
//! a process fetches what it reads before reading it and publishes what it writes after
//! writing it, and a fit publishes its checkpoint every epoch, so that a worker on another
//! machine can take it over. Local files are written under a temporary name and renamed, and
//! an object store replaces an object whole, so no reader ever sees half a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

#[cfg(not(feature = "s3"))]
mod no_s3;
#[cfg(feature = "s3")]
mod s3;

#[cfg(not(feature = "s3"))]
use no_s3::Remote;
#[cfg(feature = "s3")]
use s3::Remote;

/// The artifact folder, and the object store it mirrors when there is one.
#[derive(Clone)]
pub struct Artifacts {
    root: PathBuf,
    remote: Option<Arc<Remote>>,
    /// Writes are refused below this much free space, in bytes (see [`Artifacts::check_room`]).
    min_free: u64,
}

/// The reserve file in the data folder: space held back for deletes on a full disk.
const RESERVE_FILE: &str = ".marble-reserve";

/// Free space of the data folder, as the readiness route reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Room {
    /// Free space, MiB.
    pub free_mib: u64,
    /// Writes are refused below this, MiB.
    pub min_free_mib: u64,
}

impl Room {
    /// Whether writes are accepted.
    pub fn writable(&self) -> bool {
        self.free_mib >= self.min_free_mib
    }
}

impl std::fmt::Debug for Artifacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let remote = self.remote.as_ref().map(|r| r.url());
        f.debug_struct("Artifacts").field("root", &self.root).field("remote", &remote).finish()
    }
}

impl Artifacts {
    /// The folder `root` (made with its subfolders), mirroring the object store at `url`
    /// (`s3://BUCKET/PREFIX`; endpoint and credentials from the usual `AWS_*` variables,
    /// `AWS_ENDPOINT` and `AWS_ALLOW_HTTP=true` for a local S3-compatible server) when given.
    pub fn open(root: &Path, url: Option<&str>) -> Result<Artifacts> {
        for sub in ["datasets", "runs", "embeddings"] {
            let d = root.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| Error::io("cannot create", &d, e))?;
        }
        let remote = match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(url) => Some(Arc::new(Remote::open(url)?)),
        };
        Ok(Artifacts { root: root.to_path_buf(), remote, min_free: 0 })
    }

    /// Refuse writes below `mib` MiB of free space, and hold a quarter of it (at most
    /// 16 MiB) in a reserve file that deleting releases when the disk is full, so that the
    /// store can always record a delete.
    pub fn with_min_free(mut self, mib: u64) -> Artifacts {
        self.min_free = mib << 20;
        self.ensure_reserve();
        self
    }

    fn reserve_bytes(&self) -> u64 {
        (self.min_free / 4).min(16 << 20)
    }

    /// The data folder's free space against the floor.
    pub fn room(&self) -> Result<Room> {
        let free = crate::disk::free_bytes(&self.root).map_err(|e| Error::io("cannot measure", &self.root, e))?;
        Ok(Room { free_mib: free >> 20, min_free_mib: self.min_free >> 20 })
    }

    /// `Ok` when there is room to write; [`Error::DiskFull`] below the floor (the path goes
    /// to the log, not into the message).
    pub fn check_room(&self) -> Result<()> {
        let room = self.room()?;
        if room.writable() {
            return Ok(());
        }
        warning!(
            "refusing writes: {} has {} MiB free, below --min-free-mib {}",
            self.root.display(),
            room.free_mib,
            room.min_free_mib
        );
        Err(Error::DiskFull { free_mib: room.free_mib, needed_mib: Some(room.min_free_mib) })
    }

    /// Give the reserve back to the disk when the floor is reached, so that a delete can
    /// be recorded; [`Artifacts::ensure_reserve`] takes it again once there is room.
    pub fn release_reserve_if_full(&self) {
        if self.room().is_ok_and(|r| !r.writable()) {
            let _ = std::fs::remove_file(self.root.join(RESERVE_FILE));
        }
    }

    /// Write the reserve file if it is missing and the disk has room for it above the floor.
    pub fn ensure_reserve(&self) {
        let path = self.root.join(RESERVE_FILE);
        let size = self.reserve_bytes();
        if size == 0 || path.exists() {
            return;
        }
        let free = crate::disk::free_bytes(&self.root).unwrap_or(0);
        if free < self.min_free + size {
            return;
        }
        // Real bytes (a sparse file would hold nothing back).
        let written = std::fs::write(&path, vec![0u8; size as usize]);
        if written.is_err() {
            let _ = std::fs::remove_file(&path);
        }
    }

    /// Where a dataset's conditions live.
    pub fn dataset_file(&self, id: &str) -> PathBuf {
        self.root.join("datasets").join(format!("{id}.npz"))
    }

    /// Where the server streams uploads before the engine reads them (temporary files ending
    /// in `.tmp`): the datasets' folder, on the disk whose free space is watched.
    pub fn uploads_dir(&self) -> PathBuf {
        self.root.join("datasets")
    }

    /// A job's run folder.
    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.root.join("runs").join(id)
    }

    /// An embedding's latents and conditions.
    pub fn embedding_files(&self, id: &str) -> (PathBuf, PathBuf) {
        let d = self.root.join("embeddings");
        (d.join(format!("{id}.npy")), d.join(format!("{id}.condition.npy")))
    }

    /// The path of `path` below the artifact folder, one part per component: its key in
    /// the object store, below the store's prefix.
    fn rel(&self, path: &Path) -> Result<Vec<String>> {
        let rel = path
            .strip_prefix(&self.root)
            .map_err(|_| Error::argument("artifacts", format!("{} is outside the artifact folder", path.display())))?;
        Ok(rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect())
    }

    /// Send a file written locally to the object store (nothing without one).
    pub fn publish(&self, path: &Path) -> Result<()> {
        let Some(remote) = &self.remote else { return Ok(()) };
        let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
        remote.put(&self.rel(path)?, bytes)
    }

    /// Send every file of a folder (but unfinished temporary ones).
    pub fn publish_dir(&self, dir: &Path) -> Result<()> {
        if self.remote.is_none() {
            return Ok(());
        }
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io("cannot read", dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io("cannot read", dir, e))?.path();
            // Files being written have a temporary name ending in .tmp (see write_atomic).
            let unfinished = path.extension().is_some_and(|x| x == "tmp");
            if path.is_file() && !unfinished {
                self.publish(&path)?;
            }
        }
        Ok(())
    }

    /// Bring a file from the object store, replacing the local copy (nothing without one;
    /// a missing object leaves the local file as it is).
    pub fn fetch(&self, path: &Path) -> Result<()> {
        let Some(remote) = &self.remote else { return Ok(()) };
        match remote.get(&self.rel(path)?)? {
            None => Ok(()),
            Some(bytes) => write_atomic(path, &bytes),
        }
    }

    /// Bring every file under a folder from the object store, but those named in `skip`.
    pub fn fetch_dir(&self, dir: &Path, skip: &[&str]) -> Result<()> {
        let Some(remote) = &self.remote else { return Ok(()) };
        for (below, bytes) in remote.get_all(&self.rel(dir)?, skip)? {
            let path = below.iter().fold(dir.to_path_buf(), |p, part| p.join(part));
            write_atomic(&path, &bytes)?;
        }
        Ok(())
    }

    /// Remove a file here and in the object store.
    pub fn remove(&self, path: &Path) -> Result<()> {
        if path.exists() {
            std::fs::remove_file(path).map_err(|e| Error::io("cannot remove", path, e))?;
        }
        if let Some(remote) = &self.remote {
            remote.delete(&self.rel(path)?)?;
        }
        Ok(())
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
    }
    crate::fsio::write_atomic(path, |tmp| std::fs::write(tmp, bytes).map_err(|e| Error::io("cannot write", tmp, e)))
}
