//! Servers (endpoints): list, add, remove, choose the default.

use animatrix_common::UserError;
use animatrix_core::{AuthKind, EndpointView, NewEndpoint};
use serde::Deserialize;
use tauri::State;

use super::explain;
use crate::state::AppState;

/// Argument of `add_endpoint`, as `ui/src/lib/endpointForm.ts` builds it.
/// No `Debug`: it carries the secret, which must never reach a log line.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct AddEndpointRequest {
    pub name: String,
    pub base_url: String,
    pub auth: AuthKind,
    #[serde(default)]
    pub make_default: bool,
    /// Handed to the core, which writes it to the OS keychain and keeps only `has_secret`.
    #[serde(default)]
    pub secret: Option<String>,
}

impl AddEndpointRequest {
    pub fn into_parts(self) -> (NewEndpoint, Option<String>) {
        (
            NewEndpoint {
                name: self.name,
                base_url: self.base_url,
                auth: self.auth,
                make_default: self.make_default,
            },
            self.secret,
        )
    }
}

/// Argument of `update_endpoint`: `secret: None` keeps the stored secret (never read back).
/// No `Debug`: it may carry a secret.
#[derive(Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointRequest {
    pub name: String,
    pub base_url: String,
    pub auth: AuthKind,
    #[serde(default)]
    pub secret: Option<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn update_endpoint(
    state: State<'_, AppState>,
    request: UpdateEndpointRequest,
) -> Result<EndpointView, UserError> {
    let studio = state.studio()?;
    studio
        .update_endpoint(
            &request.name,
            &request.base_url,
            request.auth,
            request.secret,
        )
        .await
        .map_err(|e| explain("update_endpoint", e))
}

#[tauri::command]
#[specta::specta]
pub async fn list_endpoints(state: State<'_, AppState>) -> Result<Vec<EndpointView>, UserError> {
    let studio = state.studio()?;
    studio
        .list_endpoints()
        .await
        .map_err(|e| explain("list_endpoints", e))
}

#[tauri::command]
#[specta::specta]
pub async fn add_endpoint(
    state: State<'_, AppState>,
    request: AddEndpointRequest,
) -> Result<EndpointView, UserError> {
    let studio = state.studio()?;
    let (new, secret) = request.into_parts();
    studio
        .add_endpoint(new, secret)
        .await
        .map_err(|e| explain("add_endpoint", e))
}

#[tauri::command]
#[specta::specta]
pub async fn remove_endpoint(state: State<'_, AppState>, name: String) -> Result<(), UserError> {
    let studio = state.studio()?;
    studio
        .remove_endpoint(&name)
        .await
        .map_err(|e| explain("remove_endpoint", e))
}

#[tauri::command]
#[specta::specta]
pub async fn set_default_endpoint(
    state: State<'_, AppState>,
    name: String,
) -> Result<(), UserError> {
    let studio = state.studio()?;
    studio
        .set_default_endpoint(&name)
        .await
        .map_err(|e| explain("set_default_endpoint", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactly what `ui/src/lib/endpointForm.ts` `toAddRequest` produces.
    #[test]
    fn add_request_accepts_what_the_ui_sends() {
        let none: AddEndpointRequest = serde_json::from_str(
            r#"{"name":"lab","base_url":"http://gpu.lab.test:8188","auth":{"kind":"none"},"make_default":false,"secret":null}"#,
        )
        .expect("none");
        let (new, secret) = none.into_parts();
        assert_eq!(new.auth, AuthKind::None);
        assert!(secret.is_none());

        let header: AddEndpointRequest = serde_json::from_str(
            r#"{"name":"gw","base_url":"https://gw.example","auth":{"kind":"header","name":"X-Api-Key"},"make_default":true,"secret":"s3"}"#,
        )
        .expect("header");
        let (new, secret) = header.into_parts();
        assert_eq!(
            new.auth,
            AuthKind::Header {
                name: "X-Api-Key".into()
            }
        );
        assert!(new.make_default);
        assert_eq!(secret.as_deref(), Some("s3"));
    }

    #[test]
    fn add_request_refuses_unknown_fields_and_kinds() {
        let extra = serde_json::from_str::<AddEndpointRequest>(
            r#"{"name":"lab","base_url":"http://x.test","auth":{"kind":"none"},"password":"p"}"#,
        );
        assert!(
            extra.is_err(),
            "a misspelt field must not be silently dropped"
        );
        let kind = serde_json::from_str::<AddEndpointRequest>(
            r#"{"name":"lab","base_url":"http://x.test","auth":{"kind":"digest"}}"#,
        );
        assert!(kind.is_err());
    }

    /// The UI reads these exact keys (`EndpointView` in `ui/src/lib/bindings.ts`).
    #[test]
    fn endpoint_view_has_the_shape_the_ui_reads() {
        let view = EndpointView {
            name: "gw".into(),
            base_url: "https://gw.example".into(),
            auth: AuthKind::Header {
                name: "X-Api-Key".into(),
            },
            is_default: true,
            has_secret: true,
        };
        assert_eq!(
            serde_json::to_value(&view).expect("serialize"),
            serde_json::json!({
                "name": "gw",
                "base_url": "https://gw.example",
                "auth": {"kind": "header", "name": "X-Api-Key"},
                "is_default": true,
                "has_secret": true
            })
        );
    }
}
