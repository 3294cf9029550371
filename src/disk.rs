//! Free space on a disk (a leaf: it imports nothing of the crate, so errors can use it).

use std::path::Path;

/// Bytes an unprivileged process can still write on the filesystem that holds `path` (or
/// its nearest existing ancestor, for a file not yet written).
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let mut at = path;
    while !at.exists() {
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            _ => {
                at = Path::new(".");
                break;
            }
        }
    }
    let s = rustix::fs::statvfs(at)?;
    Ok(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_not_yet_written_is_measured_on_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let here = super::free_bytes(dir.path()).unwrap();
        let later = super::free_bytes(&dir.path().join("a/b/c.npy")).unwrap();
        assert!(here > 0);
        // The same filesystem, measured moments apart.
        assert!(here.abs_diff(later) < 64 << 20, "{here} vs {later}");
    }
}
