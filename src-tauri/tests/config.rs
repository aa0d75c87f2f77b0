//! The app's security and window configuration, checked from the files Tauri reads.

use std::collections::BTreeSet;

use animatrix_studio_app::commands::COMMANDS;
use serde_json::Value;

fn json(path: &str) -> Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn capability_grants_exactly_the_app_commands() {
    let cap = json("capabilities/default.json");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    let granted: BTreeSet<String> = cap["permissions"]
        .as_array()
        .expect("permissions array")
        .iter()
        .map(|p| {
            p.as_str()
                .expect("plain permission identifiers")
                .to_string()
        })
        .collect();
    let expected: BTreeSet<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    assert_eq!(
        granted, expected,
        "grant exactly the commands in src/commands/list.rs, nothing else"
    );
}

#[test]
fn csp_is_strict_in_production() {
    let conf = json("tauri.conf.json");
    let csp = conf["app"]["security"]["csp"]
        .as_object()
        .expect("csp as an object");
    for (directive, value) in csp {
        let value = value.as_str().expect("string directive");
        for bad in ["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"] {
            assert!(
                !value.split_whitespace().any(|v| v == bad),
                "{directive} allows {bad}: {value}"
            );
        }
    }
    for (directive, want) in [
        ("default-src", "'self'"),
        ("script-src", "'self'"),
        ("object-src", "'none'"),
        ("frame-ancestors", "'none'"),
    ] {
        assert_eq!(
            csp.get(directive).and_then(Value::as_str),
            Some(want),
            "{directive}"
        );
    }
    assert_ne!(
        conf["app"]["security"]["dangerousDisableAssetCspModification"],
        true
    );
}

#[test]
fn main_window_and_frontend() {
    let conf = json("tauri.conf.json");
    let window = &conf["app"]["windows"][0];
    assert_eq!(window["label"], "main");
    assert_eq!(window["title"], "Animatrix Studio");
    assert_eq!(
        (window["width"].as_u64(), window["height"].as_u64()),
        (Some(1280), Some(800))
    );
    assert_eq!(conf["build"]["frontendDist"], "../ui/dist");
    assert_eq!(conf["mainBinaryName"], "animatrix-studio");
}
