//! A pool name where one server is needed (`graph --dry-run` checks the server it would run
//! on, `templates --endpoint` asks one server what it can run): the member routing would pick
//! for this job, or the first member that answers; when none can, the error says why, member
//! by member.

use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::jobs::JobRequest;
use crate::jobs::engine::pool::{JobShape, no_member};
use crate::pools::{Target, route};

/// The one server a server-or-pool name stands for here.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ResolvedServer {
    /// The server to ask.
    pub endpoint: String,
    /// The pool it was picked from (`None`: the name was a server).
    pub pool: Option<String>,
    /// Why this member, in user words ("sent to gpu-b: no wait"); empty for a server.
    pub why: String,
}

impl Studio {
    /// The server `request` would run on: the name itself when it is a server, or the member
    /// routing would send it to when it is a pool (same measure: preflight for its template
    /// and profile, queue, run time, uploads). Nothing is posted or recorded.
    pub async fn resolve_for_request(
        &self,
        request: &JobRequest,
    ) -> Result<ResolvedServer, CoreError> {
        let pool = match self.engine().target(request.target.as_deref()).await? {
            Target::Endpoint(e) => return Ok(server(e.name)),
            Target::Pool(p) => p,
        };
        // The plan resolves the profile (the template's default when none is given).
        let plan = self.plan(request.clone()).await?;
        let t = crate::jobs::template_for(self.engine().catalog(), request)?;
        let shape = JobShape {
            template: t.manifest().name.clone(),
            version: t.manifest().version.to_string(),
            profile: plan.profile,
            frames: plan.timing.as_ref().map_or(0, |t| i64::from(t.frame_count)),
            uploads: self.upload_sizes(t, &request.inputs).await?,
        };
        let members = self.engine().estimate_members(&pool, &shape, &[]).await;
        let decision = route::decide(&members).ok_or_else(|| no_member(&pool, &members))?;
        Ok(ResolvedServer {
            endpoint: decision.order[0].clone(),
            pool: Some(pool.name),
            why: decision.summary,
        })
    }

    /// The server to ask about every template: the name itself when it is a server, or the
    /// first member of the pool (in its order) that answers.
    pub async fn resolve_for_catalog(
        &self,
        name: Option<&str>,
    ) -> Result<ResolvedServer, CoreError> {
        let pool = match self.engine().target(name).await? {
            Target::Endpoint(e) => return Ok(server(e.name)),
            Target::Pool(p) => p,
        };
        let detail = self.pool_detail(&pool.name).await?;
        if let Some(m) = detail.members.iter().find(|m| m.reachable) {
            return Ok(ResolvedServer {
                endpoint: m.endpoint.clone(),
                pool: Some(pool.name),
                why: format!(
                    "{} is the first member of the pool that answers",
                    m.endpoint
                ),
            });
        }
        Err(if detail.members.is_empty() {
            CoreError::PoolNeedsMember { pool: pool.name }
        } else {
            CoreError::PoolUnreachable {
                pool: pool.name,
                reasons: detail
                    .members
                    .iter()
                    .map(|m| {
                        let why = m.error.as_ref().map_or("did not answer", |e| &e.message);
                        format!("{}: {why}", m.endpoint)
                    })
                    .collect(),
            }
        })
    }
}

fn server(endpoint: String) -> ResolvedServer {
    ResolvedServer {
        endpoint,
        pool: None,
        why: String::new(),
    }
}
