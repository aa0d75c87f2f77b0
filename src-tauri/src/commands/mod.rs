//! Tauri commands, one module per area. Each command only parses its arguments, calls the core
//! (`animatrix_core::Studio`, which keeps blocking work off the async workers), and turns
//! failures into `UserError` ({code, message, suggestion, detail}),
//! which is what the UI's `ui/src/lib/api.ts` expects from every rejected call.
//!
//! Adding a command: write it in its area module, list it in `handler()` below and in
//! `names.rs`, and grant `allow-<name>` in `capabilities/default.json` (a test checks the last two).

pub mod app;
pub mod demo;
pub mod endpoints;
pub mod inputs;
pub mod jobs;
mod names;
pub mod operator;
pub mod templates;

pub use names::COMMANDS;

use animatrix_common::{ErrorCode, Explain, UserError};
use animatrix_core::CoreError;

/// The invoke handler with every command the UI may call.
pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app::app_info,
        app::subscribe,
        endpoints::list_endpoints,
        endpoints::add_endpoint,
        endpoints::update_endpoint,
        endpoints::remove_endpoint,
        endpoints::set_default_endpoint,
        operator::test_endpoint,
        inputs::pick_inputs,
        inputs::import_input,
        templates::list_templates,
        templates::preflight,
        jobs::submit_job,
        jobs::plan_job,
        jobs::list_jobs,
        jobs::job_detail,
        jobs::cancel_job,
        jobs::retry_job,
        jobs::replay_job,
        jobs::reveal_job,
        jobs::export_video,
        operator::server_queue,
        operator::metrics,
        operator::open_log_folder,
        demo::demo_settings,
        demo::set_demo_settings,
        demo::demo_export,
        demo::demo_import,
        demo::demo_timeline,
        demo::demo_perform,
        demo::demo_stop,
    ]
}

/// Explains a core error for the UI and records the operator detail in the log.
pub(crate) fn explain(command: &'static str, err: CoreError) -> UserError {
    let user = err.explain();
    tracing::warn!(command, code = %user.code, detail = %user.detail, "command failed");
    user
}

/// The error for a bug on our side (a panicked task): nothing the user did.
pub(crate) fn internal(command: &str, detail: String) -> UserError {
    UserError::new(
        ErrorCode::AppInternal,
        "The app could not complete this action.",
        "Try again. If it keeps happening, restart the app and send the log file to support.",
    )
    .with_detail(format!("{command}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_reach_the_ui_as_user_errors() {
        let err = explain(
            "add_endpoint",
            CoreError::DuplicateEndpoint { name: "lab".into() },
        );
        assert_eq!(err.code, "duplicate_endpoint");
        assert!(err.message.contains("lab"), "{err:?}");
        assert!(!err.suggestion.is_empty());
        let json = serde_json::to_value(&err).expect("serialize");
        for key in ["code", "message", "suggestion"] {
            assert!(
                json.get(key).is_some_and(|v| v.is_string()),
                "{key} missing in {json}"
            );
        }
    }
}
