//! The expected wait before Generate: what the composer shows beside it, and whether it
//! passes the pool's warning threshold. One rule with routing (`crate::pools::route`).

use animatrix_workflow::Template;
use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::jobs::engine::pool::JobShape;
use crate::jobs::{InputSource, JobInput, Role};
use crate::pools::route::{MemberEstimate, MemberStatus, short_wait, wait_words};
use crate::pools::{PoolSettings, PoolView, Target};

/// What the composer shows beside Generate for the current settings.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct WaitEstimate {
    /// The server or pool name.
    pub target: String,
    pub is_pool: bool,
    pub members: Vec<MemberEstimate>,
    /// Members that can run this template and profile now.
    pub ready: u32,
    /// Prompts ahead on the member the job would go to.
    pub queue: Option<u32>,
    /// Expected wait before the job starts on that member.
    pub wait_seconds: Option<f64>,
    /// "~2 min wait on gpu-b".
    pub summary: String,
    /// The wait passes the pool's threshold: the composer warns before Generate.
    pub warn: bool,
    /// What the warning says, when `warn`.
    pub warning: Option<String>,
    pub threshold_seconds: u32,
}

impl Studio {
    /// The expected wait before a job of `template` at `profile` with the composer's `inputs`
    /// would start on `target` (the default target when `None`): what the composer shows
    /// beside Generate, and whether it passes the pool's warning threshold. Measured exactly
    /// as routing measures: queue x this server's median run time + the upload time of the
    /// inputs each server does not have yet.
    pub async fn wait_estimate(
        &self,
        target: Option<&str>,
        template: &str,
        profile: &str,
        inputs: &[JobInput],
    ) -> Result<WaitEstimate, CoreError> {
        let target = self.engine().target(target).await?;
        let t = self.engine().catalog().latest(template)?;
        let shape = JobShape {
            template: t.manifest().name.clone(),
            version: t.manifest().version.to_string(),
            profile: profile.to_string(),
            frames: 0,
            uploads: self.upload_sizes(t, inputs).await?,
        };
        let (pool, is_pool) = match &target {
            Target::Pool(p) => (p.clone(), true),
            // One server is a pool of one with the default threshold.
            Target::Endpoint(e) => (
                PoolView {
                    name: e.name.clone(),
                    members: vec![e.name.clone()],
                    settings: PoolSettings::default(),
                    is_default: e.is_default,
                },
                false,
            ),
        };
        let members = self.engine().estimate_members(&pool, &shape, &[]).await;
        let decision = crate::pools::route::decide(&members);
        let best = decision
            .as_ref()
            .and_then(|d| members.iter().find(|m| m.endpoint == d.order[0]));
        let (queue, wait_seconds) = match best.map(|m| &m.status) {
            Some(MemberStatus::Ready {
                ahead,
                wait_seconds,
                ..
            }) => (Some(*ahead), Some(*wait_seconds)),
            _ => (None, None),
        };
        let threshold = pool.settings.wait_warning_seconds;
        let summary = match (best, wait_seconds) {
            (Some(b), Some(w)) => format!("{} on {}", wait_words(w), b.endpoint),
            _ => "no server can run this now".to_string(),
        };
        let warn = wait_seconds.is_some_and(|w| w > f64::from(threshold));
        let warning = match (warn, best, wait_seconds) {
            (true, Some(b), Some(w)) => Some(format!(
                "The expected wait is {} on {}, more than the {} set for {}.",
                short_wait(w),
                b.endpoint,
                short_wait(f64::from(threshold)),
                pool.name
            )),
            _ => None,
        };
        Ok(WaitEstimate {
            target: pool.name.clone(),
            is_pool,
            ready: members
                .iter()
                .filter(|m| matches!(m.status, MemberStatus::Ready { .. }))
                .count() as u32,
            members,
            queue,
            wait_seconds,
            summary,
            warn,
            warning,
            threshold_seconds: threshold,
        })
    }

    /// (asset id, bytes) of the inputs the template sends to the server, as `JobShape::of`
    /// counts them for routing. Soft-guidance inputs (not bound into the graph) are never
    /// uploaded, so they add no time. A file not imported yet has no asset id: it is counted
    /// as on no server (it cannot be: uploads are recorded per asset). An image Generate fits
    /// to the output size becomes its own asset then; until it exists, the attached image's
    /// id and size stand for it (an over-estimate of at most that one upload).
    pub(super) async fn upload_sizes(
        &self,
        template: &Template,
        inputs: &[JobInput],
    ) -> Result<Vec<(String, i64)>, CoreError> {
        let bound: Vec<Role> = crate::jobs::input_declarations(template)
            .into_iter()
            .filter(|d| d.bound)
            .map(|d| d.role)
            .collect();
        let mut assets = Vec::new();
        let mut out = Vec::new();
        for input in inputs.iter().filter(|i| bound.contains(&i.role)) {
            match &input.source {
                InputSource::Asset(id) => assets.push(id.clone()),
                InputSource::File(path) => {
                    // An unreadable file is the plan's to report (it stops Generate); the
                    // estimate just leaves it out.
                    if let Ok(meta) = tokio::fs::metadata(path).await {
                        let bytes = i64::try_from(meta.len()).unwrap_or(i64::MAX);
                        out.push((format!("file:{}", path.display()), bytes));
                    }
                }
            }
        }
        let sized = self
            .db()
            .read(move |c| {
                let mut sized = Vec::with_capacity(assets.len());
                for id in assets {
                    match crate::assets::get(c, &id) {
                        Ok(a) => sized.push((a.id, a.size_bytes)),
                        // Removed meanwhile: the plan says so; nothing to upload.
                        Err(CoreError::AssetNotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(sized)
            })
            .await?;
        out.extend(sized);
        Ok(out)
    }
}
