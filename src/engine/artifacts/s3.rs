//! The object store behind `--artifacts s3://BUCKET/PREFIX` (the `s3` feature): blocking
//! calls over `object_store`, addressed by the path of a file below the artifact folder.

use object_store::ObjectStore;
use object_store::path::Path as Key;

use crate::error::{Error, Result};

pub(super) struct Remote {
    url: String,
    store: Box<dyn ObjectStore>,
    prefix: Key,
    /// object_store is async; every caller here is a blocking thread.
    runtime: Option<tokio::runtime::Runtime>,
}

fn remote_error(action: &'static str, what: impl std::fmt::Display, e: impl std::fmt::Display) -> Error {
    Error::Io { action, path: what.to_string().into(), source: std::io::Error::other(e.to_string()) }
}

impl Remote {
    /// The store at `url` (endpoint and credentials from the usual `AWS_*` variables).
    pub fn open(url: &str) -> Result<Remote> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| Error::argument("artifacts", format!("`{url}` is not an s3://BUCKET/PREFIX URL")))?;
        let prefix = rest.split_once('/').map_or("", |(_, p)| p.trim_matches('/'));
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_url(url)
            .build()
            .map_err(|e| Error::argument("artifacts", format!("cannot use `{url}`: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the runtime for", url, e))?;
        Ok(Remote { url: url.to_string(), store: Box::new(store), prefix: Key::from(prefix), runtime: Some(runtime) })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.as_ref().expect("dropped only with the remote").block_on(f)
    }

    fn key(&self, rel: &[String]) -> Key {
        Key::from_iter(self.prefix.parts().map(|p| p.as_ref().to_string()).chain(rel.iter().cloned()))
    }

    pub fn put(&self, rel: &[String], bytes: Vec<u8>) -> Result<()> {
        let key = self.key(rel);
        self.block_on(self.store.put(&key, bytes.into())).map_err(|e| remote_error("cannot upload to", &key, e))?;
        Ok(())
    }

    /// The object's bytes, or `None` when there is no such object.
    pub fn get(&self, rel: &[String]) -> Result<Option<Vec<u8>>> {
        let key = self.key(rel);
        let got = self.block_on(async {
            match self.store.get(&key).await {
                Ok(r) => r.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        Ok(got.map_err(|e| remote_error("cannot download", &key, e))?.map(|b| b.to_vec()))
    }

    /// Every object below the folder `rel`, as its path below that folder and its bytes,
    /// but those whose file name is in `skip`.
    pub fn get_all(&self, rel: &[String], skip: &[&str]) -> Result<Vec<(Vec<String>, Vec<u8>)>> {
        let prefix = self.key(rel);
        let listed = self.block_on(async {
            use futures_util::TryStreamExt;
            self.store.list(Some(&prefix)).try_collect::<Vec<_>>().await
        });
        let objects = listed.map_err(|e| remote_error("cannot list", &prefix, e))?;
        let mut out = Vec::new();
        for meta in objects {
            if meta.location.filename().is_some_and(|f| skip.contains(&f)) {
                continue;
            }
            let below: Vec<String> =
                meta.location.prefix_match(&prefix).into_iter().flatten().map(|p| p.as_ref().to_string()).collect();
            let bytes = self
                .block_on(async { self.store.get(&meta.location).await?.bytes().await })
                .map_err(|e| remote_error("cannot download", &meta.location, e))?;
            out.push((below, bytes.to_vec()));
        }
        Ok(out)
    }

    /// Delete the object (none is no error).
    pub fn delete(&self, rel: &[String]) -> Result<()> {
        let key = self.key(rel);
        match self.block_on(self.store.delete(&key)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(remote_error("cannot delete", &key, e)),
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // The engine may be dropped on an async thread, where a runtime cannot be.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
