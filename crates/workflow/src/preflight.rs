//! Can this server run this template? Node classes, device needs and model files per profile
//! (with each profile's preferred variant), from the [`ServerFacts`] the core gathers. Pure.

use serde::{Deserialize, Serialize};

use crate::manifest::Manifest;
use crate::models::files_for;
use crate::plan::VariantPlan;
use crate::server::{ServerFacts, device_words};
use crate::template::Template;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct MissingNode {
    pub class: String,
    pub pack: String,
    pub pack_name: String,
    pub pack_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct MissingModel {
    pub file: String,
    pub folder: String,
    /// Quality profiles that cannot run without this file.
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AutoDownload {
    pub file: String,
    pub folder: String,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Present,
    Absent,
    /// The server's devices could not be read.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct DeviceCheck {
    pub device: String,
    pub reason: String,
    pub status: DeviceStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ProfileReadiness {
    pub profile: String,
    pub label: String,
    pub ready: bool,
    /// Files the profile lacks (with its variant as decided).
    pub missing: Vec<String>,
    /// The preferred variant, when the profile has one.
    pub variant: Option<VariantPlan>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Every profile runs as preferred.
    Ready,
    /// Runs, with some profile unavailable or on its fallback variant.
    Limited,
    /// Cannot run on this server.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PreflightReport {
    pub template: String,
    pub version: String,
    pub status: Readiness,
    /// Some profile can run: the nodes and devices are there and its files too.
    pub ready: bool,
    /// One line in user language: "ready", "ready (High unavailable: missing X)",
    /// "needs an NVIDIA GPU: ...", "missing nodes: ...".
    pub verdict: String,
    pub profiles: Vec<ProfileReadiness>,
    /// Names of the profiles that can run, in display order.
    pub ready_profiles: Vec<String>,
    pub missing_nodes: Vec<MissingNode>,
    pub missing_models: Vec<MissingModel>,
    pub devices: Vec<DeviceCheck>,
    /// Files custom nodes fetch on first use (not listed by the server, so not checked).
    pub auto_downloads: Vec<AutoDownload>,
    /// Said when there are auto downloads: a server without internet must have them.
    pub auto_download_note: Option<String>,
}

/// Said once for all auto-downloaded files.
pub const AUTO_DOWNLOAD_NOTE: &str = "Custom nodes download these files on first use, which makes the first run slower; a server without internet access must have them pre-seeded.";

fn missing_nodes(m: &Manifest, server: &ServerFacts) -> Vec<MissingNode> {
    m.nodes
        .iter()
        .filter(|n| !server.node_classes.contains(&n.class))
        .map(|n| {
            let pack = m.packs.get(&n.pack);
            MissingNode {
                class: n.class.clone(),
                pack: n.pack.clone(),
                pack_name: pack.map(|p| p.display_name.clone()).unwrap_or_default(),
                pack_url: pack.map(|p| p.url.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

fn device_checks(m: &Manifest, server: &ServerFacts) -> Vec<DeviceCheck> {
    m.requires
        .iter()
        .map(|need| DeviceCheck {
            device: need.device.clone(),
            reason: need.reason.clone(),
            status: match server.has_device(&need.device) {
                Some(true) => DeviceStatus::Present,
                Some(false) => DeviceStatus::Absent,
                None => DeviceStatus::Unknown,
            },
        })
        .collect()
}

pub fn preflight(t: &Template, server: &ServerFacts) -> PreflightReport {
    let m = t.manifest();
    let missing_nodes = missing_nodes(m, server);
    let devices = device_checks(m, server);
    let runnable =
        missing_nodes.is_empty() && devices.iter().all(|d| d.status != DeviceStatus::Absent);

    let mut profiles = Vec::new();
    let mut missing_models: Vec<MissingModel> = Vec::new();
    for (name, p) in &m.profiles {
        let variant = crate::plan::decide_variant(t, p, Some(server));
        let applied = variant.as_ref().is_some_and(|v| v.applied);
        let mut missing = Vec::new();
        for (folder, file) in files_for(t, p, applied) {
            if server.models.contains(&folder, &file) {
                continue;
            }
            missing.push(file.clone());
            match missing_models
                .iter_mut()
                .find(|x| x.file == file && x.folder == folder)
            {
                Some(x) => x.profiles.push(name.clone()),
                None => missing_models.push(MissingModel {
                    file,
                    folder,
                    profiles: vec![name.clone()],
                }),
            }
        }
        profiles.push(ProfileReadiness {
            profile: name.clone(),
            label: p.label.clone(),
            ready: runnable && missing.is_empty(),
            missing,
            variant,
        });
    }
    missing_models.sort_by(|a, b| (&a.file, &a.folder).cmp(&(&b.file, &b.folder)));
    let ready_profiles: Vec<String> = profiles
        .iter()
        .filter(|p| p.ready)
        .map(|p| p.profile.clone())
        .collect();
    let (status, verdict) = verdict(&missing_nodes, &devices, &profiles, &missing_models);
    PreflightReport {
        template: t.name().to_owned(),
        version: t.version().to_string(),
        status,
        ready: status != Readiness::Unavailable,
        verdict,
        profiles,
        ready_profiles,
        missing_nodes,
        missing_models,
        devices,
        auto_downloads: m
            .auto_models
            .iter()
            .map(|a| AutoDownload {
                file: a.file.clone(),
                folder: a.folder.clone(),
                note: a.note.clone(),
            })
            .collect(),
        auto_download_note: (!m.auto_models.is_empty()).then(|| AUTO_DOWNLOAD_NOTE.to_owned()),
    }
}

fn verdict(
    nodes: &[MissingNode],
    devices: &[DeviceCheck],
    profiles: &[ProfileReadiness],
    models: &[MissingModel],
) -> (Readiness, String) {
    if let Some(d) = devices.iter().find(|d| d.status == DeviceStatus::Absent) {
        let words = format!("needs {}: {}", device_words(&d.device), d.reason);
        return (Readiness::Unavailable, words);
    }
    if !nodes.is_empty() {
        let mut packs: Vec<&str> = nodes.iter().map(|n| n.pack_name.as_str()).collect();
        packs.dedup();
        let classes: Vec<&str> = nodes.iter().map(|n| n.class.as_str()).collect();
        return (
            Readiness::Unavailable,
            format!(
                "missing nodes: {} (install {})",
                classes.join(", "),
                packs.join(", ")
            ),
        );
    }
    if profiles.iter().all(|p| !p.ready) {
        let files: Vec<&str> = models.iter().map(|m| m.file.as_str()).collect();
        return (
            Readiness::Unavailable,
            format!("missing models: {}", files.join(", ")),
        );
    }
    let mut notes = Vec::new();
    for p in profiles {
        if !p.ready {
            notes.push(format!(
                "{} unavailable: missing {}",
                p.label,
                p.missing.join(", ")
            ));
        } else if let Some(v) = p.variant.as_ref().filter(|v| !v.applied) {
            notes.push(format!(
                "{} without the {}: {}",
                p.label,
                v.label,
                v.reason.as_deref().unwrap_or("")
            ));
        }
    }
    let unknown_device = devices.iter().any(|d| d.status == DeviceStatus::Unknown);
    if unknown_device {
        notes.push("could not check the server's devices".into());
    }
    if notes.is_empty() {
        (Readiness::Ready, "ready".into())
    } else {
        (Readiness::Limited, format!("ready ({})", notes.join("; ")))
    }
}
