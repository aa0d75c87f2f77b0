//! Shared setup: a fake ComfyUI, a client for it, fast hub timings, captured graphs.

use std::path::PathBuf;
use std::time::Duration;

use animatrix_comfy::{Auth, ClientOptions, ComfyClient, Endpoint, EventHub, HubOptions};
use fake_comfy::{FakeComfy, FakeComfyHandle};
use serde_json::Value;

pub const WAIT: Duration = Duration::from_secs(10);

pub fn captures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/comfyui"
    ))
}

pub fn capture(name: &str) -> Value {
    let text = std::fs::read_to_string(captures().join(name)).expect("capture");
    serde_json::from_str(&text).expect("json")
}

/// A fake with the input files the captured graphs load.
pub async fn fake() -> FakeComfyHandle {
    let fake = FakeComfy::builder()
        .exec_ms(2)
        .start()
        .await
        .expect("fake starts");
    put_inputs(&fake);
    fake
}

pub fn put_inputs(fake: &FakeComfyHandle) {
    fake.put_input_file("test_image.png", &fake_comfy::make_png(64, 48, 7))
        .expect("input");
    fake.put_input_file("test_audio.wav", b"RIFF....WAVEfmt ")
        .expect("input");
    fake.put_input_file("test_pose.mp4", b"\0\0\0\x18ftypmp42")
        .expect("input");
}

pub fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        transfer_idle_timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    }
}

pub fn client_with(fake: &FakeComfyHandle, auth: Auth, options: ClientOptions) -> ComfyClient {
    let endpoint = Endpoint::parse(&fake.base_url(), auth).expect("endpoint");
    ComfyClient::new(endpoint, options).expect("client")
}

pub fn client(fake: &FakeComfyHandle) -> ComfyClient {
    client_with(fake, Auth::None, options())
}

pub fn hub_options() -> HubOptions {
    HubOptions {
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        socket_healthy_after: Duration::from_millis(500),
        poll_interval: Duration::from_millis(50),
        foreign_poll_interval: Duration::from_millis(100),
        history_check_interval: Duration::from_secs(1),
        settle_poll_interval: Duration::from_millis(20),
        queue_take_grace: Duration::from_millis(200),
        poll_backoff_max: Duration::from_millis(400),
        ping_interval: Duration::from_secs(1),
        liveness_timeout: Duration::from_secs(5),
        reconcile_grace: Duration::from_millis(100),
        ..HubOptions::default()
    }
}

pub fn hub(client: &ComfyClient) -> EventHub {
    EventHub::start(client.clone(), hub_options())
}

/// LoadImage → ImageScale → RepeatImageBatch → LoadAudio → CreateVideo → SaveVideo.
pub fn success_graph() -> Value {
    capture("success_prompt_request.json")["prompt"].clone()
}

/// The success graph made distinct by `salt` (identical graphs are served from the server's
/// cache and would not run at all).
pub fn success_graph_salted(salt: u64) -> Value {
    let mut g = success_graph();
    g["3"]["inputs"]["amount"] = Value::from(2 + salt);
    g
}

/// The S2V probe: KSampler with progress and previews.
pub fn s2v_graph() -> Value {
    capture("wan_s2v_probe.json")
}

pub fn new_id() -> String {
    uuid_like()
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let pid = u64::from(std::process::id());
    format!("{pid:08x}-0000-4000-8000-{n:012x}")
}

/// Wait until the hub's socket is connected.
pub async fn connected(hub: &EventHub) {
    let mut state = hub.connection();
    tokio::time::timeout(
        WAIT,
        state.wait_for(|s| *s == animatrix_comfy::hub::ConnectionState::Connected),
    )
    .await
    .expect("hub connects in time")
    .expect("hub alive");
}
