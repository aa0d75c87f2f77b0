//! The studio tests' environment: the fake ComfyUI in this process, a data dir whose only
//! server is that fake (nothing may look up the real production host), and the app launched
//! with a dialog script, since WebDriver cannot operate native file dialogs.

use std::io::Write;
use std::path::{Path, PathBuf};

use animatrix_core::{AuthKind, NewEndpoint, Studio};
use fake_comfy::{FakeComfy, FakeComfyHandle};
use tempfile::TempDir;

use crate::window::{AppSession, LaunchOptions, Prereqs, testid_css};

/// The app's dialogs answer from this file (see `src-tauri/src/dialogs.rs`).
pub const DIALOG_SCRIPT_ENV: &str = "ANIMATRIX_DIALOG_SCRIPT";

pub struct StudioEnv {
    pub app: AppSession,
    pub fake: FakeComfyHandle,
    pub data: TempDir,
    /// Scratch space for the test's own files (dialog script, exported packs).
    pub scratch: TempDir,
    pub script: PathBuf,
}

/// A file of `../shared/fixtures`, as an absolute path.
pub fn fixture(name: &str) -> String {
    let path = crate::window::workspace_root()
        .join("../shared/fixtures")
        .join(name);
    path.canonicalize()
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
        .display()
        .to_string()
}

/// Adds the fake as the default server and removes the seeded production one.
pub async fn seed_fake_endpoint(data_dir: &Path, base_url: &str) {
    let studio = Studio::open(data_dir.to_path_buf()).expect("open data dir");
    studio
        .add_endpoint(
            NewEndpoint {
                name: "fake".into(),
                base_url: base_url.into(),
                auth: AuthKind::None,
                make_default: true,
            },
            None,
        )
        .await
        .expect("fake endpoint");
    studio
        .remove_endpoint("production")
        .await
        .expect("remove production");
}

impl StudioEnv {
    /// The fake (pacing `exec_ms` per node), the seeded data dir, and the app with its servers
    /// loaded.
    pub async fn start(prereqs: &Prereqs, exec_ms: u64) -> StudioEnv {
        StudioEnv::start_with(prereqs, exec_ms, Vec::new()).await
    }

    /// [`StudioEnv::start`] with more variables for the app (e.g. `GTK_THEME` for dark mode).
    pub async fn start_with(
        prereqs: &Prereqs,
        exec_ms: u64,
        extra_env: Vec<(String, String)>,
    ) -> StudioEnv {
        let fake = FakeComfy::builder()
            .exec_ms(exec_ms)
            .start()
            .await
            .expect("fake ComfyUI starts");
        // A GPU server, as production is: templates that need CUDA (Mix) are ready on it.
        fake.set_devices(vec![FakeComfyHandle::cuda_device(
            "NVIDIA RTX 4090",
            24_000_000_000,
        )]);
        let data = tempfile::tempdir().expect("data dir");
        seed_fake_endpoint(data.path(), &fake.base_url()).await;
        let scratch = tempfile::tempdir().expect("scratch dir");
        let script = scratch.path().join("dialogs.txt");
        std::fs::write(&script, "").expect("dialog script");
        let app = AppSession::launch(
            prereqs,
            LaunchOptions {
                data_dir: Some(data.path().to_path_buf()),
                env: std::iter::once((DIALOG_SCRIPT_ENV.into(), script.display().to_string()))
                    .chain(extra_env)
                    .collect(),
                ..LaunchOptions::default()
            },
        )
        .await
        .expect("launch the app");
        app.find_css("main[data-ready=\"true\"]")
            .await
            .expect("servers loaded");
        StudioEnv {
            app,
            fake,
            data,
            scratch,
            script,
        }
    }

    /// Queues the answer of the next native dialog the app shows.
    pub fn answer_next_dialog(&self, paths: &[String]) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.script)
            .expect("dialog script");
        writeln!(f, "{}", paths.join("\t")).expect("write dialog answer");
    }

    /// Attaches a fixture through the slot's + button and waits for its chip.
    pub async fn attach(&self, role: &str, fixture_name: &str) {
        self.answer_next_dialog(&[fixture(fixture_name)]);
        self.app
            .click(&format!("attach-{role}"))
            .await
            .unwrap_or_else(|e| panic!("attach {role}: {e}"));
        self.app
            .find_css(&format!(
                "{}[data-filled=\"true\"]",
                testid_css(&format!("slot-{role}"))
            ))
            .await
            .unwrap_or_else(|e| panic!("{role} chip filled with {fixture_name}: {e}"));
    }

    /// Waits until Generate is enabled: the composer asks the core to plan each edit
    /// (debounced), so the button follows the core's answer a moment after the last edit.
    pub async fn generate_when_ready(&self) {
        self.app
            .find_css(&format!("{}:not([disabled])", testid_css("generate")))
            .await
            .unwrap_or_else(|e| panic!("Generate never became enabled: {e}"))
            .click()
            .await
            .expect("click Generate");
    }

    /// A Studio over the app's data dir, to check what the core stored.
    pub fn studio(&self) -> Studio {
        Studio::open(self.data.path().to_path_buf()).expect("open the app's data dir")
    }
}

/// Waits until the composer shows the core's plan of what is on screen now (the composer
/// asks the core after each edit, debounced): take screenshots and read hints after this.
pub async fn plan_settled(app: &AppSession) {
    app.find_css("[data-testid=\"composer\"][data-plan=\"current\"]")
        .await
        .unwrap_or_else(|e| panic!("the composer never showed the plan of its current state: {e}"));
}

/// The UI's own record of `Date.now() - emitted_at_ms` for every progress update it rendered
/// (`window.__animatrixLatency`, see `ui/src/lib/latency.ts`).
#[derive(Debug, Clone)]
pub struct Latencies {
    /// Sorted, in milliseconds; never empty.
    pub sorted_ms: Vec<f64>,
}

impl Latencies {
    /// Reads the page's record; fails when the UI recorded no update at all.
    pub async fn read(app: &AppSession) -> Latencies {
        let v = app
            .eval("return window.__animatrixLatency || [];")
            .await
            .expect("latencies");
        let mut sorted_ms: Vec<f64> = v
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
            .unwrap_or_default();
        assert!(!sorted_ms.is_empty(), "the UI recorded no progress update");
        sorted_ms.sort_by(f64::total_cmp);
        Latencies { sorted_ms }
    }

    /// The `p` quantile (0..=1), nearest rank.
    pub fn pct(&self, p: f64) -> f64 {
        self.sorted_ms[((self.sorted_ms.len() - 1) as f64 * p).round() as usize]
    }

    pub fn len(&self) -> usize {
        self.sorted_ms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted_ms.is_empty()
    }
}
