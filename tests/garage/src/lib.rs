//! A real S3 server for tests: Garage (single node, `replication_factor = 1`, sqlite metadata)
//! started in a temp dir on free loopback ports, with one bucket and one key allowed to read
//! and write it. Dropping [`Garage`] kills the server and removes its files.
//!
//! The binary comes from `scripts/garage-setup.sh` (cached under ~/.cache/animatrix-garage) or
//! `ANIMATRIX_GARAGE_BIN`. Every wait has a deadline: a server that does not come up fails the
//! test with its log instead of hanging it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use animatrix_storage::{Credentials, StorageTarget};

mod http;
mod run_video;

pub use http::{Fetched, curl};
pub use run_video::grow_run_video;

/// Version installed by `scripts/garage-setup.sh` (keep the two in step).
pub const GARAGE_VERSION: &str = "2.5.0";
/// The region Garage answers to (its `s3_region`).
pub const REGION: &str = "garage";
const START_DEADLINE: Duration = Duration::from_secs(30);
/// The one key the harness creates (and allows on every bucket it creates).
const KEY_NAME: &str = "animatrix-test";

pub struct Garage {
    child: Child,
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Where the binary is: `ANIMATRIX_GARAGE_BIN`, else the setup script's cache.
pub fn binary() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("ANIMATRIX_GARAGE_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let home = std::env::var_os("GARAGE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/animatrix-garage")))
        .ok_or("no HOME to find the Garage cache")?;
    let bin = home.join(GARAGE_VERSION).join("bin/garage");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "no Garage binary at {} (run scripts/garage-setup.sh, or set ANIMATRIX_GARAGE_BIN)",
            bin.display()
        ))
    }
}

/// `garage -c <dir>/garage.toml`: every call (the server and the admin CLI) reads one config.
fn command(bin: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("-c").arg(dir.join("garage.toml"));
    cmd
}

/// A free loopback port (bound then released: good enough for tests on one machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Garage {
    /// Starts a server with bucket `bucket` and a key allowed to read and write it. Panics (the
    /// test fails) with the server's log when anything does not come up in time.
    pub fn start(bucket: &str) -> Garage {
        let bin = binary().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().expect("temp dir");
        let (rpc, s3) = (free_port(), free_port());
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let config = format!(
            r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"
"#,
            meta = dir.path().join("meta").display(),
            data = dir.path().join("data").display(),
        );
        std::fs::write(dir.path().join("garage.toml"), config).expect("write config");
        let log = std::fs::File::create(dir.path().join("garage.log")).expect("log file");
        let child = command(&bin, dir.path())
            .arg("server")
            .env("RUST_LOG", "garage=warn")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let mut garage = Garage {
            child,
            dir,
            bin,
            endpoint: format!("http://127.0.0.1:{s3}"),
            bucket: bucket.to_string(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
        };
        garage.configure();
        garage
    }

    fn configure(&mut self) {
        // `node id` answers once the RPC layer is up.
        let node = self.until_ok("node id -q", &["node", "id", "-q"]);
        let node = node
            .trim()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string();
        self.until_ok(
            "layout assign",
            &["layout", "assign", "-z", "dc1", "-c", "1G", &node],
        );
        self.cli(&["layout", "apply", "--version", "1"]);
        let key = self.until_ok("key create", &["key", "create", KEY_NAME]);
        self.access_key_id = field(&key, "Key ID:").unwrap_or_else(|| panic!("key id in {key}"));
        self.secret_access_key =
            field(&key, "Secret key:").unwrap_or_else(|| panic!("secret in {key}"));
        let bucket = self.bucket.clone();
        self.until_ok("bucket create", &["bucket", "create", &bucket]);
        self.allow_key(&bucket);
        self.wait_s3();
    }

    /// Creates another bucket the test key may use.
    pub fn create_bucket(&self, name: &str) {
        self.cli(&["bucket", "create", name]);
        self.allow_key(name);
    }

    fn allow_key(&self, bucket: &str) {
        let args = ["bucket", "allow", "--read", "--write", "--owner", bucket];
        self.cli(&[&args[..], &["--key", KEY_NAME]].concat());
    }

    /// Runs `garage <args>` against this server, panicking with its output on failure.
    pub fn cli(&self, args: &[&str]) -> String {
        self.run(args)
            .unwrap_or_else(|e| panic!("{e}\n{}", self.log()))
    }

    fn run(&self, args: &[&str]) -> Result<String, String> {
        let out = command(&self.bin, self.dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("garage {args:?}: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() {
            Ok(text)
        } else {
            Err(format!(
                "garage {args:?}: {}\n{text}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn until_ok(&self, what: &str, args: &[&str]) -> String {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            match self.run(args) {
                Ok(text) => return text,
                Err(e) if Instant::now() > deadline => {
                    panic!(
                        "garage {what} not ready in {START_DEADLINE:?}: {e}\n{}",
                        self.log()
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// The S3 port accepts connections once the layout is live.
    fn wait_s3(&self) {
        let addr = self.endpoint.trim_start_matches("http://");
        let deadline = Instant::now() + START_DEADLINE;
        while std::net::TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline {
                panic!("garage S3 port {addr} not open in time\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The storage target for `bucket` under `prefix` on this server (path-style: Garage's
    /// virtual-host names would need DNS).
    pub fn target(&self, bucket: &str, prefix: &str) -> StorageTarget {
        StorageTarget {
            endpoint_url: self.endpoint.clone(),
            region: REGION.into(),
            bucket: bucket.into(),
            prefix: prefix.into(),
            path_style: true,
        }
    }

    /// The test key with `secret` (the real one: [`Garage::credentials`]).
    pub fn credentials_with(&self, secret: &str) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: secret.to_string().into(),
        }
    }

    pub fn credentials(&self) -> Credentials {
        self.credentials_with(&self.secret_access_key)
    }

    /// The multipart uploads `bucket` holds (started, neither completed nor aborted) as
    /// (key, upload id): S3's ListMultipartUploads, which object_store does not offer, signed
    /// by curl's SigV4.
    pub fn multipart_uploads(&self, bucket: &str) -> Vec<(String, String)> {
        // `uploads=` rather than `uploads`: curl signs the query as written, S3 canonicalises it
        // with the `=`.
        let url = format!("{}/{bucket}?uploads=", self.endpoint);
        let user = format!("{}:{}", self.access_key_id, self.secret_access_key);
        let sigv4 = format!("aws:amz:{REGION}:s3");
        // S3 wants the payload's hash signed too; this is the empty body's.
        let empty = "x-amz-content-sha256: \
                     e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let args = ["--aws-sigv4", &sigv4, "--user", &user, "-H", empty];
        let got = http::curl_body(&url, &args);
        assert_eq!(got.status, 200, "ListMultipartUploads: {got:?}");
        http::uploads_in(&got.body)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("garage.log")).unwrap_or_default()
    }
}

fn field(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(name))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
