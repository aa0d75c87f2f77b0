//! The CLI endpoint commands against a temp data dir, with the real keychain backend.
//!
//! Keychain tests need a reachable OS keychain. The test command (`scripts/test-all.sh`) runs
//! them inside `scripts/with-keyring.sh` (private D-Bus + GNOME Keyring) and sets
//! `ANIMATRIX_REQUIRE_KEYCHAIN=1`, so there they fail rather than skip.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn cli(data_dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("animatrix").expect("binary built");
    cmd.env("ANIMATRIX_DATA_DIR", data_dir);
    cmd
}

fn keychain_available() -> bool {
    match animatrix_core::secrets::probe() {
        Ok(()) => true,
        Err(e) => {
            assert!(
                std::env::var_os("ANIMATRIX_REQUIRE_KEYCHAIN").is_none(),
                "ANIMATRIX_REQUIRE_KEYCHAIN is set but the keychain is unreachable: {e}"
            );
            eprintln!("SKIPPED: no keychain reachable ({e}); run under scripts/with-keyring.sh");
            false
        }
    }
}

fn read_all_files(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        out.extend(std::fs::read(entry).unwrap_or_default());
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(walk(&p));
            } else {
                files.push(p);
            }
        }
    }
    files
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().expect("tempdir");
    cli(dir.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    cli(dir.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("endpoint"));
}

#[test]
fn fresh_data_dir_lists_the_production_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    cli(dir.path())
        .args(["endpoint", "list", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("https://comfy.desineuron.in"));
}

#[test]
fn bad_input_gets_typed_errors_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    cli(dir.path())
        .args(["endpoint", "add", "x", "ftp://nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error[invalid_url]"))
        .stderr(predicate::str::contains("hint:"));
    cli(dir.path())
        .args([
            "endpoint",
            "add",
            "x",
            "https://ok.example",
            "--auth",
            "oauth",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error[unknown_auth_kind]"));
    cli(dir.path())
        .args(["endpoint", "add", "production", "https://ok.example"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error[duplicate_endpoint]"));
    cli(dir.path())
        .args(["endpoint", "remove", "ghost", "--json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"code\":\"endpoint_not_found\""));
    let out = cli(dir.path())
        .args(["endpoint", "list", "--json"])
        .output()
        .expect("list");
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[test]
fn add_list_default_remove_without_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    cli(dir.path())
        .args([
            "endpoint",
            "add",
            "lab",
            "http://gpu.lab.local:8188/",
            "--default",
        ])
        .assert()
        .success();
    let out = cli(dir.path())
        .args(["endpoint", "list", "--json"])
        .output()
        .expect("list");
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let lab = list
        .as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == "lab"))
        .expect("lab listed");
    assert_eq!(lab["base_url"], "http://gpu.lab.local:8188");
    assert_eq!(lab["is_default"], true);
    cli(dir.path())
        .args(["endpoint", "remove", "lab"])
        .assert()
        .success();
}

#[test]
fn secret_round_trips_through_the_real_keychain_and_never_lands_on_disk() {
    if !keychain_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Unique per run so parallel or repeated runs never see each other's entries.
    let name = format!("kc-{}", std::process::id());
    let secret = format!("tok-{}-never-on-disk", std::process::id());
    cli(dir.path())
        .args([
            "endpoint",
            "add",
            &name,
            "https://gpu.example",
            "--auth",
            "bearer",
            "-v",
        ])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .success();
    let stored = animatrix_core::secrets::load(&name)
        .expect("keychain read")
        .expect("secret stored");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&stored), secret);

    let listing = cli(dir.path())
        .args(["endpoint", "list", "--json", "-v"])
        .output()
        .expect("list");
    assert!(!contains(&listing.stdout, &secret) && !contains(&listing.stderr, &secret));
    let everything = read_all_files(dir.path());
    assert!(!everything.is_empty(), "database and log files exist");
    assert!(
        !contains(&everything, &secret),
        "the secret leaked into the data dir (database, WAL, settings or logs)"
    );
    let logs = read_all_files(&dir.path().join("logs"));
    assert!(
        contains(&logs, &name),
        "the log mentions the endpoint (so it was written)"
    );

    cli(dir.path())
        .args(["endpoint", "remove", &name])
        .assert()
        .success();
    assert!(
        animatrix_core::secrets::load(&name)
            .expect("keychain read")
            .is_none(),
        "removing the endpoint removes its secret"
    );
}

#[test]
fn unreachable_keychain_is_reported_with_a_fix_and_nothing_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    cli(dir.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/animatrix-bus",
        )
        .args([
            "endpoint",
            "add",
            "nokc",
            "https://gpu.example",
            "--auth",
            "bearer",
        ])
        .write_stdin("tok\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("error[keychain_unavailable]"))
        .stderr(predicate::str::contains("hint:"));
    let out = cli(dir.path())
        .args(["endpoint", "list", "--json"])
        .output()
        .expect("list");
    assert!(!contains(&out.stdout, "nokc"), "no row without its secret");
}
