//! Where the job model meets the template crate: what the user attached (for the planner), the
//! media facts of the template's driving input, the names of uploaded files for the binder.
//! The manifest declares every input; nothing here knows a role by name.

use animatrix_workflow::{Attached, InputKind, MediaFacts, Template, UploadedInputs};

use super::model::{JobInputRecord, JobRequest, Role};
use crate::assets::AssetRecord;

/// One input a template takes, as the core needs it.
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
    /// Images whose shorter side is below this are refused.
    pub min_side: Option<u32>,
    /// Shown when the input is soft guidance only.
    pub guidance: Option<String>,
}

impl InputDecl {
    pub fn is_image(&self) -> bool {
        self.kind == InputKind::Image
    }

    /// The media kind the file must be.
    pub fn media_kind(&self) -> animatrix_media::MediaKind {
        match self.kind {
            InputKind::Image => animatrix_media::MediaKind::Image,
            InputKind::Video => animatrix_media::MediaKind::Video,
            InputKind::Audio => animatrix_media::MediaKind::Audio,
        }
    }

    /// How the media crate imports it: `base` plus the manifest's minimum image side.
    pub fn import_options(
        &self,
        base: &animatrix_media::ImportOptions,
    ) -> animatrix_media::ImportOptions {
        animatrix_media::ImportOptions {
            min_image_side: self.min_side,
            ..base.clone()
        }
    }
}

/// Every input the template takes, in manifest order.
pub fn declarations(t: &Template) -> Vec<InputDecl> {
    t.manifest()
        .inputs
        .iter()
        .map(|(role, d)| InputDecl {
            role: Role::new(role.as_str()),
            label: d.label.clone(),
            kind: d.kind,
            required: d.required,
            max: d.max,
            bound: d.is_bound(),
            fit_output: d.kind == InputKind::Image && d.fit == animatrix_workflow::Fit::Output,
            min_side: d.min_side,
            guidance: d.guidance.clone(),
        })
        .collect()
}

pub fn declared(t: &Template, role: &str) -> Option<InputDecl> {
    declarations(t)
        .into_iter()
        .find(|d| d.role.as_str() == role)
}

/// What the user attached, for the planner: one entry per file, with an image's shorter side.
pub fn attached<'a>(inputs: impl IntoIterator<Item = (&'a Role, &'a AssetRecord)>) -> Attached {
    let mut out = Attached::new();
    for (role, asset) in inputs {
        let side = match (asset.width, asset.height) {
            (Some(w), Some(h)) if asset.kind == "image" => u32::try_from(w.min(h)).ok(),
            _ => None,
        };
        out.add(role.as_str(), side);
    }
    out
}

/// Facts of the input that drives the template's length.
pub fn media_facts(t: &Template, inputs: &[JobInputRecord]) -> MediaFacts {
    let Some(role) = t.timeline_role() else {
        return MediaFacts::default();
    };
    let Some(a) = inputs
        .iter()
        .find(|i| i.role.as_str() == role)
        .map(|i| &i.asset)
    else {
        return MediaFacts::default();
    };
    let to_u32 = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok());
    match a.kind.as_str() {
        "audio" => MediaFacts {
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

/// The server names of the uploaded (bound) inputs, for the binder.
pub fn uploaded_inputs(names: &[(Role, String)]) -> UploadedInputs {
    names
        .iter()
        .map(|(role, name)| (role.to_string(), name.clone()))
        .collect()
}

/// The roles of `req` the template binds, with placeholder server names (dry runs).
pub fn placeholder_uploads(t: &Template, req: &JobRequest) -> Vec<(Role, String)> {
    declarations(t)
        .into_iter()
        .filter(|d| d.bound && req.inputs_of(d.role.as_str()).next().is_some())
        .map(|d| {
            let name = format!("pending_{}.bin", d.role);
            (d.role, name)
        })
        .collect()
}
