//! Offline demo packs and the first-run sample.
//!
//! * [`export`] writes completed runs into one `.animatrix-demo` file (format: [`format`],
//!   docs/DEMO_PACKS.md): normalized inputs, outputs, preview frames, the job manifest and the
//!   event timeline, every member listed with its sha256; no secrets, and endpoint names/URLs
//!   only when [`ExportOptions::include_endpoint`] is set.
//! * [`import`] verifies a pack completely before anything lands, then adds its runs as demo
//!   jobs (`is_demo = 1`: never in metrics, never reconciled with a server) in one transaction.
//!   Importing the same pack again adds nothing.
//! * [`timeline`] and [`perform`] replay a recorded run as `JobUpdate`s at real or compressed
//!   pace, ending on its recorded video, without any network.
//! * [`settings`]: the demo-mode toggle and the pace; [`import_sample_on_first_run`]: the
//!   embedded sample pack, once per data dir.

mod export;
pub mod format;
mod format_v1;
mod import;
mod play;
mod sample;
pub mod settings;

pub(crate) use export::export_leaving_out;
pub use export::{ExportOptions, ExportSummary, export};
pub use format::{PACK_EXTENSION, PACK_FORMAT, PACK_VERSION, PackManifest};
pub use import::{ImportLimits, ImportSummary, ImportedRun, import, import_with_limits, inspect};
pub use play::{DemoStep, DemoTimeline, Pace, PerformOutcome, perform, timeline};
pub use sample::{SAMPLE_PACK, import_sample, import_sample_on_first_run};
pub use settings::DemoSettings;
