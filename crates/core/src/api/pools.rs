//! Server pools: create, add, remove, list, show, delete, settings, default target, and the
//! expected wait before Generate. One surface for the window and the CLI.

use std::time::Duration;

use animatrix_common::{Explain, UserError};
use serde::Serialize;
use tracing::info;

use super::Studio;
use crate::config::endpoints as ep;
use crate::jobs::engine::pool::JobShape;
use crate::pools::route::{MemberEstimate, MemberStatus, short_wait, wait_words};
use crate::pools::{PoolSettings, PoolView, Target, store as pools};
use crate::{CoreError, store};

/// How long `pool show` waits for a member's queue.
const HEALTH_BUDGET: Duration = Duration::from_secs(5);

/// One member's state for `pool show` and the operator view.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct MemberHealth {
    pub endpoint: String,
    pub base_url: String,
    pub reachable: bool,
    /// Prompts on the server (running and pending, everyone's).
    pub queue: Option<u32>,
    pub error: Option<UserError>,
}

/// A pool with its members' live state.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct PoolDetail {
    pub pool: PoolView,
    pub members: Vec<MemberHealth>,
}

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
    pub async fn list_pools(&self) -> Result<Vec<PoolView>, CoreError> {
        self.db().read(pools::list).await
    }

    pub async fn pool(&self, name: &str) -> Result<PoolView, CoreError> {
        let name = name.to_string();
        self.db().read(move |c| pools::get(c, &name)).await
    }

    /// A pool of existing servers (at least one, each once). Pool and server names share one
    /// namespace, so `--endpoint NAME` is never ambiguous.
    pub async fn create_pool(
        &self,
        name: &str,
        members: &[String],
        settings: Option<PoolSettings>,
    ) -> Result<PoolView, CoreError> {
        ep::validate_name(name)?;
        let settings = settings.unwrap_or_default();
        settings.validate()?;
        if members.is_empty() {
            return Err(CoreError::PoolNeedsMember { pool: name.into() });
        }
        let (name, members) = (name.to_string(), members.to_vec());
        let view = self
            .db()
            .write(move |c| {
                if store::endpoints::exists(c, &name)? {
                    return Err(CoreError::NameTaken {
                        name,
                        used_by: "server",
                    });
                }
                if pools::exists(c, &name)? {
                    return Err(CoreError::DuplicatePool { name });
                }
                let mut unique: Vec<String> = Vec::new();
                for m in &members {
                    store::endpoints::get(c, m)?;
                    if unique.contains(m) {
                        return Err(CoreError::PoolMemberExists {
                            pool: name,
                            endpoint: m.clone(),
                        });
                    }
                    unique.push(m.clone());
                }
                pools::insert(c, &name, &unique, &settings)?;
                pools::get(c, &name)
            })
            .await?;
        info!(pool = %view.name, members = ?view.members, "pool created");
        Ok(view)
    }

    pub async fn add_pool_member(&self, pool: &str, endpoint: &str) -> Result<PoolView, CoreError> {
        let (pool, endpoint) = (pool.to_string(), endpoint.to_string());
        self.db()
            .write(move |c| {
                pools::get(c, &pool)?;
                store::endpoints::get(c, &endpoint)?;
                pools::add_member(c, &pool, &endpoint)?;
                pools::get(c, &pool)
            })
            .await
    }

    pub async fn remove_pool_member(
        &self,
        pool: &str,
        endpoint: &str,
    ) -> Result<PoolView, CoreError> {
        let (pool, endpoint) = (pool.to_string(), endpoint.to_string());
        self.db()
            .write(move |c| {
                pools::get(c, &pool)?;
                pools::remove_member(c, &pool, &endpoint)?;
                pools::get(c, &pool)
            })
            .await
    }

    pub async fn update_pool_settings(
        &self,
        pool: &str,
        settings: PoolSettings,
    ) -> Result<PoolView, CoreError> {
        settings.validate()?;
        let pool = pool.to_string();
        self.db()
            .write(move |c| {
                pools::update_settings(c, &pool, &settings)?;
                pools::get(c, &pool)
            })
            .await
    }

    /// Deletes the pool (its servers stay). Jobs sent through it keep their member.
    pub async fn delete_pool(&self, name: &str) -> Result<(), CoreError> {
        let name = name.to_string();
        self.db().write(move |c| pools::delete(c, &name)).await
    }

    /// Makes a server or a pool the default target of new jobs.
    pub async fn set_default_target(&self, name: &str) -> Result<(), CoreError> {
        match self.engine().target(Some(name)).await? {
            Target::Endpoint(e) => self.set_default_endpoint(&e.name).await,
            Target::Pool(p) => {
                self.db()
                    .write(move |c| pools::set_default(c, &p.name))
                    .await
            }
        }
    }

    /// The name new jobs go to when none is given (a pool or a server).
    pub async fn default_target(&self) -> Result<String, CoreError> {
        Ok(self.engine().target(None).await?.name().to_string())
    }

    /// The pool with each member's reachability and queue, asked concurrently.
    pub async fn pool_detail(&self, name: &str) -> Result<PoolDetail, CoreError> {
        let pool = self.pool(name).await?;
        let mut set = tokio::task::JoinSet::new();
        for (i, member) in pool.members.iter().enumerate() {
            let (studio, member) = (self.clone(), member.clone());
            set.spawn(async move { (i, studio.member_health(&member).await) });
        }
        let mut members: Vec<(usize, MemberHealth)> = set.join_all().await;
        members.sort_by_key(|(i, _)| *i);
        Ok(PoolDetail {
            pool,
            members: members.into_iter().map(|(_, m)| m).collect(),
        })
    }

    async fn member_health(&self, endpoint: &str) -> MemberHealth {
        let base_url = self
            .endpoint(Some(endpoint))
            .await
            .map(|e| e.base_url)
            .unwrap_or_default();
        let asked = tokio::time::timeout(HEALTH_BUDGET, async {
            let conn = self.engine().connection(Some(endpoint)).await?;
            let q = conn.client.queue().await?;
            Ok::<_, CoreError>(q.queue_running.len() + q.queue_pending.len())
        })
        .await;
        let (queue, error) = match asked {
            Ok(Ok(n)) => (Some(u32::try_from(n).unwrap_or(u32::MAX)), None),
            Ok(Err(e)) => (None, Some(e.explain())),
            Err(_) => (
                None,
                Some(
                    CoreError::PoolUnreachable {
                        pool: endpoint.into(),
                        reasons: vec!["did not answer in time".into()],
                    }
                    .explain(),
                ),
            ),
        };
        MemberHealth {
            endpoint: endpoint.to_string(),
            base_url,
            reachable: error.is_none(),
            queue,
            error,
        }
    }

    /// The expected wait before a job of `template` at `profile` would start on `target` (the
    /// default target when `None`): what the composer shows beside Generate, and whether it
    /// passes the pool's warning threshold. Measured exactly as routing measures (same rule).
    pub async fn wait_estimate(
        &self,
        target: Option<&str>,
        template: &str,
        profile: &str,
    ) -> Result<WaitEstimate, CoreError> {
        let target = self.engine().target(target).await?;
        let t = self.engine().catalog().latest(template)?;
        let shape = JobShape {
            template: t.manifest().name.clone(),
            version: t.manifest().version.to_string(),
            profile: profile.to_string(),
            frames: 0,
            uploads: Vec::new(),
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
}
