//! The window's contract is generated from the one command list: the TypeScript bindings
//! (`ui/src/lib/bindings.ts`) and the capability file must be exactly what the current Rust
//! types and `src/commands/list.rs` produce, and every `#[tauri::command]` must be listed.
//!
//! The UI's unit tests read the shipped catalog as the window receives it
//! (`ui/src/lib/testdata/studios.json`), refreshed the same way.
//!
//! Refresh the files: `ANIMATRIX_WRITE_CONTRACT=1 cargo test -p animatrix-studio --test contract`

use std::path::{Path, PathBuf};

use animatrix_studio_app::commands::{COMMANDS, contract};

fn in_crate(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Writes `fresh` when asked to refresh, otherwise fails when the committed file differs.
fn check_or_write(path: &str, fresh: &str) {
    let full = in_crate(path);
    if std::env::var_os("ANIMATRIX_WRITE_CONTRACT").is_some() {
        std::fs::write(&full, fresh).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
        eprintln!("wrote {}", full.display());
        return;
    }
    let current = std::fs::read_to_string(&full).unwrap_or_default();
    if current != fresh {
        let line = current
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(fresh.lines().count()));
        panic!(
            "{} is stale (first difference at line {}): the Rust commands or types changed.\n\
             Refresh it with:\n  {}\nand commit the result.",
            full.display(),
            line + 1,
            contract::REFRESH
        );
    }
}

#[test]
fn bindings_and_capability_are_generated_from_the_command_list() {
    let bindings = contract::bindings().expect("the types export to TypeScript");
    for command in COMMANDS {
        let camel = heck_lower_camel(command);
        assert!(
            bindings.contains(&format!("async {camel}(")),
            "{command} has no wrapper in the bindings"
        );
        assert!(
            bindings.contains(&format!("TAURI_INVOKE(\"{command}\"")),
            "the {camel} wrapper does not invoke {command}"
        );
    }
    check_or_write(contract::BINDINGS_FILE, &bindings);
    check_or_write(contract::CAPABILITY_FILE, &contract::capability());
}

/// What `list_templates` answers for the templates in `workflows/`: the UI tests' fixture.
#[test]
fn ui_test_catalog_is_the_shipped_one() {
    let dir = in_crate("../workflows");
    let catalog = animatrix_workflow::Catalog::load(&dir).expect("the shipped templates load");
    let mut text = serde_json::to_string_pretty(&catalog.studios()).expect("json");
    text.push('\n');
    check_or_write("../ui/src/lib/testdata/studios.json", &text);
}

/// A command written but not listed would be unreachable from the window (no handler entry,
/// no permission, no wrapper): every `#[tauri::command]` in `src/commands` must be listed.
#[test]
fn every_command_function_is_in_the_list() {
    let dir = in_crate("src/commands");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/commands") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let mut after_attr = false;
        for line in text.lines().map(str::trim) {
            if line == "#[tauri::command]" {
                after_attr = true;
            } else if after_attr && line.starts_with("pub ") && line.contains("fn ") {
                let name = line
                    .split("fn ")
                    .nth(1)
                    .and_then(|r| r.split(['(', '<']).next())
                    .expect("function name");
                found.push(name.to_string());
                after_attr = false;
            }
        }
    }
    found.sort();
    let mut listed: Vec<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "src/commands/list.rs must list every #[tauri::command] exactly once"
    );
}

/// `snake_case` -> `lowerCamelCase`, as tauri-specta names the wrappers.
fn heck_lower_camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
