//! The window's contract as files generated from the one command list (`list.rs`): the
//! TypeScript bindings the UI imports and the capability that grants the window exactly those
//! commands. `tests/contract.rs` regenerates both and fails when a committed copy differs.

use serde::Serialize;
use specta_typescript::{BigIntExportBehavior, ExportError, Typescript};

/// Both files, relative to `src-tauri/`.
pub const BINDINGS_FILE: &str = "../ui/src/lib/bindings.ts";
pub const CAPABILITY_FILE: &str = "capabilities/default.json";

/// How to rewrite both files after changing a command or a type that crosses the boundary.
pub const REFRESH: &str =
    "ANIMATRIX_WRITE_CONTRACT=1 cargo test -p animatrix-studio --test contract";

/// `ui/src/lib/bindings.ts`: every type crossing the boundary and one function per command.
pub fn bindings() -> Result<String, ExportError> {
    let ts = Typescript::default()
        // Rust's i64/u64/usize (ids, sizes, millisecond times, seeds) as `number`: every such
        // value we send stays below 2^53 (seeds are capped there: `MAX_SEED`), and Tauri's
        // JSON reaches the page as plain numbers anyway.
        .bigint(BigIntExportBehavior::Number)
        .header(format!(
            "// The window <-> Rust contract, generated from src-tauri/src/commands/list.rs and the\n\
             // Rust types. Do not edit: change the Rust side, then run\n//   {REFRESH}"
        ));
    let text = super::builder().export_str(ts)?;
    // tauri 2's `Channel` exports itself as a named type `TAURI_CHANNEL<TSend> = null`, which
    // clashes with the bindings' own `import { Channel as TAURI_CHANNEL }` (open upstream:
    // specta-rs/tauri-specta#171). The import is the right type: drop the placeholder.
    Ok(text.replace(CHANNEL_PLACEHOLDER, ""))
}

const CHANNEL_PLACEHOLDER: &str = "export type TAURI_CHANNEL<TSend> = null\n";

/// Fields in the order the file shows them.
#[derive(Serialize)]
struct Capability {
    #[serde(rename = "$schema")]
    schema: &'static str,
    identifier: &'static str,
    description: &'static str,
    windows: [&'static str; 1],
    permissions: Vec<String>,
}

/// `capabilities/default.json`: the main window may call exactly the listed commands.
pub fn capability() -> String {
    let cap = Capability {
        schema: "../gen/schemas/desktop-schema.json",
        identifier: "main-window",
        description: "Exactly what the main window's UI calls: the app's own commands (generated from src/commands/list.rs). No core plugin permissions are granted because the UI uses none (window title and size come from tauri.conf.json).",
        windows: ["main"],
        permissions: super::COMMANDS
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&cap).unwrap_or_default();
    text.push('\n');
    text
}
