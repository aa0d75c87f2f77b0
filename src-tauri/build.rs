//! Declares the app's own commands to Tauri's ACL so that each one needs an explicit
//! `allow-<command>` permission in `capabilities/`: a command not granted there cannot be
//! invoked from the web view. The names come from the one command list, `src/commands/list.rs`.

/// `list.rs` as the names only (`commands/mod.rs` expands the same list into the handler and
/// the bindings).
macro_rules! app_commands {
    ($($module:ident :: $command:ident),+ $(,)?) => {
        const COMMANDS: &[&str] = &[$(stringify!($command)),+];
    };
}

include!("src/commands/list.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/commands/list.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
