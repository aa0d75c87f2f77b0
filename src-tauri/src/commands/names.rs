// The commands the UI may call. Included by `build.rs` (Tauri's ACL: each gets an
// `allow-<name>` permission) and checked by tests against `capabilities/default.json`.
// Keep in sync with `commands::handler()`.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "list_endpoints",
    "add_endpoint",
    "remove_endpoint",
    "set_default_endpoint",
];
