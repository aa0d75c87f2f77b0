//! A fake ComfyUI 0.3.64 server for tests and demos, built from the captures in
//! `../shared/comfyui` (PROTOCOL.md and the JSON/JSONL files beside it).
//!
//! It serves the captured `/object_info` (merged with `tests/fake-comfy/data/object_info_overlay.json`
//! when present), `/models`, `/system_stats`, `/features`, `/embeddings`; accepts uploads, prompts,
//! queue/history/interrupt calls; validates prompts against object_info with ComfyUI's exact error
//! bodies; "executes" prompts sequentially, emitting the captured WebSocket event sequence to the
//! prompt's `client_id` (binary previews in both encodings), writing output files (SaveVideo → a
//! copy of `sample_output.mp4`, SaveImage/PreviewImage → a small PNG) served by `/view`, and
//! recording history entries in the captured shape. Faults are scriptable.
//!
//! # Library API
//!
//! ```no_run
//! use std::time::Duration;
//! use fake_comfy::{EndpointFault, ExpectedAuth, FakeComfy, PromptFault};
//!
//! # async fn demo() -> Result<(), fake_comfy::FakeComfyError> {
//! let fake = FakeComfy::builder()
//!     .exec_ms(5)                            // pacing per node (default 20 ms)
//!     // .object_info_overlay(Some(path))    // default: tests/fake-comfy/data/object_info_overlay.json if present
//!     // .data_dir(path)                     // default: a temp dir removed with the handle
//!     // .port(8188)                         // default: ephemeral
//!     // .max_upload_size(1 << 20)           // default: 104857600 as captured
//!     // .require_auth(ExpectedAuth::Bearer("t".into()))
//!     // .cache(false)                       // default: emulate ComfyUI's node cache
//!     .start()
//!     .await?;
//! let base = fake.base_url();                // "http://127.0.0.1:PORT"
//! let ws = fake.ws_url("my-client");         // "ws://127.0.0.1:PORT/ws?clientId=my-client"
//!
//! // Faults
//! let faults = fake.faults();
//! faults.on_next_prompt(PromptFault::default().error_at("13"));
//! faults.on_prompt("some-prompt-id", PromptFault::default().interrupt_at("5"));
//! faults.on_every_prompt(PromptFault::default().delay_start(Duration::from_millis(50)));
//! faults.on_next_prompt(PromptFault::default().hang_at("3"));   // until faults.release_hangs()
//! faults.endpoint(EndpointFault::delay("/object_info", Duration::from_millis(300)));
//! faults.endpoint(EndpointFault::malformed_json("/history/*").times(1));
//! faults.endpoint(EndpointFault::status("/queue", 503).method("GET"));
//! faults.endpoint(EndpointFault::json_body("/history/*", &b"{\"x\": \xff}"[..])); // any body
//! faults.endpoint(EndpointFault::hang("/history/*"));            // never answers
//! faults.endpoint(EndpointFault::trickle("/view", Duration::from_secs(10), "video/mp4"));
//! faults.endpoint(EndpointFault::endless("/view", "video/mp4", Some(20 << 30)));
//! faults.endpoint(EndpointFault::answer_lost("/prompt", fake_comfy::LostAnswer::Hang).method("POST"));
//! faults.on_next_prompt(PromptFault::default().duplicate_output_in("other")); // same name, 2 folders
//! faults.drop_websockets_on_upgrade(true);   // handshake, then cut, every time
//! faults.require_auth(ExpectedAuth::Basic { user: "u".into(), password: "p".into() });
//! faults.reject_uploads(true);                // 413 on every upload
//! faults.set_max_upload_size(1024);          // 413 above 1 KiB (also in /features)
//! faults.drop_websockets_now();
//! faults.drop_websockets_after(10);          // after 10 more delivered messages
//! faults.drop_websockets_schedule(&[3, 10]);  // after 3, then after 10 more
//! faults.clear();
//! fake.restart().await?;                      // drop sockets, lose queue/running/history/cache
//! fake.restart_with_downtime(Duration::from_millis(200)).await?; // port closed meanwhile
//!
//! // Synchronous tests: `FakeComfy::builder().start_blocking()?` runs it on its own runtime.
//!
//! // Inspection (all snapshots)
//! let _ = (fake.prompts(), fake.uploads(), fake.interrupts(), fake.queue_deletes(),
//!          fake.history_deletes(), fake.requests(), fake.auth_headers_seen(),
//!          fake.ws_connections_total(), fake.ws_connections_open(), fake.history_entry("id"));
//! // Waiting on signals, never sleeps:
//! let _entry = fake.wait_for_history("id", Duration::from_secs(5)).await;
//! let _ = fake.wait_running("id", Duration::from_secs(5)).await;
//! let _ = fake.wait_node("id", "13", Duration::from_secs(5)).await;   // node started
//! let _ = fake.wait_idle(Duration::from_secs(5)).await;
//! let _ = fake.wait_until(Duration::from_secs(5), |h| h.ws_connections_open() == 1).await;
//! fake.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Standalone binary
//!
//! `fake-comfy [--port N] [--exec-ms MS] [--data-dir DIR] [--overlay FILE] [--captures-dir DIR]
//! [--no-cache] [--require-bearer TOKEN | --require-basic USER:PASS | --require-header 'Name: value']`
//! prints `listening on http://127.0.0.1:PORT` on stdout, then serves until SIGINT/SIGTERM.
//! A process-level test scripts faults over HTTP with the `/__fake/*` control routes (no auth,
//! not recorded; see the `control` module): `POST /__fake/prompt_fault`, `/__fake/release`,
//! `/__fake/endpoint_fault`, `/__fake/auth`, `/__fake/uploads`, `/__fake/websockets`,
//! `/__fake/exec_ms`, `/__fake/restart`, `/__fake/clear`, and `GET /__fake/state`.
//!
//! # Fidelity notes
//! * Validation reproduces `execution.validate_prompt` (see [`validate`]), including quirks.
//! * Execution order is ComfyUI's ExecutionList order; the classic cache is emulated (nodes whose
//!   signature ran in the previous prompt are reported in `execution_cached` and skipped; cached
//!   output nodes re-send `executed`).
//! * Nodes reporting progress: KSampler/KSamplerAdvanced (`steps`, with previews),
//!   SamplerCustom(Advanced) (4, with previews), the Wan `*ToVideo*` nodes (3, no previews).
//! * Output writers: SaveVideo, SaveImage, PreviewImage, VHS_VideoCombine. Other output nodes
//!   run but report no UI.
//! * LoadImage/LoadAudio/LoadVideo validate against files in input/ (uploaded or
//!   [`FakeComfyHandle::put_input_file`]); a file deleted after validation fails at run time with
//!   the captured FileNotFoundError shape. Their option lists in /object_info stay as captured.
//! * `/view` ignores `preview=` and `channel=` (serves the original bytes).

mod builder;
mod captures;
mod control;
mod error;
mod executor;
mod fault_script;
mod faults;
mod handle;
mod outputs;
pub mod pyrepr;
mod routes;
mod server;
mod state;
pub mod validate;
mod ws;

pub use builder::{FakeComfy, FakeComfyBuilder};
pub use captures::{default_captures_dir, default_overlay_path};
pub use error::FakeComfyError;
pub use fault_script::Faults;
pub use faults::{
    CannedBody, EndpointFault, EndpointFaultKind, ExecErrorSpec, ExpectedAuth, FaultTarget,
    HangPoint, LostAnswer, PromptFault,
};
pub use handle::{AuthSeen, BlockingFakeComfy, FakeComfyHandle};
pub use outputs::make_png;
pub use state::{InterruptRecord, ReceivedPrompt, RequestRecord, UploadRecord};
