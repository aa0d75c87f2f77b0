//! Declares the app's own commands to Tauri's ACL so that each one needs an explicit
//! `allow-<command>` permission in `capabilities/`: a command not granted there cannot be
//! invoked from the web view.

include!("src/commands/names.rs");

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
