//! animatrix-comfy: the typed async ComfyUI client (HTTP + WebSocket) of Animatrix Studio.
//!
//! * [`ComfyClient`]: every endpoint of PROTOCOL §1, streamed uploads and downloads, typed
//!   errors ([`ComfyError`], with [`animatrix_common::Explain`]).
//! * [`EventHub`]: one WebSocket per endpoint; [`EventHub::track`] gives the job engine a
//!   stream of [`TrackedEvent`]s per prompt that always ends in an [`Outcome`] within a bounded
//!   time, even across socket drops, server restarts and hostile answers (it checks /history
//!   and /queue while the socket is down, and gives up with [`Outcome::Failed`] when its
//!   budgets are spent). [`EventHub::reconcile`] finds a prompt whose POST answer was lost.
//! * [`doctor()`]: is this endpoint usable, and if not, why.
//!
//! How the job engine uses it:
//!
//! ```no_run
//! use animatrix_comfy::*;
//! # async fn job(graph: serde_json::Value, input: &std::path::Path, out: &std::path::Path)
//! #     -> Result<(), ComfyError> {
//! let endpoint = Endpoint::parse("https://comfy.example.test", Auth::Bearer("token".into()))?;
//! let client = ComfyClient::new(endpoint, ClientOptions::default())?;
//! let hub = EventHub::start(client.clone(), HubOptions::default()); // one per endpoint
//!
//! let uploaded = client
//!     .upload(input, &UploadTarget::input("sha256-abc.png"), |p| println!("{p:?}"))
//!     .await?;
//! // … bind `uploaded.as_input_value()` into the graph …
//! let prompt_id = "0b57ccb5-5d48-4b0b-bd75-7fdaa250724b"; // ours, stored before submitting
//! let (_accepted, mut tracked) = hub.submit(&graph, prompt_id, None).await?;
//! while let Some(event) = tracked.next().await {
//!     match event {
//!         TrackedEvent::Finished(outcome) => {
//!             let entry = outcome.into_result(prompt_id)?; // Error/Interrupted/Vanished → Err
//!             let mut names = sanitize::LocalNames::new(); // same name, two subfolders
//!             for file in entry.files() {
//!                 let name = names.name_for(&file.file.subfolder, &file.file.filename)?;
//!                 client.view_to_file(&file.file, &out.join(name), |_| {}).await?;
//!             }
//!         }
//!         other => println!("{other:?}"), // queue position, progress, previews…
//!     }
//! }
//! // After a restart: `hub.track(prompt_id)` reconciles (running → events, done → outcome,
//! // gone from the server → Outcome::Vanished). After `ComfyError::PromptAnswerLost` from
//! // `submit`: `hub.reconcile(prompt_id)` → Some(tracked) if the server has it, None if not.
//! # Ok(()) }
//! ```

pub mod auth;
mod classify;
pub mod client;
pub mod doctor;
pub mod error;
pub mod hub;
pub mod model;
pub mod options;
pub mod rejection;
pub mod sanitize;
mod tls;
pub mod transfer;
pub mod ws;

pub use auth::{Auth, Endpoint};
pub use client::{Cancellation, ComfyClient};
pub use doctor::{DoctorReport, doctor};
pub use error::{ComfyError, TlsProblem, is_model_download_failure};
pub use hub::{ConnectionState, EventHub, HubOptions, Outcome, Preview, Tracked, TrackedEvent};
pub use options::{ClientOptions, DownloadLimits};
pub use rejection::{InputProblem, NodeValidationError, PromptRejection, RejectionKind};
pub use transfer::{DownloadedFile, TransferProgress, UploadTarget};
pub use ws::{EventSocket, SocketEvent};

pub use secrecy::SecretString;
