//! Where backups live, through the `object_store` crate: a local directory (the default,
//! under the state directory), Amazon S3 or an S3-compatible server (`s3://bucket/prefix`),
//! Azure Blob Storage (`az://container/prefix`) and Google Cloud Storage
//! (`gs://bucket/prefix`). Credentials come from the providers' usual variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`,
//! `AWS_ENDPOINT_URL`; `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`,
//! `AZURE_STORAGE_USE_EMULATOR`; `GOOGLE_SERVICE_ACCOUNT`...), read by the crate's
//! `from_env` builders. Every request has a timeout and a bounded number of retries.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::path::Path as ObjPath;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};

use super::format::{MANIFEST, Manifest, valid_id};
use crate::diag::{Code, Diagnostic};

/// How to reach a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Each request's timeout.
    pub timeout: Duration,
    /// Retries of a failed request (with backoff), bounded by `timeout` × (retries + 1).
    pub retries: usize,
    /// S3-compatible endpoint (else `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    /// Plain HTTP to the store (emulators, S3-compatible servers inside a network);
    /// `AWS_ALLOW_HTTP=true` and Azure's emulator mode allow it too.
    pub allow_http: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            timeout: Duration::from_secs(30),
            retries: 3,
            endpoint: None,
            allow_http: false,
        }
    }
}

/// A backup store.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    prefix: Option<ObjPath>,
    /// The directory of a local store (its empty directories are removed with a backup).
    local_root: Option<PathBuf>,
    /// The store as shown in messages (`s3://bucket/prefix`, a directory).
    pub shown: String,
}

/// A backup directory found in a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    /// Has a manifest (else an interrupted or running backup).
    pub complete: bool,
}

impl Store {
    /// Opens the store `url` names: `s3://`, `az://` (`azure://`, `abfs://`), `gs://`,
    /// `file://`, or a directory path (relative to `base`).
    pub fn open(url: &str, base: &Path, opts: &StoreOptions) -> Result<Store, Diagnostic> {
        install_crypto_provider();
        let bad = |m: String| Diagnostic::new(Code::Settings, format!("backup store {url}: {m}"));
        let (scheme, rest) = match url.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("file".to_string(), url),
        };
        if scheme == "file" {
            let dir = base.join(rest);
            return Store::local(&dir);
        }
        let (bucket, prefix) = match rest.split_once('/') {
            Some((b, p)) => (b, p.trim_matches('/')),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(bad("no bucket or container named".into()));
        }
        let env_true =
            |k: &str| std::env::var(k).is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        let client = ClientOptions::new()
            .with_timeout(opts.timeout)
            .with_connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .with_allow_http(opts.allow_http);
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
            max_retries: opts.retries,
            retry_timeout: opts.timeout * (opts.retries as u32 + 1),
        };
        let inner: Arc<dyn ObjectStore> = match scheme.as_str() {
            "s3" | "s3a" => {
                let mut b = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry);
                let endpoint = opts
                    .endpoint
                    .clone()
                    .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
                    .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
                    .filter(|e| !e.is_empty());
                let mut client = client;
                if env_true("AWS_ALLOW_HTTP") {
                    client = client.with_allow_http(true);
                }
                if let Some(e) = endpoint {
                    if e.starts_with("http://") {
                        client = client.with_allow_http(true);
                    }
                    // S3-compatible servers address buckets by path.
                    b = b.with_endpoint(e).with_virtual_hosted_style_request(false);
                }
                if std::env::var("AWS_DEFAULT_REGION").is_err()
                    && std::env::var("AWS_REGION").is_err()
                {
                    b = b.with_region("us-east-1");
                }
                Arc::new(
                    b.with_client_options(client)
                        .build()
                        .map_err(|e| bad(one_line(&e)))?,
                )
            }
            "az" | "azure" | "abfs" | "abfss" => {
                let emulator = env_true("AZURE_STORAGE_USE_EMULATOR");
                let client = if emulator {
                    client.with_allow_http(true)
                } else {
                    client
                };
                Arc::new(
                    object_store::azure::MicrosoftAzureBuilder::from_env()
                        .with_container_name(bucket)
                        .with_use_emulator(emulator)
                        .with_retry(retry)
                        .with_client_options(client)
                        .build()
                        .map_err(|e| bad(one_line(&e)))?,
                )
            }
            "gs" | "gcs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry)
                    .with_client_options(client)
                    .build()
                    .map_err(|e| bad(one_line(&e)))?,
            ),
            other => {
                return Err(bad(format!(
                    "unknown scheme {other}:// (use s3://, az://, gs://, file:// or a directory)"
                )));
            }
        };
        Ok(Store {
            inner,
            prefix: (!prefix.is_empty()).then(|| ObjPath::from(prefix)),
            local_root: None,
            shown: url.to_string(),
        })
    }

    /// A store in a local directory (created when missing).
    pub fn local(dir: &Path) -> Result<Store, Diagnostic> {
        let shown = dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(|e| {
            Diagnostic::new(
                Code::Storage,
                format!("cannot create the backup directory: {e}"),
            )
            .file(shown.clone())
        })?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(|e| {
            Diagnostic::new(Code::Storage, format!("backup directory: {}", one_line(&e)))
                .file(shown.clone())
        })?;
        Ok(Store {
            inner: Arc::new(fs),
            prefix: None,
            local_root: Some(dir.to_path_buf()),
            shown,
        })
    }

    fn path(&self, rel: &str) -> ObjPath {
        match &self.prefix {
            Some(p) => ObjPath::from(format!("{p}/{rel}")),
            None => ObjPath::from(rel),
        }
    }

    fn err(&self, op: &str, rel: &str, e: &object_store::Error) -> Diagnostic {
        let code = match e {
            object_store::Error::NotFound { .. } => Code::Backup,
            _ => Code::Storage,
        };
        Diagnostic::new(
            code,
            format!("backup store {}: {op} {rel}: {}", self.shown, one_line(e)),
        )
    }

    /// Writes `bytes` at `rel` (atomically: a reader sees all of it or nothing).
    pub async fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
        self.inner
            .put(&self.path(rel), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| self.err("cannot write", rel, &e))
    }

    /// The bytes at `rel`, `None` when there is nothing.
    pub async fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, Diagnostic> {
        match self.inner.get(&self.path(rel)).await {
            Ok(r) => r
                .bytes()
                .await
                .map(|b| Some(b.to_vec()))
                .map_err(|e| self.err("cannot read", rel, &e)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err("cannot read", rel, &e)),
        }
    }

    /// The backups in the store, complete or not, sorted by id.
    pub async fn list(&self) -> Result<Vec<Listed>, Diagnostic> {
        let listed = self
            .inner
            .list_with_delimiter(self.prefix.as_ref())
            .await
            .map_err(|e| self.err("cannot list", "backups", &e))?;
        let mut out = Vec::new();
        for p in listed.common_prefixes {
            let Some(id) = p.filename().map(str::to_string) else {
                continue;
            };
            if !valid_id(&id) {
                continue;
            }
            let complete = self
                .inner
                .head(&self.path(&format!("{id}/{MANIFEST}")))
                .await
                .is_ok();
            out.push(Listed { id, complete });
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The manifest of `id`; `None` when the backup has none (incomplete or missing).
    pub async fn manifest(&self, id: &str) -> Result<Option<Manifest>, Diagnostic> {
        let rel = format!("{id}/{MANIFEST}");
        match self.get(&rel).await? {
            Some(bytes) => Manifest::parse(&bytes, &format!("{}/{rel}", self.shown)).map(Some),
            None => Ok(None),
        }
    }

    /// Every file of backup `id`, as the store describes it.
    async fn metas(&self, id: &str) -> Result<Vec<object_store::ObjectMeta>, Diagnostic> {
        self.inner
            .list(Some(&self.path(id)))
            .try_collect()
            .await
            .map_err(|e| self.err("cannot list", id, &e))
    }

    /// The relative paths of every file of backup `id`.
    pub async fn files(&self, id: &str) -> Result<Vec<String>, Diagnostic> {
        let metas = self.metas(id).await?;
        let base = self
            .prefix
            .as_ref()
            .map(|p| format!("{p}/"))
            .unwrap_or_default();
        Ok(metas
            .into_iter()
            .map(|m| {
                let s = m.location.to_string();
                s.strip_prefix(&base).map(str::to_string).unwrap_or(s)
            })
            .collect())
    }

    /// Seconds since the epoch of the newest file of backup `id`.
    pub async fn last_modified(&self, id: &str) -> Result<Option<i64>, Diagnostic> {
        let metas = self.metas(id).await?;
        Ok(metas.iter().map(|m| m.last_modified.timestamp()).max())
    }

    /// Deletes backup `id`: the manifest first (so a half-deleted backup is never taken
    /// for a complete one), then everything else. Returns the files deleted.
    pub async fn delete_backup(&self, id: &str) -> Result<usize, Diagnostic> {
        let mut files = self.files(id).await?;
        let manifest = format!("{id}/{MANIFEST}");
        files.sort_by_key(|f| *f != manifest);
        for f in &files {
            match self.inner.delete(&self.path(f)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.err("cannot delete", f, &e)),
            }
        }
        // A local directory keeps its (now empty) subdirectories: remove them, so the
        // backup is gone from listings too.
        if let Some(root) = &self.local_root {
            let dir = root.join(id);
            if dir.is_dir() {
                std::fs::remove_dir_all(&dir).map_err(|e| {
                    Diagnostic::new(
                        Code::Storage,
                        format!("cannot remove the backup directory: {e}"),
                    )
                    .file(dir.display().to_string())
                })?;
            }
        }
        Ok(files.len())
    }
}

/// The default local store: `<state-dir>/backups`.
pub fn default_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("backups")
}

/// object_store's errors as one line, without the request URL's query (a SAS token
/// would be there).
pub fn one_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(q) = line.find('?') {
        let end = line[q..].find(' ').map(|n| q + n).unwrap_or(line.len());
        line.replace_range(q..end, "?…");
    }
    line
}

/// object_store's HTTP clients use rustls without a bundled provider: install ring's as
/// the process default (kube and the webhook use ring too). Installing twice is harmless.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines_hide_query_strings() {
        let e = "request failed: https://acct.blob.core.windows.net/c/x?sig=SECRET&se=1 timed out\n  caused by: io";
        let l = one_line(&e);
        assert!(!l.contains("SECRET"), "{l}");
        assert!(!l.contains('\n'));
        assert!(l.contains("timed out"));
    }

    #[test]
    fn unknown_schemes_and_missing_buckets_are_setting_errors() {
        let base = std::env::temp_dir();
        let e = Store::open("ftp://x/y", &base, &StoreOptions::default()).unwrap_err();
        assert!(e.message.contains("unknown scheme"), "{}", e.message);
        let e = Store::open("s3:///y", &base, &StoreOptions::default()).unwrap_err();
        assert!(e.message.contains("no bucket"), "{}", e.message);
    }
}
