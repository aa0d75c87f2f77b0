//! Shared by the real-ComfyUI suites: a connection to a kit server (client, event hub, its
//! `/object_info` and devices as the workflow crate reads them), the shipped templates, and the
//! fixtures. `run.rs` runs one case end to end.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (team brief)

pub mod retime;
pub mod run;

use std::path::PathBuf;
use std::sync::OnceLock;

use animatrix_comfy::{Auth, ClientOptions, ComfyClient, Endpoint, EventHub, HubOptions};
use animatrix_workflow::{Catalog, Device, ModelsByFolder, ObjectInfo, ServerFacts, Template};
pub use realcomfy_harness::workflows_dir;
use realcomfy_harness::{KitServer, repo_root, write_tiny_catalog};

/// A live connection to one kit server.
pub struct Session {
    pub server: &'static KitServer,
    pub client: ComfyClient,
    pub hub: EventHub,
    /// `/object_info` of the server, as the workflow crate validates against it.
    pub info: ObjectInfo,
    /// `devices` of `/system_stats`.
    pub devices: Vec<Device>,
}

impl Session {
    /// Connects to `server` (within a tokio runtime: the hub runs on it).
    pub async fn connect(server: &'static KitServer) -> Session {
        let endpoint = Endpoint::parse(&server.base_url(), Auth::None).expect("kit URL parses");
        let client = ComfyClient::new(endpoint, ClientOptions::default()).expect("client");
        let typed = client.object_info().await.expect("GET /object_info");
        // The core does the same: re-encode the client's typed answer for the workflow layer.
        let raw = serde_json::to_value(&typed).expect("object_info re-encodes");
        let info = ObjectInfo::from_value(&raw).expect("object_info parses");
        let stats = client.system_stats().await.expect("GET /system_stats");
        let devices = ServerFacts::devices_from_system_stats(
            &serde_json::to_value(&stats).expect("system_stats re-encodes"),
        )
        .expect("devices parse");
        let hub = EventHub::start(client.clone(), HubOptions::default());
        Session {
            server,
            client,
            hub,
            info,
            devices,
        }
    }

    /// What the planner knows of this server for `template`: node classes, devices and the
    /// model lists of the folders the template reads (as the core gathers them).
    pub async fn facts(&self, template: &Template) -> ServerFacts {
        let mut models = ModelsByFolder::new();
        for folder in animatrix_workflow::model_folders(template) {
            if let Some(files) = self.client.models(&folder).await.expect("GET /models") {
                models.insert(folder, files);
            }
        }
        ServerFacts::new(&self.info, Some(self.devices.clone()), models)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.hub.shutdown();
    }
}

/// A sample file of `../shared/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("../shared/fixtures").join(name)
}

/// The shipped templates, exactly as the app loads them.
pub fn shipped() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::load(&workflows_dir()).expect("shipped templates load"))
}

/// The shipped templates with only the Draft resolutions shrunk to [`realcomfy_harness::TINY_DRAFT`]: same
/// graphs, same everything else. Written to a folder that lives as long as the test binary.
pub fn tiny() -> &'static Catalog {
    static C: OnceLock<(tempfile::TempDir, Catalog)> = OnceLock::new();
    &C.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        write_tiny_catalog(dir.path()).expect("tiny catalog written");
        let c = Catalog::load(dir.path()).expect("tiny templates load");
        (dir, c)
    })
    .1
}

/// A multi-thread runtime for one test (the hub's socket and the test run side by side).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
