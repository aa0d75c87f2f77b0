//! One running app under WebDriver, plus the processes behind it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::HarnessError;
use super::paths::test_output_dir;
use super::prereqs::Prereqs;
use super::process::Guarded;
use super::xvfb::Xvfb;

/// How long an element may take to appear: generous for a 2-core CI machine under load.
pub const WAIT: Duration = Duration::from_secs(20);
const DRIVER_READY: Duration = Duration::from_secs(20);

#[derive(Debug, Default)]
pub struct LaunchOptions {
    /// Data dir for the app (`ANIMATRIX_DATA_DIR`); a fresh temp dir when `None`.
    pub data_dir: Option<PathBuf>,
    /// Extra environment for the app (it inherits tauri-driver's environment).
    pub env: Vec<(String, String)>,
    /// Xvfb screen size; 1440x900 when `None` so the 1280x800 window fits.
    pub screen: Option<(u32, u32)>,
    /// A WebKitGTK browser to launch instead of the app (the benchmark's reference: WebKit's
    /// own MiniBrowser showing the same UI bundle), driven by WebKitWebDriver directly.
    pub reference_browser: Option<PathBuf>,
}

/// Launch timings, in milliseconds from just before the WebDriver session request that starts
/// the app process.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// The WebDriver session exists (the app process runs and its web view answers).
    pub session_ms: u128,
    /// The first UI element was found in the page.
    pub first_element_ms: u128,
    /// The page's own first-contentful-paint, placed on the same clock through
    /// `performance.timeOrigin`; `None` when the web view does not report paint timing.
    pub first_contentful_paint_ms: Option<f64>,
}

pub struct AppSession {
    pub client: Client,
    /// The app's `ANIMATRIX_DATA_DIR`.
    pub data_dir: PathBuf,
    /// The X display the window is on.
    pub display: String,
    launched_wall: SystemTime,
    launched: Instant,
    session_ready: Instant,
    // Dropped in this order: driver (and with it the app), then the X server, then the data.
    driver: Option<Guarded>,
    xvfb: Option<Xvfb>,
    _temp: Option<TempDir>,
}

impl AppSession {
    /// Starts Xvfb (unless using an existing display), tauri-driver on free ports, and a WebDriver
    /// session that launches the app with `ANIMATRIX_DATA_DIR` set.
    pub async fn launch(
        prereqs: &Prereqs,
        options: LaunchOptions,
    ) -> Result<AppSession, HarnessError> {
        let (temp, data_dir) = match options.data_dir {
            Some(dir) => (None, dir),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("animatrix-e2e-data-")
                    .tempdir()
                    .map_err(|source| HarnessError::Io {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };

        let (xvfb, display) = match &prereqs.xvfb {
            Some(bin) => {
                let (w, h) = options.screen.unwrap_or((1440, 900));
                let x = Xvfb::start(bin, w, h)?;
                let display = x.display.clone();
                (Some(x), display)
            }
            None => (None, prereqs.existing_display.clone().unwrap_or_default()),
        };

        let port = free_port()?;
        let native_port = free_port()?;
        // The reference browser talks to WebKitWebDriver directly: tauri-driver only knows how
        // to launch Tauri apps.
        let (mut command, what) = match &options.reference_browser {
            None => {
                let mut c = Command::new(&prereqs.tauri_driver);
                c.arg("--port")
                    .arg(port.to_string())
                    .arg("--native-port")
                    .arg(native_port.to_string())
                    .arg("--native-driver")
                    .arg(&prereqs.native_driver);
                (c, "tauri-driver")
            }
            Some(_) => {
                let mut c = Command::new(&prereqs.native_driver);
                c.arg(format!("--port={port}"));
                (c, "WebKitWebDriver")
            }
        };
        command
            // The app inherits this environment through WebKitWebDriver.
            .env("DISPLAY", &display)
            .env("GDK_BACKEND", "x11")
            .env_remove("WAYLAND_DISPLAY")
            .env("ANIMATRIX_DATA_DIR", &data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (key, value) in &options.env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .map_err(|source| HarnessError::Spawn { what, source })?;
        let mut driver = Guarded::new(what, child);
        wait_for_port(&mut driver, port).await?;

        let mut capabilities = serde_json::Map::new();
        match &options.reference_browser {
            None => {
                wait_for_port(&mut driver, native_port).await?;
                capabilities.insert(
                    "tauri:options".into(),
                    json!({ "application": prereqs.app_bin.display().to_string() }),
                );
            }
            Some(browser) => {
                capabilities.insert(
                    "webkitgtk:browserOptions".into(),
                    json!({ "binary": browser.display().to_string(), "args": ["--automation"] }),
                );
            }
        }
        let launched_wall = SystemTime::now();
        let launched = Instant::now();
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await?;
        let session_ready = Instant::now();
        eprintln!(
            "window harness: app {} on display {display}, tauri-driver pid {} port {port}, data dir {}",
            prereqs.app_bin.display(),
            driver.pid(),
            data_dir.display()
        );
        Ok(AppSession {
            client,
            data_dir,
            display,
            launched_wall,
            launched,
            session_ready,
            driver: Some(driver),
            xvfb,
            _temp: temp,
        })
    }

    /// Waits for the element with `data-testid` and returns it.
    pub async fn find(&self, testid: &str) -> Result<Element, HarnessError> {
        self.find_css(&testid_css(testid)).await
    }

    /// Waits for the element matching a CSS selector.
    pub async fn find_css(&self, css: &str) -> Result<Element, HarnessError> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .map_err(HarnessError::cmd(format!("waiting for {css}")))
    }

    /// Waits up to `limit` for the element matching a CSS selector (a job that has to finish
    /// takes longer than an element that has to render).
    pub async fn find_css_within(
        &self,
        css: &str,
        limit: Duration,
    ) -> Result<Element, HarnessError> {
        self.client
            .wait()
            .at_most(limit)
            .for_element(Locator::Css(css))
            .await
            .map_err(HarnessError::cmd(format!(
                "waiting {}s for {css}",
                limit.as_secs()
            )))
    }

    /// Runs a script in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Result<Value, HarnessError> {
        self.client
            .execute(script, vec![])
            .await
            .map_err(HarnessError::cmd("running a script in the page"))
    }

    /// Every element currently matching a CSS selector (no waiting).
    pub async fn find_all_css(&self, css: &str) -> Result<Vec<Element>, HarnessError> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map_err(HarnessError::cmd(format!("finding {css}")))
    }

    /// Whether an element with `data-testid` is present right now.
    pub async fn exists(&self, testid: &str) -> Result<bool, HarnessError> {
        Ok(!self.find_all_css(&testid_css(testid)).await?.is_empty())
    }

    /// Waits until no element matches the CSS selector.
    pub async fn wait_gone_css(&self, css: &str) -> Result<(), HarnessError> {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.find_all_css(css).await?.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(HarnessError::NotReady {
                    what: "element removal",
                    seconds: WAIT.as_secs(),
                });
            }
            // WebDriver has no "element removed" event; poll the DOM like its own waits do.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn click(&self, testid: &str) -> Result<(), HarnessError> {
        self.find(testid)
            .await?
            .click()
            .await
            .map_err(HarnessError::cmd(format!("clicking {testid}")))
    }

    /// Clears the field with `data-testid` and types `text` into it, key by key.
    pub async fn type_into(&self, testid: &str, text: &str) -> Result<(), HarnessError> {
        let field = self.find(testid).await?;
        field
            .clear()
            .await
            .map_err(HarnessError::cmd(format!("clearing {testid}")))?;
        if text.is_empty() {
            // WebDriver refuses an empty "send keys"; clearing was all that was asked.
            return Ok(());
        }
        field
            .send_keys(text)
            .await
            .map_err(HarnessError::cmd(format!("typing into {testid}")))
    }

    pub async fn select(&self, testid: &str, value: &str) -> Result<(), HarnessError> {
        self.find(testid)
            .await?
            .select_by_value(value)
            .await
            .map_err(HarnessError::cmd(format!("selecting {value} in {testid}")))
    }

    pub async fn text(&self, testid: &str) -> Result<String, HarnessError> {
        self.find(testid)
            .await?
            .text()
            .await
            .map_err(HarnessError::cmd(format!("reading {testid}")))
    }

    /// Saves a PNG of the web view to `<test output>/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, HarnessError> {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(HarnessError::cmd("taking a screenshot"))?;
        let dir = test_output_dir();
        std::fs::create_dir_all(&dir).map_err(|source| HarnessError::Io {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|source| HarnessError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// Launch timings; call once the first UI element has been found.
    pub async fn timings(&self, first_element: Instant) -> Timings {
        let fcp = self
            .client
            .execute(
                "const p = performance.getEntriesByName('first-contentful-paint')[0];\
                 return p ? performance.timeOrigin + p.startTime : null;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v: Value| v.as_f64());
        let launched_epoch_ms = self
            .launched_wall
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or_default();
        Timings {
            session_ms: self.session_ready.duration_since(self.launched).as_millis(),
            first_element_ms: first_element.duration_since(self.launched).as_millis(),
            first_contentful_paint_ms: fcp.map(|epoch_ms| epoch_ms - launched_epoch_ms),
        }
    }

    /// Ends the WebDriver session (closing the app), then stops the driver and the X server.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if let Err(e) = client.close().await {
            eprintln!("window harness: closing the session failed: {e}");
        }
        self.driver.take();
        self.xvfb.take();
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Drop for AppSession {
    fn drop(&mut self) {
        self.driver.take();
        self.xvfb.take();
    }
}

/// The CSS selector for a `data-testid`.
pub fn testid_css(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

fn free_port() -> Result<u16, HarnessError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(HarnessError::NoPort)?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(HarnessError::NoPort)
}

/// Waits until something listens on `port`, failing fast if the driver died (it prints why).
async fn wait_for_port(driver: &mut Guarded, port: u16) -> Result<(), HarnessError> {
    let deadline = Instant::now() + DRIVER_READY;
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        driver.ensure_running()?;
        if Instant::now() > deadline {
            return Err(HarnessError::NotReady {
                what: driver.what,
                seconds: DRIVER_READY.as_secs(),
            });
        }
        // A listening socket sends no signal to a process that is not its parent; poll briefly.
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
