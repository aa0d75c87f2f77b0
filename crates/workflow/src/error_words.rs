//! How each [`WorkflowError`] reads to a user: message and suggestion (the code and the exact
//! cause come from the error itself).

use animatrix_common::{Explain, UserError};

use crate::WorkflowError;

fn fmt_secs(secs: f64) -> String {
    if (secs - secs.round()).abs() < 1e-9 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// "A", "A or B", "A, B or C".
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

impl Explain for WorkflowError {
    fn explain(&self) -> UserError {
        let (message, suggestion): (String, String) = match self {
            Self::Io { .. }
            | Self::Parse { .. }
            | Self::TemplateInvalid { .. }
            | Self::TemplateFolderMismatch { .. }
            | Self::BindInvariant { .. }
            | Self::InvalidAppVersion { .. }
            | Self::DuplicateStudio { .. }
            | Self::ModeLabelConflict { .. }
            | Self::SubModeMixed { .. }
            | Self::DuplicateTemplate { .. } => (
                "A generation template installed with the app is damaged.".into(),
                "Reinstall the app; if it persists, send the log to support.".into(),
            ),
            Self::TemplateNotFound { .. } => (
                "This kind of generation is not available in this version of the app.".into(),
                "Update the app, or pick another mode.".into(),
            ),
            Self::NoCompatibleVersion { .. } => (
                "This kind of generation needs a different version of the app.".into(),
                "Update the app.".into(),
            ),
            Self::ModeNotFound { .. } | Self::SubModeNotFound { .. } => (
                "This kind of generation is not available in this version of the app.".into(),
                "Pick another mode, or update the app.".into(),
            ),
            Self::TemplateMismatch { .. } => (
                "The settings do not match the chosen mode.".into(),
                "Choose the mode again and retry.".into(),
            ),
            Self::UnknownProfile { allowed, .. } => (
                "That quality setting does not exist for this mode.".into(),
                format!("Choose one of: {}.", allowed.join(", ")),
            ),
            Self::UnknownAspect { allowed, .. } => (
                "That aspect ratio is not available for this mode.".into(),
                format!("Choose one of: {}.", allowed.join(", ")),
            ),
            Self::UnknownFraming { allowed, .. } => (
                "That framing is not available for this mode.".into(),
                format!("Choose one of: {}.", allowed.join(", ").replace('_', " ")),
            ),
            Self::UnknownParameter { name, .. } => (
                format!("The setting \"{name}\" does not apply to this mode."),
                "Remove it, or reset the advanced settings.".into(),
            ),
            Self::ParameterWrongType { name, expected, .. } => (
                format!("The setting \"{name}\" has the wrong kind of value."),
                format!("Use {expected}."),
            ),
            Self::ParameterOutOfRange { name, min, max, .. } => (
                format!("The setting \"{name}\" is out of range."),
                format!("Use a value from {min} to {max}."),
            ),
            Self::InvalidChoice { name, allowed, .. } => (
                format!("The setting \"{name}\" has an unknown value."),
                format!("Choose one of: {}.", allowed.join(", ")),
            ),
            Self::InvalidSeed { max, .. } => (
                "The seed is not valid.".into(),
                format!("Use a whole number from 0 to {max}, or \"random\"."),
            ),
            Self::PromptTooLong { max, .. } => (
                "The prompt is too long.".into(),
                format!("Shorten it to at most {max} characters."),
            ),
            Self::EmptyPrompt => (
                "Describe the shot in the prompt.".into(),
                "Write what the character should do, then generate.".into(),
            ),
            Self::MissingInput { label, .. } => (
                format!("Add the {label} to generate."),
                format!("Attach a file as {label}."),
            ),
            Self::TooManyFiles { label, max, .. } => (
                format!("Too many files are attached as {label}."),
                format!("Keep at most {max}."),
            ),
            Self::ImageTooSmall { label, min, .. } => (
                format!("The {label} image is too small."),
                format!("Use an image at least {min} pixels on its shorter side."),
            ),
            Self::InputNotBound { .. } | Self::SystemStatsInvalid { .. } => (
                "The job could not be prepared.".into(),
                "Try again; if it persists, send the log to support.".into(),
            ),
            Self::DeviceRequired { device, reason } => (
                reason.clone(),
                format!(
                    "Use a server with {}, or pick another mode.",
                    crate::server::device_words(device)
                ),
            ),
            Self::NodesMissing { packs, .. } => (
                "Your server cannot make this kind of video yet: some parts it needs are not installed."
                    .into(),
                format!(
                    "Ask whoever runs the server to install {}.",
                    packs.join(", ")
                ),
            ),
            Self::ProfileUnavailable { label, missing, .. } => (
                format!("Your server cannot make {label} quality yet."),
                format!(
                    "Choose another quality, or ask whoever runs the server to install {}.",
                    missing.join(", ")
                ),
            ),
            Self::UnexpectedInput { .. } => (
                "A file was attached that this mode does not use.".into(),
                "Remove the extra attachment and try again.".into(),
            ),
            Self::InvalidInputName { .. } | Self::InvalidJobId { .. } => (
                "The job could not be prepared.".into(),
                "Try again; if it persists, send the log to support.".into(),
            ),
            Self::MissingMediaFact { .. } | Self::InvalidMediaFact { .. } => (
                "The length of an attached file could not be read.".into(),
                "Attach the file again, or convert it to a common format (MP4, WAV, MP3).".into(),
            ),
            Self::AudioTooLong { max_secs, fits, .. } => (
                format!(
                    "This quality profile supports at most {} of audio.",
                    fmt_secs(*max_secs)
                ),
                if fits.is_empty() {
                    format!("Trim the audio to {} or less.", fmt_secs(*max_secs))
                } else {
                    format!(
                        "Choose {}, or trim the audio to {} or less.",
                        or_list(fits),
                        fmt_secs(*max_secs)
                    )
                },
            ),
            Self::InvalidTargetDuration { .. } => (
                "The target duration must be longer than zero.".into(),
                "Set a target duration of at least one second, or clear it.".into(),
            ),
            Self::PointsNotSupported { .. } => (
                "This mode does not use marked points.".into(),
                "Clear the marked points.".into(),
            ),
            Self::MissingPoints { .. } => (
                "Mark the person first.".into(),
                "Tap the person in the first frame of the video.".into(),
            ),
            Self::TooManyPoints { max, .. } => (
                "Too many points are marked.".into(),
                format!("Mark at most {max} points on the person."),
            ),
            Self::PointOutOfRange { .. } => (
                "A marked point lies outside the picture.".into(),
                "Mark the person again.".into(),
            ),
            Self::ObjectInfoInvalid { .. } => (
                "The server described its capabilities in a way this app does not understand."
                    .into(),
                "Check that the server runs a supported ComfyUI version.".into(),
            ),
            Self::PointOutsideFrame { aspect, .. } => (
                format!(
                    "The person you marked is outside the {aspect} frame that will be generated."
                ),
                "Mark a person nearer the middle, or choose another aspect ratio.".into(),
            ),
        };
        UserError::new(self.code(), message, suggestion).with_detail(self.to_string())
    }
}
