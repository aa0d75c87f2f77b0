//! Tauri commands, one module per area. Each command only parses its arguments, calls the core
//! (`animatrix_core::Studio`, which keeps blocking work off the async workers), and turns
//! failures into `UserError` ({code, message, suggestion, detail}), which is what every
//! rejected call gives the UI (`ui/src/lib/api.ts`).
//!
//! The commands are listed once, in `list.rs`: that list is the invoke handler, the ACL
//! (`build.rs`), the capability file and the generated TypeScript bindings (see `contract`).

pub mod app;
pub mod contract;
pub mod demo;
pub mod endpoints;
pub mod inputs;
pub mod jobs;
pub mod operator;
mod pickers;
pub mod pools;
pub mod sharing;
pub mod templates;

use animatrix_common::{ErrorCode, Explain, UserError};
use animatrix_core::CoreError;

/// Expands the command list into the names (`COMMANDS`) and the tauri-specta builder that is
/// both the invoke handler and the source of the TypeScript bindings.
macro_rules! app_commands {
    ($($module:ident :: $command:ident),+ $(,)?) => {
        /// Every command the UI may call, in list order.
        pub const COMMANDS: &[&str] = &[$(stringify!($command)),+];

        /// The commands with their argument and result types. Rejections are thrown in the
        /// bindings (`Throw`): `api.ts` turns whatever a call rejects with into a `UserError`.
        pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
            tauri_specta::Builder::<tauri::Wry>::new()
                .commands(tauri_specta::collect_commands![$($module::$command),+])
                .error_handling(tauri_specta::ErrorHandlingMode::Throw)
        }
    };
}

include!("list.rs");

/// The invoke handler with every command the UI may call.
pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
    builder().invoke_handler()
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
