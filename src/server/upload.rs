//! `.npz` uploads streamed to the data folder: the body goes to a temporary file as it
//! arrives, with its size and the disk's free space checked as it grows, and the engine reads
//! the arrays from there. An upload holds one write buffer in memory, whatever its size, so
//! `--max-body-mib` bounds disk, not memory. The file is removed on every way out: after the
//! engine has read it, on an error, and when the client goes away mid-body (the body ends
//! early, or the request's future is dropped).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use futures_util::StreamExt;

use super::problem::{ApiError, ApiResult, blocking};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode};

/// Bytes gathered before each write to the file.
const WRITE_BYTES: usize = 1 << 20;
/// Bytes written between two looks at the disk's free space.
const CHECK_BYTES: u64 = 4 << 20;
/// Temporary uploads older than this when a server starts were left by a process that
/// stopped mid-upload (a live upload writes its file every few milliseconds).
const STALE: Duration = Duration::from_secs(3600);
/// How the temporary files are named: `upload_<random>.tmp`.
const PREFIX: &str = "upload_";

/// Where uploads are streamed, and how large they may grow.
#[derive(Clone, Debug)]
pub(super) struct Uploads {
    dir: PathBuf,
    max: u64,
}

/// An upload's temporary file, removed when dropped.
pub(super) struct TempUpload {
    path: PathBuf,
}

impl TempUpload {
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Uploads {
    /// Uploads to `dir` (on the disk of the datasets they become) of at most `max` bytes;
    /// temporary files that a stopped process left there are removed.
    pub(super) fn new(dir: PathBuf, max: u64) -> Uploads {
        sweep(&dir);
        Uploads { dir, max }
    }

    /// Write `body` to a temporary file: 413 `body_too_large` past the limit (at once when
    /// `Content-Length` says so), 507 `disk_full` when the disk's free space is, or falls,
    /// below the floor.
    pub(super) async fn receive(
        &self,
        engine: Arc<dyn Engine>,
        headers: &HeaderMap,
        body: Body,
    ) -> ApiResult<TempUpload> {
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(n) = declared.filter(|&n| n > self.max) {
            return Err(self.too_large(n));
        }
        let e = engine.clone();
        blocking(move || has_room(&*e, declared.unwrap_or(0))).await?;
        // Created here, not on a blocking thread: a request dropped meanwhile could not
        // remove a file created after it.
        let upload = TempUpload { path: self.dir.join(format!("{}.tmp", crate::engine::new_id("upload"))) };
        let file = std::fs::File::create(&upload.path).map_err(|e| Error::io("cannot write", &upload.path, e))?;
        let mut sink = Sink { file: Some(file), buf: Vec::with_capacity(WRITE_BYTES), unchecked: 0, engine };
        let mut received = 0u64;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::new(
                    ErrorCode::BAD_REQUEST,
                    format!("the body ended early (the client went away, or sent less than its length): {e}"),
                )
            })?;
            received += chunk.len() as u64;
            if received > self.max {
                return Err(self.too_large(received));
            }
            sink.buf.extend_from_slice(&chunk);
            if sink.buf.len() >= WRITE_BYTES {
                sink.flush(&upload.path).await?;
            }
        }
        sink.flush(&upload.path).await?;
        Ok(upload)
    }

    fn too_large(&self, bytes: u64) -> ApiError {
        ApiError::new(
            ErrorCode::BODY_TOO_LARGE,
            format!(
                "the body has {} bytes, above this server's limit of {} MiB; send a smaller .npz, or start \
                 the server with a larger --max-body-mib",
                if bytes > self.max { format!("at least {bytes}") } else { bytes.to_string() },
                self.max >> 20
            ),
        )
    }
}

/// The file being written and what waits to be written to it.
struct Sink {
    /// None only while a write is under way.
    file: Option<std::fs::File>,
    buf: Vec<u8>,
    /// Bytes written since the last look at the free space.
    unchecked: u64,
    engine: Arc<dyn Engine>,
}

impl Sink {
    /// Write the buffer out (on a blocking thread), and look at the free space every few MiB.
    async fn flush(&mut self, path: &Path) -> ApiResult<()> {
        let Some(mut file) = self.file.take() else {
            return Err(Error::Internal("an upload's file was lost after a failed write".into()).into());
        };
        let buf = std::mem::take(&mut self.buf);
        self.unchecked += buf.len() as u64;
        let check = self.unchecked >= CHECK_BYTES;
        if check {
            self.unchecked = 0;
        }
        let (engine, path) = (self.engine.clone(), path.to_path_buf());
        let (file, mut buf) = blocking(move || {
            file.write_all(&buf).map_err(|e| Error::io("cannot write", &path, e))?;
            if check {
                has_room(&*engine, 0)?;
            }
            Ok((file, buf))
        })
        .await?;
        buf.clear();
        self.file = Some(file);
        self.buf = buf;
        Ok(())
    }
}

/// `Ok` while the data folder's disk has `coming` bytes free above the floor, else
/// [`Error::DiskFull`].
fn has_room(engine: &dyn Engine, coming: u64) -> crate::Result<()> {
    let ready = engine.readiness()?;
    let needed = ready.min_free_mib + coming.div_ceil(1 << 20);
    if ready.writable && ready.free_mib >= needed {
        return Ok(());
    }
    warning!("refusing an upload: the data folder's disk has {} MiB free, below {needed} MiB", ready.free_mib);
    Err(Error::DiskFull { free_mib: ready.free_mib, needed_mib: Some(needed) })
}

/// Messages about the file's content name the upload, never a path of the server.
pub(super) fn as_uploaded(e: Error, path: &Path) -> Error {
    match e {
        Error::InputFormat { origin, message } => {
            let origin = origin.replacen(&path.display().to_string(), "the uploaded body", 1);
            Error::InputFormat { origin, message }
        }
        other => other,
    }
}

/// Remove the temporary uploads in `dir` that no process is writing any more.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = entry.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
        if name.starts_with(PREFIX) && name.ends_with(".tmp") && stale.is_some_and(|age| age > STALE) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
