//! Workflow templates as versioned data (`workflows/<name>/<version>/`): the manifest (schema 2)
//! is the single source of a studio (mode, sub-mode, inputs by role, timeline, device needs,
//! options, profiles, capability text). This crate plans jobs, binds them into ComfyUI API
//! graphs, validates graphs against `/object_info`, and preflights servers. No network.
//!
//! ```text
//! Catalog::load(dir) -> studios()                      (what the window renders)
//!                    -> find(mode, sub_mode) / latest(name) / get(name, version)
//! plan(template, &settings, &attached, Some(&server))  (composer, before submit)
//! bind(template, &settings, &uploads, Some(&server), job_id, seeds)  (same planner)
//!   -> validate(&bound.graph, &object_info)
//! preflight(template, &server)
//! ```

mod bind;
mod catalog;
mod check;
mod error;
mod error_words;
pub mod graph;
mod issue;
pub mod manifest;
mod models;
mod object_info;
mod plan;
mod preflight;
mod schema_error;
mod server;
mod settings;
mod studio;
mod template;
mod timeline;
mod validate;

pub use bind::{BoundGraph, OsSeedSource, SeedSource, bind};
pub use catalog::{APP_VERSION, Catalog, RejectedTemplate, TemplateSummary};
pub use check::MAX_SUMMARY_CHARS;
pub use error::WorkflowError;
pub use manifest::{Fit, InputKind, Manifest};
pub use models::{ModelFiles, model_folders, required_models};
pub use object_info::{InputSpec, NodeSchema, ObjectInfo};
pub use plan::{IssueField, Plan, PlanIssue, PlanTiming, VariantPlan, plan};
pub use preflight::{
    AUTO_DOWNLOAD_NOTE, AutoDownload, DeviceCheck, DeviceStatus, MissingModel, MissingNode,
    PreflightReport, ProfileReadiness, Readiness, preflight,
};
pub use schema_error::SchemaError;
pub use server::{BYTES_PER_GB, Device, ModelsByFolder, ServerFacts, device_words};
pub use settings::{
    Attached, AttachedInput, JobSettings, MAX_SEED, MediaFacts, Point, UploadedInputs,
};
pub use studio::{
    AspectSize, Choice, ParameterControl, StudioDefaults, StudioInput, StudioMode, StudioParameter,
    StudioPrefer, StudioProfile, StudioTemplate,
};
pub use template::Template;
pub use validate::{GraphIssue, IssueKind, types_match, validate};
