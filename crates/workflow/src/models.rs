//! Which model files a profile needs: the loader inputs the manifest lists under `models`, with
//! the values the profile (and, when it applies, its preferred variant) writes into them.

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::as_link;
use crate::manifest::{Profile, SetValue};
use crate::template::Template;

/// `(folder, file)` pairs.
pub type ModelFiles = BTreeSet<(String, String)>;

/// The files `profile` needs, with or without its preferred variant.
pub(crate) fn files_for(t: &Template, profile: &Profile, preferred: bool) -> ModelFiles {
    let m = t.manifest();
    let bypassed: BTreeSet<&str> = profile.bypass.iter().map(|b| b.node.as_str()).collect();
    let prefer: &[SetValue] = match (&profile.prefer, preferred) {
        (Some(p), true) => &p.set,
        _ => &[],
    };
    let mut files = BTreeSet::new();
    for mi in &m.models {
        if bypassed.contains(mi.node.as_str()) {
            continue;
        }
        // Later writes win, as in binding: the preferred variant's after the profile's own.
        let overridden = profile
            .set
            .iter()
            .chain(prefer)
            .rev()
            .find(|s| !s.extension && s.node == mi.node && s.input == mi.input)
            .map(|s| &s.value);
        let value = overridden.or_else(|| {
            t.graph()
                .get(&mi.node)
                .and_then(|n| n.inputs.get(&mi.input))
        });
        if let Some(v) = value
            && as_link(v).is_none()
            && let Some(file) = v.as_str()
        {
            files.insert((mi.folder.clone(), file.to_owned()));
        }
    }
    files
}

/// The files each profile needs at least (without its preferred variant), by profile name.
pub fn required_models(t: &Template) -> BTreeMap<String, ModelFiles> {
    t.manifest()
        .profiles
        .iter()
        .map(|(name, p)| (name.clone(), files_for(t, p, false)))
        .collect()
}

/// The files the preferred variant of `profile` needs beyond the profile's own.
pub(crate) fn preferred_extra(t: &Template, profile: &Profile) -> ModelFiles {
    let base = files_for(t, profile, false);
    files_for(t, profile, true)
        .difference(&base)
        .cloned()
        .collect()
}

/// The `/models/{folder}` lists preflight and planning need for this template.
pub fn model_folders(t: &Template) -> BTreeSet<String> {
    t.manifest()
        .models
        .iter()
        .map(|m| m.folder.clone())
        .collect()
}
