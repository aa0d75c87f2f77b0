//! The template catalog as the window and the CLI show it (the studios: modes, sub-modes, input
//! chips, options, profiles, aspects, capability text; no node targets), and whether servers can
//! run each template (preflight).

use animatrix_common::{Explain, UserError};
use animatrix_workflow::{PreflightReport, StudioMode, Template, TemplateSummary};
use serde::Serialize;

use super::Studio;
use crate::CoreError;
use crate::jobs::conn::ServerConn;

/// Preflight of every latest template against one server.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PreflightResult {
    pub endpoint: String,
    pub reports: Vec<PreflightReport>,
    /// Set when the server could not be asked (the reports are then empty).
    pub error: Option<UserError>,
}

impl Studio {
    /// The studios the window renders: modes in switch order, each with its templates.
    pub fn studios(&self) -> Vec<StudioMode> {
        self.engine().catalog().studios()
    }

    /// Every installed template version (the CLI's `templates`).
    pub fn templates(&self) -> Vec<TemplateSummary> {
        self.engine().catalog().list()
    }

    /// The latest template of `mode` (and `sub_mode`; the mode's default when `None`), for the
    /// CLI's friendly forms.
    pub fn template_for_mode(
        &self,
        mode: &str,
        sub_mode: Option<&str>,
    ) -> Result<String, CoreError> {
        Ok(self
            .engine()
            .catalog()
            .find(mode, sub_mode)?
            .manifest()
            .name
            .clone())
    }

    /// Preflight of every latest template on one server (the default when `None`). An
    /// unreachable server is a result with `error`, not a failure: the composer still works.
    pub async fn preflight(&self, endpoint: Option<&str>) -> Result<PreflightResult, CoreError> {
        let name = self.endpoint(endpoint).await?.name;
        let run = async {
            let conn = self.engine().connection(Some(&name)).await?;
            let mut reports = Vec::new();
            for t in self.engine().catalog().latest_templates() {
                reports.push(preflight_one(&conn, t).await?);
            }
            Ok::<_, CoreError>(reports)
        };
        Ok(match run.await {
            Ok(reports) => PreflightResult {
                endpoint: name,
                reports,
                error: None,
            },
            Err(e) => PreflightResult {
                endpoint: name,
                reports: Vec::new(),
                error: Some(e.explain()),
            },
        })
    }

    /// Preflight of every server: what the operator view shows.
    pub async fn preflight_all(&self) -> Result<Vec<PreflightResult>, CoreError> {
        let endpoints = self.list_endpoints().await?;
        let mut out = Vec::new();
        for e in endpoints {
            out.push(self.preflight(Some(&e.name)).await?);
        }
        Ok(out)
    }
}

pub(crate) async fn preflight_one(
    conn: &ServerConn,
    t: &Template,
) -> Result<PreflightReport, CoreError> {
    let facts = conn.server_facts(t).await?;
    Ok(animatrix_workflow::preflight(t, &facts))
}
