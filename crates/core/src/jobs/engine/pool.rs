//! Pool jobs in the engine: which target a name means, measuring every member for one job,
//! sending it to the best one and on to the next when a member refuses before accepting the
//! prompt, and resubmitting once a prompt a member lost to a restart. The rules themselves
//! (ranking, what moves a job on) are in `crate::pools`; this file only gathers the facts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use animatrix_comfy::Tracked;
use animatrix_common::{Explain, UserError};
use animatrix_workflow::{DeviceStatus, PreflightReport, Template};
use tokio::task::JoinSet;
use tracing::{info, warn};

use super::Engine;
use crate::jobs::conn::ServerConn;
use crate::jobs::lifecycle::JobCtx;
use crate::jobs::metrics;
use crate::jobs::model::{EventData, JobRecord, JobState, JobUpdate, Relation};
use crate::jobs::prepare::Prepared;
use crate::jobs::{binding, repo, run};
use crate::pools::route::{self, MemberEstimate, MemberStatus};
use crate::pools::{PoolView, Target, failover, store as pools};
use crate::{CoreError, store};

/// How long one member may take to say whether and when it could run a job; a member slower
/// than this is passed over as unreachable for this job (the others need not wait for it).
const MEASURE_BUDGET: Duration = Duration::from_secs(8);
/// Run time assumed per sampling step until a server has history for a template/profile (a
/// Wan 2.2 14B step at 480p on one datacenter GPU). Only the ratio between members decides;
/// the absolute value is what the wait estimate says before the first run.
const DEFAULT_SECONDS_PER_STEP: f64 = 20.0;
/// How long a member's preflight verdict for a template/profile is reused: installed nodes and
/// models change rarely, and a burst of jobs would otherwise ask every member for its model
/// lists once per job.
const VERDICT_TTL: Duration = Duration::from_secs(30);
/// Upload speed assumed for inputs a member does not have yet (a studio uplink).
const ASSUMED_UPLOAD_BYTES_PER_SECOND: f64 = 20.0 * 1024.0 * 1024.0;

/// (member, template@version, profile).
pub(crate) type VerdictKey = (String, String, String);
/// When it was asked, and why the member cannot run it (`None`: it can).
pub(crate) type Verdict = (Instant, Option<String>);

/// What one job needs measured on each member (owned, so members are asked concurrently).
#[derive(Clone)]
pub(crate) struct JobShape {
    pub template: String,
    pub version: String,
    pub profile: String,
    pub frames: i64,
    /// (asset id, bytes) of every input the graph binds.
    pub uploads: Vec<(String, i64)>,
}

impl JobShape {
    pub fn of(template: &Template, prepared: &Prepared) -> JobShape {
        JobShape {
            template: prepared.template.name.clone(),
            version: prepared.template.version.clone(),
            profile: prepared.plan.profile.clone(),
            frames: prepared.frame_count().unwrap_or(0),
            uploads: prepared
                .inputs
                .iter()
                .filter(|i| binding::declared(template, i.role.as_str()).is_some_and(|d| d.bound))
                .map(|i| (i.asset.id.clone(), i.asset.size_bytes))
                .collect(),
        }
    }
}

impl Engine {
    /// What a name means as a target: a server, or a pool (servers first; names never clash,
    /// the API refuses a name used by the other kind). `None`: the default pool when a pool is
    /// the default target, else the default server.
    pub async fn target(&self, name: Option<&str>) -> Result<Target, CoreError> {
        let name = name.map(str::to_string);
        self.db()
            .read(move |c| match name {
                Some(n) => match store::endpoints::get(c, &n) {
                    Ok(e) => Ok(Target::Endpoint(e)),
                    Err(CoreError::EndpointNotFound { .. }) => pools::find(c, &n)?
                        .map(Target::Pool)
                        .ok_or(CoreError::TargetNotFound { name: n }),
                    Err(e) => Err(e),
                },
                None => match pools::default(c)? {
                    Some(p) => Ok(Target::Pool(p)),
                    None => store::endpoints::default(c).map(Target::Endpoint),
                },
            })
            .await
    }

    /// The pool a job was sent to, while it still exists.
    pub(super) async fn pool_of(&self, job: &JobRecord) -> Result<Option<PoolView>, CoreError> {
        let Some(name) = job.request.target.clone() else {
            return Ok(None);
        };
        self.db().read(move |c| pools::find(c, &name)).await
    }

    /// Every member of `pool` (but `skip`) measured for one job, concurrently, each within
    /// [`MEASURE_BUDGET`].
    pub(crate) async fn estimate_members(
        &self,
        pool: &PoolView,
        shape: &JobShape,
        skip: &[String],
    ) -> Vec<MemberEstimate> {
        let mut set = JoinSet::new();
        let members: Vec<String> = pool
            .members
            .iter()
            .filter(|m| !skip.contains(m))
            .cloned()
            .collect();
        for (i, member) in members.iter().enumerate() {
            let (engine, member, shape) = (self.clone(), member.clone(), shape.clone());
            set.spawn(async move {
                let status =
                    match tokio::time::timeout(MEASURE_BUDGET, engine.measure(&member, &shape))
                        .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => MemberStatus::Unreachable {
                            reason: e.explain().message,
                        },
                        Err(_) => MemberStatus::Unreachable {
                            reason: "did not answer in time".into(),
                        },
                    };
                (
                    i,
                    MemberEstimate {
                        endpoint: member,
                        status,
                    },
                )
            });
        }
        let mut out: Vec<(usize, MemberEstimate)> = set.join_all().await;
        // Member order is the tie-break order of routing.
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, e)| e).collect()
    }

    /// One member for one job: preflight for its template and profile, then the queue, this
    /// server's median run time and the uploads it lacks.
    async fn measure(&self, member: &str, shape: &JobShape) -> Result<MemberStatus, CoreError> {
        let template = self.catalog().get(&shape.template, &shape.version)?;
        let conn = self.connection(Some(member)).await?;
        if let Some(reason) = self.verdict(&conn, template, shape).await? {
            return Ok(MemberStatus::NotReady { reason });
        }
        let queue = conn.client.queue().await?;
        let on_server = queue.queue_running.len() + queue.queue_pending.len();
        let (member, s) = (member.to_string(), shape.clone());
        let (ours, median, missing_bytes) = self
            .db()
            .read(move |c| {
                let ours = repo::routed_not_posted(c, &member)?;
                let median =
                    metrics::median_run_seconds(c, &member, &s.template, &s.profile, s.frames)?;
                let mut missing = 0i64;
                for (asset, bytes) in &s.uploads {
                    if !pools::has_upload(c, &member, asset)? {
                        missing += (*bytes).max(0);
                    }
                }
                Ok((ours, median, missing))
            })
            .await?;
        let steps = template
            .manifest()
            .profiles
            .get(&shape.profile)
            .map_or(1, |p| p.steps.max(1));
        let run_seconds = median.unwrap_or(f64::from(steps) * DEFAULT_SECONDS_PER_STEP);
        let ahead = u32::try_from(on_server)
            .unwrap_or(u32::MAX)
            .saturating_add(ours);
        Ok(MemberStatus::ready(
            ahead,
            run_seconds,
            median.is_some(),
            missing_bytes as f64 / ASSUMED_UPLOAD_BYTES_PER_SECOND,
        ))
    }

    /// Why `conn` cannot run this template/profile (`None`: it can), reused for
    /// [`VERDICT_TTL`].
    async fn verdict(
        &self,
        conn: &ServerConn,
        template: &Template,
        shape: &JobShape,
    ) -> Result<Option<String>, CoreError> {
        let key = (
            conn.endpoint.name.clone(),
            format!("{}@{}", shape.template, shape.version),
            shape.profile.clone(),
        );
        {
            let cache = self
                .inner
                .verdicts
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((at, reason)) = cache.get(&key)
                && at.elapsed() < VERDICT_TTL
            {
                return Ok(reason.clone());
            }
        }
        let facts = conn.server_facts(template).await?;
        let report = animatrix_workflow::preflight(template, &facts);
        let reason = not_ready_reason(&report, &shape.profile);
        let mut cache = self
            .inner
            .verdicts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        cache.insert(key, (Instant::now(), reason.clone()));
        Ok(reason)
    }

    /// Sends a pool job to its best member, and on to the next one while members refuse before
    /// accepting the prompt. `None` when the job ended on the way (cancelled).
    pub(super) async fn to_pool(
        &self,
        ctx: &JobCtx,
        pool: &PoolView,
        template: &Template,
        prepared: &Prepared,
    ) -> Result<Option<(Arc<ServerConn>, Tracked)>, CoreError> {
        let shape = JobShape::of(template, prepared);
        let mut skip: Vec<String> = Vec::new();
        let id = ctx.job_id.clone();
        // A resubmission after a loss avoids the member that lost it.
        if let Some(lost_on) = self
            .db()
            .read(move |c| repo::parent_endpoint(c, &id))
            .await?
            && ctx.job().await?.relation == Some(Relation::Failover)
        {
            skip.push(lost_on);
        }
        let mut last_refusal: Option<CoreError> = None;
        loop {
            // One decision at a time, recorded before the next is taken, so a burst of jobs
            // sees the ones routed just before it (see `repo::routed_not_posted`).
            let turn = self.inner.routing.lock().await;
            let estimates = self.estimate_members(pool, &shape, &skip).await;
            let Some(decision) = route::decide(&estimates) else {
                drop(turn);
                return Err(last_refusal.unwrap_or_else(|| no_member(pool, &estimates)));
            };
            let chosen = decision.order[0].clone();
            let conn = self.connection(Some(&chosen)).await?;
            let routed = EventData::Routed {
                endpoint: chosen.clone(),
                summary: decision.summary.clone(),
                alternatives: decision.alternatives.clone(),
            };
            let (id, ep, client) = (
                ctx.job_id.clone(),
                chosen.clone(),
                conn.hub.client_id().to_string(),
            );
            let assigned = self
                .db()
                .write(move |c| repo::assign_member(c, &id, &ep, &client, &routed))
                .await?;
            drop(turn);
            if !assigned {
                return Ok(None);
            }
            info!(endpoint = %chosen, summary = %decision.summary, "pool job routed");
            let mut update = JobUpdate::new(&ctx.job_id, JobState::Validating);
            update.endpoint = Some(chosen.clone());
            ctx.emit(update);
            let job = ctx.job().await?;
            match run::to_server(ctx, template, &job, &conn, prepared).await {
                Ok(sent) => return Ok(sent.map(|t| (conn, t))),
                Err(e) => {
                    let user = e.explain();
                    let moves = if failover::moves_on_once_member_denies(&user) {
                        matches!(conn.hub.reconcile(&job.prompt_id).await, Ok(None))
                    } else {
                        failover::moves_to_next_member(&user)
                    };
                    if !moves || self.was_posted(&job.id).await? {
                        return Err(e);
                    }
                    warn!(endpoint = %chosen, code = %user.code, "member refused the job; trying the next");
                    ctx.event(EventData::Warning {
                        message: format!(
                            "{chosen} could not take it ({}); trying another server of the pool.",
                            user.message.trim_end_matches('.')
                        ),
                    })
                    .await?;
                    skip.push(chosen);
                    last_refusal = Some(e);
                }
            }
        }
    }

    /// After a pool job failed: a prompt its member lost to a restart goes, once, to another
    /// ready member as a new job linked to it (when the pool allows it). Best effort: the
    /// failure is already recorded either way.
    pub(super) async fn resubmit_lost(&self, ctx: &JobCtx, job: &JobRecord, err: &UserError) {
        let pool = match self.pool_of(job).await {
            Ok(Some(p)) => p,
            _ => return,
        };
        let Ok(current) = ctx.job().await else {
            return;
        };
        if !failover::resubmits_lost(&current, err, &pool) {
            return;
        }
        let lost_on = current.endpoint.clone().unwrap_or_default();
        match self
            .submit(
                current.request.clone(),
                Some((current.id.clone(), Relation::Failover)),
            )
            .await
        {
            Ok(new_id) => {
                info!(new_job = %new_id, lost_on = %lost_on, "lost prompt resubmitted to the pool");
                let _ = ctx
                    .event(EventData::Warning {
                        message: format!(
                            "{lost_on} lost this run when it restarted; it was sent again to the pool {} as run {new_id}.",
                            pool.name
                        ),
                    })
                    .await;
            }
            Err(e) => warn!(error = %e, "lost prompt not resubmitted"),
        }
    }
}

/// Why a member cannot run this profile, in user words; `None` when it can.
fn not_ready_reason(report: &PreflightReport, profile: &str) -> Option<String> {
    if !report.missing_nodes.is_empty() {
        let classes: Vec<&str> = report
            .missing_nodes
            .iter()
            .map(|n| n.class.as_str())
            .collect();
        return Some(format!("lacks nodes {}", classes.join(", ")));
    }
    if report
        .devices
        .iter()
        .any(|d| d.status == DeviceStatus::Absent)
    {
        return Some(report.verdict.clone());
    }
    if report.ready_profiles.iter().any(|p| p == profile) {
        return None;
    }
    Some(
        match report.profiles.iter().find(|p| p.profile == profile) {
            Some(p) if !p.missing.is_empty() => {
                format!("lacks the {} model ({})", p.label, p.missing.join(", "))
            }
            Some(p) => format!("cannot run {}", p.label),
            None => format!("has no {profile} profile"),
        },
    )
}

pub(crate) fn no_member(pool: &PoolView, estimates: &[MemberEstimate]) -> CoreError {
    let reasons: Vec<String> = estimates
        .iter()
        .filter_map(|e| match &e.status {
            MemberStatus::NotReady { reason } | MemberStatus::Unreachable { reason } => {
                Some(format!("{}: {reason}", e.endpoint))
            }
            MemberStatus::Ready { .. } => None,
        })
        .collect();
    let any_not_ready = estimates
        .iter()
        .any(|e| matches!(e.status, MemberStatus::NotReady { .. }));
    if estimates.is_empty() {
        CoreError::PoolNeedsMember {
            pool: pool.name.clone(),
        }
    } else if any_not_ready {
        CoreError::PoolNoReadyMember {
            pool: pool.name.clone(),
            reasons,
        }
    } else {
        CoreError::PoolUnreachable {
            pool: pool.name.clone(),
            reasons,
        }
    }
}
