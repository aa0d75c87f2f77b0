//! What binding checks before it writes anything: the job id, the seed and the uploaded names.

use crate::WorkflowError;
use crate::manifest::Manifest;
use crate::settings::{MAX_SEED, UploadedInputs};

use super::SeedSource;

pub(super) fn check_job_id(job_id: &str) -> Result<(), WorkflowError> {
    let ok = (1..=64).contains(&job_id.len())
        && job_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(WorkflowError::InvalidJobId {
            job_id: job_id.to_owned(),
        })
    }
}

pub(super) fn resolve_seed(seed: i64, seeds: &mut dyn SeedSource) -> Result<u64, WorkflowError> {
    match seed {
        -1 => Ok(seeds.next_seed() & MAX_SEED),
        s if s >= 0 && (s as u64) <= MAX_SEED => Ok(s as u64),
        s => Err(WorkflowError::InvalidSeed {
            seed: s,
            max: MAX_SEED,
        }),
    }
}

/// A server file name must stay inside ComfyUI's input folder.
fn safe_server_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.chars().any(char::is_control)
        && !name
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty())
        && !(name.len() >= 2 && name.as_bytes()[1] == b':')
}

/// Upload names must be safe server file names, for declared inputs that are bound.
pub(super) fn check_uploads(m: &Manifest, uploads: &UploadedInputs) -> Result<(), WorkflowError> {
    for (role, name) in uploads.iter() {
        let Some(decl) = m.inputs.get(role) else {
            return Err(WorkflowError::UnexpectedInput {
                template: m.name.clone(),
                input: role.to_owned(),
            });
        };
        if !decl.is_bound() {
            return Err(WorkflowError::InputNotBound {
                input: role.to_owned(),
                label: decl.label.clone(),
            });
        }
        if !safe_server_name(name) {
            return Err(WorkflowError::InvalidInputName {
                input: role.to_owned(),
                name: name.to_owned(),
            });
        }
    }
    Ok(())
}
