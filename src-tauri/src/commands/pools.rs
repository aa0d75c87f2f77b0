//! Server pools: list, create, add and remove members, settings, delete, default target, and
//! the expected wait the composer shows beside Generate. Adapters only: every rule is in
//! `animatrix_core::Studio`.

use animatrix_common::UserError;
use animatrix_core::api::{PoolDetail, WaitEstimate};
use animatrix_core::jobs::JobInput;
use animatrix_core::pools::{PoolSettings, PoolView};
use serde::Deserialize;
use tauri::State;

use super::explain;
use crate::state::AppState;

/// Argument of `create_pool`.
#[derive(Debug, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct CreatePoolRequest {
    pub name: String,
    pub members: Vec<String>,
    #[serde(default)]
    pub settings: Option<PoolSettings>,
}

#[tauri::command]
#[specta::specta]
pub async fn list_pools(state: State<'_, AppState>) -> Result<Vec<PoolView>, UserError> {
    let studio = state.studio()?;
    studio
        .list_pools()
        .await
        .map_err(|e| explain("list_pools", e))
}

#[tauri::command]
#[specta::specta]
pub async fn create_pool(
    state: State<'_, AppState>,
    request: CreatePoolRequest,
) -> Result<PoolView, UserError> {
    let studio = state.studio()?;
    studio
        .create_pool(&request.name, &request.members, request.settings)
        .await
        .map_err(|e| explain("create_pool", e))
}

#[tauri::command]
#[specta::specta]
pub async fn add_pool_member(
    state: State<'_, AppState>,
    pool: String,
    endpoint: String,
) -> Result<PoolView, UserError> {
    let studio = state.studio()?;
    studio
        .add_pool_member(&pool, &endpoint)
        .await
        .map_err(|e| explain("add_pool_member", e))
}

#[tauri::command]
#[specta::specta]
pub async fn remove_pool_member(
    state: State<'_, AppState>,
    pool: String,
    endpoint: String,
) -> Result<PoolView, UserError> {
    let studio = state.studio()?;
    studio
        .remove_pool_member(&pool, &endpoint)
        .await
        .map_err(|e| explain("remove_pool_member", e))
}

#[tauri::command]
#[specta::specta]
pub async fn update_pool_settings(
    state: State<'_, AppState>,
    pool: String,
    settings: PoolSettings,
) -> Result<PoolView, UserError> {
    let studio = state.studio()?;
    studio
        .update_pool_settings(&pool, settings)
        .await
        .map_err(|e| explain("update_pool_settings", e))
}

#[tauri::command]
#[specta::specta]
pub async fn delete_pool(state: State<'_, AppState>, name: String) -> Result<(), UserError> {
    let studio = state.studio()?;
    studio
        .delete_pool(&name)
        .await
        .map_err(|e| explain("delete_pool", e))
}

/// A server or a pool as the default target of new jobs.
#[tauri::command]
#[specta::specta]
pub async fn set_default_target(state: State<'_, AppState>, name: String) -> Result<(), UserError> {
    let studio = state.studio()?;
    studio
        .set_default_target(&name)
        .await
        .map_err(|e| explain("set_default_target", e))
}

/// The pool with each member's reachability, queue, GPU, VRAM and metrics (Operator view).
#[tauri::command]
#[specta::specta]
pub async fn pool_detail(
    state: State<'_, AppState>,
    name: String,
) -> Result<PoolDetail, UserError> {
    let studio = state.studio()?;
    studio
        .pool_detail(&name)
        .await
        .map_err(|e| explain("pool_detail", e))
}

/// The expected wait before a job of `template` at `profile` with the composer's `inputs`
/// starts on `target` (the default target when `null`), uploads of inputs a server lacks
/// included, and whether the composer warns before Generate.
#[tauri::command]
#[specta::specta]
pub async fn wait_estimate(
    state: State<'_, AppState>,
    target: Option<String>,
    template: String,
    profile: String,
    inputs: Vec<JobInput>,
) -> Result<WaitEstimate, UserError> {
    let studio = state.studio()?;
    studio
        .wait_estimate(target.as_deref(), &template, &profile, &inputs)
        .await
        .map_err(|e| explain("wait_estimate", e))
}
