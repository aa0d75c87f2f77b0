//! Workflow templates as versioned data (`workflows/<name>/<version>/`), binding job settings
//! into ComfyUI API graphs, validating graphs against `/object_info`, and preflight checks of a
//! server's node classes and model files.
//!
//! ```text
//! Catalog::load(dir) -> latest(name) -> bind(template, settings, uploads, job_id, seeds)
//!                                     -> validate(&bound.graph, &object_info)
//!                    -> preflight(template, &object_info, &models)
//! ```

mod bind;
mod catalog;
mod error;
pub mod graph;
pub mod manifest;
mod object_info;
mod preflight;
mod settings;
mod template;
mod timeline;
mod validate;

pub use bind::{BoundGraph, OsSeedSource, SeedSource, bind};
pub use catalog::{APP_VERSION, Catalog, TemplateSummary};
pub use error::WorkflowError;
pub use manifest::{AnimateMode, Manifest, Mode};
pub use object_info::{InputSpec, NodeSchema, ObjectInfo};
pub use preflight::{
    AutoDownload, MissingModel, MissingNode, ModelsByFolder, PreflightReport, model_folders,
    preflight, required_models,
};
pub use settings::{JobSettings, MAX_SEED, MediaFacts, Point, UploadedInputs};
pub use template::Template;
pub use timeline::BindWarning;
pub use validate::{GraphIssue, IssueKind, types_match, validate};
