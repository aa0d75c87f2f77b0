//! Where the job model meets the template crate: the inputs a template declares, the media
//! facts of its driving input, the names of uploaded files for the binder. Nothing else in the
//! core reads a manifest's input declarations.

use animatrix_workflow::manifest::{InputKind, TimelineSource};
use animatrix_workflow::{BoundGraph, JobSettings, MediaFacts, OsSeedSource, Template, UploadedInputs};

use super::model::{JobRequest, Role};
use super::prepare::{DRY_RUN_JOB_ID, PreparedInput};
use crate::CoreError;

/// One input a template takes.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    pub role: Role,
    pub label: String,
    pub kind: InputKind,
    pub required: bool,
    pub max: u32,
    /// Sent to the server and bound into the graph (otherwise kept with the run only).
    pub bound: bool,
    /// Images fitted to the output size before upload.
    pub fit_output: bool,
    /// Shown when the input is soft guidance only.
    pub guidance: Option<String>,
    /// The manifest's key for the binder.
    key: String,
}

impl InputDecl {
    pub fn is_image(&self) -> bool {
        self.kind == InputKind::Image
    }

    /// How the media crate normalizes it.
    pub fn media_role(&self) -> animatrix_media::Role {
        use animatrix_media::Role as M;
        match (self.role.as_str(), self.kind) {
            ("ground_truth", _) => M::GroundTruth,
            ("pose_sheet", _) => M::PoseSheet,
            (_, InputKind::Image) => M::Reference,
            (_, InputKind::Video) => M::MotionVideo,
            (_, InputKind::Audio) => M::Audio,
        }
    }
}

/// Manifest keys of schema 1 and the role each fills.
fn role_for_key(key: &str) -> &str {
    match key {
        "image" => "ground_truth",
        "video" => "motion_video",
        other => other,
    }
}

const POSE_SHEET_GUIDANCE: &str =
    "Pose sheet used as soft guidance only: it is kept with the run but not bound into the graph.";

/// Every input the template takes: the bound ones of its manifest, plus the references and the
/// pose sheet that every template keeps with the run.
pub fn declarations(t: &Template) -> Vec<InputDecl> {
    let m = t.manifest();
    let mut out: Vec<InputDecl> = m
        .inputs
        .iter()
        .map(|(key, d)| InputDecl {
            role: Role::new(role_for_key(key)),
            label: d.label.clone(),
            kind: d.kind,
            required: d.required,
            max: 1,
            bound: !d.targets.is_empty(),
            fit_output: d.kind == InputKind::Image && role_for_key(key) == "ground_truth",
            guidance: None,
            key: key.clone(),
        })
        .collect();
    out.push(InputDecl {
        role: Role::new("reference"),
        label: "References".into(),
        kind: InputKind::Image,
        required: false,
        max: 8,
        bound: false,
        fit_output: false,
        guidance: None,
        key: "reference".into(),
    });
    out.push(InputDecl {
        role: Role::new("pose_sheet"),
        label: "Pose sheet".into(),
        kind: InputKind::Image,
        required: false,
        max: 1,
        bound: false,
        fit_output: false,
        guidance: Some(POSE_SHEET_GUIDANCE.into()),
        key: "pose_sheet".into(),
    });
    out
}

pub fn declared(t: &Template, role: &str) -> Option<InputDecl> {
    declarations(t).into_iter().find(|d| d.role.as_str() == role)
}

/// The studio a template belongs to (manifest `mode`).
pub fn mode_of(t: &Template) -> String {
    serde_json::to_value(&t.manifest().mode)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Facts of the input that drives the template's length.
pub fn media_facts(t: &Template, inputs: &[PreparedInput]) -> MediaFacts {
    let kind = match t.manifest().timeline.source {
        TimelineSource::Audio => InputKind::Audio,
        TimelineSource::Video => InputKind::Video,
        TimelineSource::Fixed => return MediaFacts::default(),
    };
    let decls = declarations(t);
    let driving = inputs.iter().find(|i| {
        decls
            .iter()
            .any(|d| d.role == i.role && d.kind == kind && d.bound)
    });
    let Some(a) = driving.map(|i| &i.asset) else {
        return MediaFacts::default();
    };
    let to_u32 = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok());
    match kind {
        InputKind::Audio => MediaFacts {
            audio_duration_secs: a.duration_seconds,
            ..MediaFacts::default()
        },
        _ => MediaFacts {
            video_frame_count: to_u32(a.frame_count),
            video_fps: a.fps,
            video_width: to_u32(a.width),
            video_height: to_u32(a.height),
            ..MediaFacts::default()
        },
    }
}

/// The server names of the uploaded inputs, for the binder.
pub fn uploaded_inputs(t: &Template, names: &[(Role, String)]) -> UploadedInputs {
    let decls = declarations(t);
    let mut up = UploadedInputs::default();
    for (role, name) in names {
        let Some(d) = decls.iter().find(|d| &d.role == role && d.bound) else {
            continue;
        };
        match d.key.as_str() {
            "image" => up.image = name.clone(),
            "audio" => up.audio = Some(name.clone()),
            "video" => up.video = Some(name.clone()),
            other => {
                up.extra.insert(other.to_string(), name.clone());
            }
        }
    }
    up
}

/// Binds with placeholder names for the inputs the request carries: settles the profile, the
/// size and the frame count without uploading anything.
pub fn dry_bind(
    t: &Template,
    settings: &JobSettings,
    decls: &[InputDecl],
    req: &JobRequest,
) -> Result<BoundGraph, CoreError> {
    let names: Vec<(Role, String)> = decls
        .iter()
        .filter(|d| d.bound && req.inputs_of(d.role.as_str()).next().is_some())
        .map(|d| (d.role.clone(), format!("pending_{}.bin", d.role)))
        .collect();
    let uploaded = uploaded_inputs(t, &names);
    Ok(animatrix_workflow::bind(
        t,
        settings,
        &uploaded,
        DRY_RUN_JOB_ID,
        &mut OsSeedSource,
    )?)
}
