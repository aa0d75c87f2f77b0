//! Jobs: the one model, its repository, and the engine that drives a job from Generate to a
//! finished MP4 in small steps (prepare -> run -> follow -> collect -> manifests).

mod binding;
mod collect;
pub mod conn;
mod download_failure;
pub mod engine;
mod follow;
pub mod legacy;
mod lifecycle;
pub mod manifests;
pub mod metrics;
pub mod model;
mod prepare;
pub mod progress;
pub mod repo;
mod run;
pub mod server_metrics;

pub use binding::{
    InputDecl, attached, declarations as input_declarations, media_facts as driving_media_facts,
    placeholder_uploads, uploaded_inputs,
};
pub use collect::{clip_facts, sha256_file};
pub use engine::{Engine, JOBS_DIR};
pub use manifests::{DEBUG_METADATA, JOB_MANIFEST, JobManifest};
pub use model::*;
pub use prepare::{DRY_RUN_JOB_ID, Prepared, template_for};
pub use repo::{Cursor, JobPage, JobQuery};
pub use run::{BOUND_GRAPH_FILE, upload_name};
