//! What the window or the CLI asks for when the user presses Generate. The template's own
//! settings are embedded as the workflow crate defines them (one shape from the composer to the
//! binder); the request adds only what the binder does not see: the files, the server, the fit.

use std::path::PathBuf;

use animatrix_media::FitMode;
use animatrix_workflow::JobSettings;
use serde::{Deserialize, Serialize};

/// The role an input plays in a template (`ground_truth`, `audio`, `motion_video`, `end_frame`,
/// ...). Roles are declared by template manifests, so this is an open set: a newtype, not an
/// enum, validated to the snake_case identifiers manifests use.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type,
)]
#[serde(transparent)]
pub struct Role(String);

impl Role {
    pub fn new(name: impl Into<String>) -> Role {
        Role(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `[a-z][a-z0-9_]{0,47}`: what a manifest may declare and what the database stores.
    pub fn is_valid(name: &str) -> bool {
        let mut chars = name.chars();
        matches!(chars.next(), Some('a'..='z'))
            && name.len() <= 48
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Role {
        Role(s.to_string())
    }
}

/// A file to import, or an asset already in the store (retry, replay, demo, the composer after
/// an import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum InputSource {
    File(PathBuf),
    Asset(String),
}

/// One input of a request: which role it fills, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct JobInput {
    pub role: Role,
    pub source: InputSource,
}

impl JobInput {
    pub fn file(role: &str, path: impl Into<PathBuf>) -> JobInput {
        JobInput {
            role: Role::new(role),
            source: InputSource::File(path.into()),
        }
    }

    pub fn asset(role: &str, id: impl Into<String>) -> JobInput {
        JobInput {
            role: Role::new(role),
            source: InputSource::Asset(id.into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct JobRequest {
    /// Template, prompt, profile, aspect, seed, points, target length, parameters. `seed` -1 =
    /// random (the resolved seed is recorded with the job); `media` is filled by the core from
    /// the inputs, whatever the caller put there.
    pub settings: JobSettings,
    /// The template version; the newest installed one when absent. Retry and replay pin the
    /// version the run used, so the same seed gives the same graph.
    #[serde(default)]
    pub template_version: Option<String>,
    /// In the order given; several inputs of one role keep their order (references).
    pub inputs: Vec<JobInput>,
    /// A server (or pool) name; the default one when absent.
    #[serde(default)]
    pub target: Option<String>,
    /// How images are fitted to the output aspect.
    #[serde(default)]
    pub fit: FitMode,
}

impl JobRequest {
    pub fn new(settings: JobSettings) -> JobRequest {
        JobRequest {
            settings,
            template_version: None,
            inputs: Vec::new(),
            target: None,
            fit: FitMode::default(),
        }
    }

    pub fn with_input(mut self, input: JobInput) -> JobRequest {
        self.inputs.push(input);
        self
    }

    /// The inputs of one role, in order.
    pub fn inputs_of<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a JobInput> + 'a {
        self.inputs.iter().filter(move |i| i.role.as_str() == role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_manifest_identifiers() {
        for ok in ["ground_truth", "end_frame", "a", "control_video2"] {
            assert!(Role::is_valid(ok), "{ok}");
        }
        for bad in ["", "Ground", "1st", "end-frame", "a b", &"x".repeat(49)] {
            assert!(!Role::is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn a_request_round_trips_through_json() {
        let req = JobRequest::new(JobSettings::new("some_template", "waves"))
            .with_input(JobInput::file("ground_truth", "/x/hero.png"))
            .with_input(JobInput::asset("reference", "a1"));
        let text = serde_json::to_string(&req).expect("json");
        assert!(text.contains(r#""role":"ground_truth","source":{"file":"/x/hero.png"}"#));
        let back: JobRequest = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, req);
        assert_eq!(back.inputs_of("reference").count(), 1);
    }
}
