//! The one error type of this crate, and how each case reads to a user.

use std::path::PathBuf;

use animatrix_common::ErrorCode;

use crate::SchemaError;

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("template {template} is inconsistent: {problem}")]
    TemplateInvalid {
        template: String,
        #[source]
        problem: SchemaError,
    },
    #[error("template {template} lives in {}, expected <workflows>/<name>/<version>", folder.display())]
    TemplateFolderMismatch { template: String, folder: PathBuf },
    #[error("app version {version} is not semver: {reason}")]
    InvalidAppVersion { version: String, reason: String },
    #[error("template {template} could not be bound: {reason}")]
    BindInvariant { template: String, reason: String },
    #[error("templates {first} and {second} both claim mode {mode}{}", sub_mode.as_ref().map(|s| format!(" sub-mode {s}")).unwrap_or_default())]
    DuplicateStudio {
        mode: String,
        sub_mode: Option<String>,
        first: String,
        second: String,
    },
    #[error("mode {mode} is labelled {first:?} by one template and {second:?} by another")]
    ModeLabelConflict {
        mode: String,
        first: String,
        second: String,
    },
    #[error("mode {mode} mixes templates with and without a sub-mode")]
    SubModeMixed { mode: String },
    #[error("no template for mode {mode} (known: {known:?})")]
    ModeNotFound { mode: String, known: Vec<String> },
    #[error("mode {mode} has no sub-mode {sub_mode} (known: {known:?})")]
    SubModeNotFound {
        mode: String,
        sub_mode: String,
        known: Vec<String>,
    },
    #[error("two templates claim {name} {version}: {first} and {second}")]
    DuplicateTemplate {
        name: String,
        version: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("no template named {name}{}", version.as_ref().map(|v| format!(" version {v}")).unwrap_or_default())]
    TemplateNotFound {
        name: String,
        version: Option<String>,
    },
    #[error("no version of {name} supports app version {app_version}")]
    NoCompatibleVersion { name: String, app_version: String },
    #[error("settings are for template {settings}, not {template}")]
    TemplateMismatch { settings: String, template: String },
    #[error("unknown quality profile {profile:?} (known: {allowed:?})")]
    UnknownProfile {
        profile: String,
        allowed: Vec<String>,
    },
    #[error("unknown aspect {aspect:?} (known: {allowed:?})")]
    UnknownAspect {
        aspect: String,
        allowed: Vec<String>,
    },
    #[error("unknown framing {framing:?} (known: {allowed:?})")]
    UnknownFraming {
        framing: String,
        allowed: Vec<String>,
    },
    #[error("unknown parameter {name:?} for template {template}")]
    UnknownParameter { template: String, name: String },
    #[error("parameter {name} must be {expected}, got {got}")]
    ParameterWrongType {
        name: String,
        expected: String,
        got: String,
    },
    #[error("parameter {name} = {value} is outside {min}..={max}")]
    ParameterOutOfRange {
        name: String,
        value: String,
        min: String,
        max: String,
    },
    #[error("parameter {name} = {value:?} is not one of {allowed:?}")]
    InvalidChoice {
        name: String,
        value: String,
        allowed: Vec<String>,
    },
    #[error("seed {seed} is outside -1..={max}")]
    InvalidSeed { seed: i64, max: u64 },
    #[error("prompt has {chars} characters, the limit is {max}")]
    PromptTooLong { chars: usize, max: u32 },
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error("input {input} ({label}) is required")]
    MissingInput { input: String, label: String },
    #[error("input {input} was given but template {template} takes no such file")]
    UnexpectedInput { template: String, input: String },
    #[error("{count} files attached as {input}, at most {max}")]
    TooManyFiles {
        input: String,
        label: String,
        count: u32,
        max: u32,
    },
    #[error("image for {input} is {side} px on its shorter side, at least {min} px needed")]
    ImageTooSmall {
        input: String,
        label: String,
        side: u32,
        min: u32,
    },
    #[error("input {input} is kept with the run and never uploaded, but an upload was given")]
    InputNotBound { input: String, label: String },
    #[error("template needs a {device} device, the server has none")]
    DeviceRequired { device: String, reason: String },
    #[error("profile {profile} cannot run on this server: missing {missing:?}")]
    ProfileUnavailable {
        profile: String,
        label: String,
        missing: Vec<String>,
    },
    #[error("the server lacks node classes {classes:?}")]
    NodesMissing {
        classes: Vec<String>,
        /// Display names of the packs that provide them.
        packs: Vec<String>,
    },
    #[error("server system_stats is not usable: {reason}")]
    SystemStatsInvalid { reason: String },
    #[error("uploaded name for {input} is not a safe server file name: {name:?}")]
    InvalidInputName { input: String, name: String },
    #[error("job id {job_id:?} may only hold letters, digits, '-' and '_' (1 to 64 characters)")]
    InvalidJobId { job_id: String },
    #[error("media fact {fact} is required for template {template}")]
    MissingMediaFact { template: String, fact: String },
    #[error("media fact {fact} = {value} is not usable")]
    InvalidMediaFact { fact: String, value: String },
    #[error("audio lasts {duration_secs:.2} s; profile {profile} allows at most {max_secs} s")]
    AudioTooLong {
        profile: String,
        duration_secs: f64,
        max_secs: f64,
        /// Labels of the template's profiles that allow this length.
        fits: Vec<String>,
    },
    #[error("target duration {value} s must be positive")]
    InvalidTargetDuration { value: f64 },
    #[error("template {template} takes no marked points")]
    PointsNotSupported { template: String },
    #[error("template {template} needs at least one marked point")]
    MissingPoints { template: String },
    #[error("{count} points marked, at most {max} allowed")]
    TooManyPoints { count: usize, max: u32 },
    #[error("point ({x}, {y}) is outside the unit square")]
    PointOutOfRange { x: f64, y: f64 },
    #[error("server object_info is not usable: {reason}")]
    ObjectInfoInvalid { reason: String },
    #[error("point ({x}, {y}) falls outside the {aspect} crop of the video")]
    PointOutsideFrame { x: f64, y: f64, aspect: String },
}

impl WorkflowError {
    /// Stable machine code; never reworded once shipped.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Io { .. } => ErrorCode::TemplateIo,
            Self::Parse { .. } => ErrorCode::TemplateParse,
            Self::TemplateInvalid { .. } => ErrorCode::TemplateInvalid,
            Self::TemplateFolderMismatch { .. } => ErrorCode::TemplateFolderMismatch,
            Self::BindInvariant { .. } => ErrorCode::TemplateBindInvariant,
            Self::InvalidAppVersion { .. } => ErrorCode::AppVersionInvalid,
            Self::DuplicateStudio { .. } => ErrorCode::TemplateDuplicateStudio,
            Self::ModeLabelConflict { .. } => ErrorCode::TemplateModeLabelConflict,
            Self::SubModeMixed { .. } => ErrorCode::TemplateSubModeMixed,
            Self::ModeNotFound { .. } => ErrorCode::ModeNotFound,
            Self::SubModeNotFound { .. } => ErrorCode::SubModeNotFound,
            Self::DuplicateTemplate { .. } => ErrorCode::TemplateDuplicate,
            Self::TemplateNotFound { .. } => ErrorCode::TemplateNotFound,
            Self::NoCompatibleVersion { .. } => ErrorCode::TemplateIncompatible,
            Self::TemplateMismatch { .. } => ErrorCode::TemplateMismatch,
            Self::UnknownProfile { .. } => ErrorCode::UnknownProfile,
            Self::UnknownAspect { .. } => ErrorCode::UnknownAspect,
            Self::UnknownFraming { .. } => ErrorCode::UnknownFraming,
            Self::UnknownParameter { .. } => ErrorCode::UnknownParameter,
            Self::ParameterWrongType { .. } => ErrorCode::ParameterWrongType,
            Self::ParameterOutOfRange { .. } => ErrorCode::ParameterOutOfRange,
            Self::InvalidChoice { .. } => ErrorCode::ParameterInvalidChoice,
            Self::InvalidSeed { .. } => ErrorCode::InvalidSeed,
            Self::PromptTooLong { .. } => ErrorCode::PromptTooLong,
            Self::EmptyPrompt => ErrorCode::PromptEmpty,
            Self::MissingInput { .. } => ErrorCode::MissingInput,
            Self::UnexpectedInput { .. } => ErrorCode::UnexpectedInput,
            Self::TooManyFiles { .. } => ErrorCode::TooManyFiles,
            Self::ImageTooSmall { .. } => ErrorCode::ImageTooSmall,
            Self::InputNotBound { .. } => ErrorCode::InputNotBound,
            Self::DeviceRequired { .. } => ErrorCode::DeviceRequired,
            Self::ProfileUnavailable { .. } => ErrorCode::ProfileUnavailable,
            Self::SystemStatsInvalid { .. } => ErrorCode::SystemStatsInvalid,
            Self::NodesMissing { .. } => ErrorCode::NodesMissing,
            Self::InvalidInputName { .. } => ErrorCode::InvalidInputName,
            Self::InvalidJobId { .. } => ErrorCode::InvalidJobId,
            Self::MissingMediaFact { .. } => ErrorCode::MissingMediaFact,
            Self::InvalidMediaFact { .. } => ErrorCode::InvalidMediaFact,
            Self::AudioTooLong { .. } => ErrorCode::AudioTooLong,
            Self::InvalidTargetDuration { .. } => ErrorCode::InvalidTargetDuration,
            Self::PointsNotSupported { .. } => ErrorCode::PointsNotSupported,
            Self::MissingPoints { .. } => ErrorCode::MissingPoints,
            Self::TooManyPoints { .. } => ErrorCode::TooManyPoints,
            Self::PointOutOfRange { .. } => ErrorCode::PointOutOfRange,
            Self::PointOutsideFrame { .. } => ErrorCode::PointOutsideFrame,
            Self::ObjectInfoInvalid { .. } => ErrorCode::ObjectInfoInvalid,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use animatrix_common::Explain;

    #[test]
    fn audio_too_long_reads_like_the_product_says() {
        let e = WorkflowError::AudioTooLong {
            profile: "high".into(),
            duration_secs: 12.5,
            max_secs: 10.0,
            fits: vec!["Draft".into(), "Standard".into()],
        };
        let u = e.explain();
        assert_eq!(u.code, "audio_too_long");
        assert_eq!(
            u.message,
            "This quality profile supports at most 10 s of audio."
        );
        assert!(u.detail.contains("12.50"), "{}", u.detail);
        assert_eq!(
            u.suggestion,
            "Choose Draft or Standard, or trim the audio to 10 s or less."
        );
    }
}
