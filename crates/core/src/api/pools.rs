//! Server pools: create, add, remove, list, show (members' health, GPU and metrics), delete,
//! settings, default target. One surface for the window and the CLI (the wait before
//! Generate is `wait.rs`).

use std::time::Duration;

use animatrix_common::{Explain, UserError};
use serde::Serialize;
use tracing::info;

use super::Studio;
use crate::config::endpoints as ep;
use crate::jobs::server_metrics::ServerMetrics;
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
    /// The server's first GPU and its VRAM in bytes, from `/system_stats` (`None` when it did
    /// not say: unreachable, or a CPU-only server).
    pub gpu_name: Option<String>,
    pub vram_total: Option<u64>,
    pub vram_free: Option<u64>,
    /// This server's runs, failure rate and median run time per template, from our history.
    pub metrics: ServerMetrics,
    pub error: Option<UserError>,
}

/// A pool with its members' live state.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct PoolDetail {
    pub pool: PoolView,
    pub members: Vec<MemberHealth>,
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
            // The queue decides reachability; the GPU is extra (an old server without
            // `/system_stats` is still usable), so its failure only leaves the GPU unknown.
            let (queue, stats) = tokio::join!(conn.client.queue(), conn.client.system_stats());
            let q = queue?;
            let gpu = stats
                .ok()
                .and_then(|s| s.gpu().map(|d| (d.name.clone(), d.vram_total, d.vram_free)));
            Ok::<_, CoreError>((q.queue_running.len() + q.queue_pending.len(), gpu))
        })
        .await;
        let (queue, gpu, error) = match asked {
            Ok(Ok((n, gpu))) => (Some(u32::try_from(n).unwrap_or(u32::MAX)), gpu, None),
            Ok(Err(e)) => (None, None, Some(e.explain())),
            Err(_) => (
                None,
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
        // History is local: a store error here is rare and not the member's health, so it
        // shows as empty metrics rather than hiding the member.
        let metrics = match self.metrics_of(endpoint).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(endpoint, error = %e, "server metrics unavailable");
                crate::jobs::server_metrics::empty(endpoint)
            }
        };
        let (gpu_name, vram_total, vram_free) = match gpu {
            Some((n, t, f)) => (Some(n), Some(t), Some(f)),
            None => (None, None, None),
        };
        MemberHealth {
            endpoint: endpoint.to_string(),
            base_url,
            reachable: error.is_none(),
            queue,
            gpu_name,
            vram_total,
            vram_free,
            metrics,
            error,
        }
    }
}
