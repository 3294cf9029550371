//! One owner per embedded store: an exclusive OS lock on `<data folder>/marble.lock`.
//!
//! The SQLite store belongs to one process: its startup recovery queues again every job left
//! running, which is only safe when no other process can be running them. So the process
//! that opens a data folder with the SQLite store holds an exclusive lock (`flock`, through
//! `std::fs::File::try_lock`) on a file in it for as long as it runs; the OS releases it
//! when the process ends, even by `kill -9`. A second process is refused with a message
//! naming the holder (pid and host, which the holder writes into the file). Engines opened
//! twice in one process (a notebook cell run again) share the lock.
//!
//! No command reads a data folder without opening the engine, so none shares it read-only:
//! several processes share a store through PostgreSQL (`--store postgres://...`) instead.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::error::{Error, Result};

/// The name of the lock file in the data folder.
pub const LOCK_FILE: &str = "marble.lock";

/// An exclusive lock on a data folder, released when the last engine of this process that
/// holds it is dropped (or the process ends).
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

/// The locks this process holds, by canonical folder.
fn held() -> &'static Mutex<HashMap<PathBuf, Weak<FolderLock>>> {
    static HELD: std::sync::OnceLock<Mutex<HashMap<PathBuf, Weak<FolderLock>>>> = std::sync::OnceLock::new();
    HELD.get_or_init(Default::default)
}

impl FolderLock {
    /// Take the lock on `dir` (which must exist), or share this process's.
    pub fn acquire(dir: &Path, owner: &str) -> Result<Arc<FolderLock>> {
        let key = dir.canonicalize().map_err(|e| Error::io("cannot open", dir, e))?;
        let mut held = held().lock().expect("lock registry");
        if let Some(lock) = held.get(&key).and_then(Weak::upgrade) {
            return Ok(lock);
        }
        let path = key.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io("cannot open", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() { "another process" } else { holder };
                return Err(Error::Locked {
                    message: format!(
                        "the data folder {} is in use by {holder}; its embedded store belongs to one process. \
                         Stop that process, use another --data-dir, or share one store between processes with \
                         --store postgres://...",
                        key.display()
                    ),
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("cannot lock", &path, e)),
        }
        // Say who holds it, for the message a second process prints.
        let _ = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| file.write_all(owner.as_bytes()));
        let lock = Arc::new(FolderLock { _file: file });
        held.insert(key, Arc::downgrade(&lock));
        Ok(lock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_process_shares_its_lock_and_names_itself_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = FolderLock::acquire(dir.path(), "pid 1 on host-a").unwrap();
        let b = FolderLock::acquire(dir.path(), "pid 1 on host-a").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text, "pid 1 on host-a");
        // A second open file description conflicts, as another process's would.
        let other = File::open(dir.path().join(LOCK_FILE)).unwrap();
        assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
        drop((a, b));
        assert!(other.try_lock().is_ok(), "dropping the last engine releases the lock");
    }
}
