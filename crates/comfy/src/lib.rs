//! animatrix-comfy: the typed async ComfyUI client (HTTP + WebSocket) of Animatrix Studio.
//!
//! * [`ComfyClient`]: every endpoint of PROTOCOL §1, streamed uploads and downloads, typed
//!   errors ([`ComfyError`], with [`animatrix_common::Explain`]).
//! * [`EventHub`]: one WebSocket per endpoint; [`EventHub::track`] gives the job engine a
//!   stream of [`TrackedEvent`]s per prompt that always ends in an [`Outcome`], even across
//!   socket drops and server restarts (it polls /queue and /history while the socket is down).
//! * [`doctor()`]: is this endpoint usable, and if not, why.

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
pub use client::ComfyClient;
pub use doctor::{DoctorReport, doctor};
pub use error::{ComfyError, TlsProblem};
pub use hub::{EventHub, HubOptions, Outcome, Tracked, TrackedEvent};
pub use options::ClientOptions;
pub use rejection::{InputProblem, NodeValidationError, PromptRejection, RejectionKind};
pub use transfer::{DownloadedFile, TransferProgress, UploadTarget};
pub use ws::{EventSocket, SocketEvent};

pub use secrecy::SecretString;
