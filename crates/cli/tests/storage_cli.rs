//! `animatrix storage|publish|unpublish|share|library` against a real S3 server (Garage) and
//! the OS keychain (run under scripts/with-keyring.sh), including kill -9 in the middle of a
//! multipart upload and the publish that resumes it (aborting the upload the kill left open).

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Env, job_id_of};
use garage_harness::{Garage, REGION, grow_run_video};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

async fn set_storage(env: &Env, g: &Garage, secret: &str, prefix: &str) -> std::process::Output {
    set_storage_at(env, g, &g.endpoint, secret, prefix).await
}

async fn set_storage_at(
    env: &Env,
    g: &Garage,
    url: &str,
    secret: &str,
    prefix: &str,
) -> std::process::Output {
    let mut child = env
        .cmd(&[
            "storage",
            "set",
            "--url",
            url,
            "--bucket",
            &g.bucket,
            "--region",
            REGION,
            "--prefix",
            prefix,
            "--path-style",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{}\n{secret}\n", g.access_key_id).as_bytes())
        .await
        .expect("write");
    drop(stdin);
    child.wait_with_output().await.expect("storage set")
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout {}\nstderr {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn error_code(out: &std::process::Output) -> String {
    let v: Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|_| panic!("no JSON error: {}", String::from_utf8_lossy(&out.stderr)));
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

/// (status, lowercased response headers) of a `curl` of `url`.
fn curl(url: &str, extra: &[&str]) -> (u16, String) {
    let got = garage_harness::curl(url, extra);
    (got.status, got.headers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_publish_share_library_from_the_cli() {
    let g = Garage::start("runs");
    let env = Env::new(5).await;
    let id = job_id_of(&env.submit_audio(&["--wait"]).await);

    let out = env.run(&["publish", &id, "--json"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_code(&out), "storage_not_configured");

    let out = set_storage(&env, &g, &"0".repeat(64), "cli").await;
    ok(&out);
    let out = env.run(&["storage", "test", "--json"]).await;
    assert_eq!(out.status.code(), Some(3), "a refused key is exit 3");
    assert_eq!(error_code(&out), "storage_bad_key");

    // https:// to the server's plain-HTTP port: a TLS failure, named and explained as one.
    let https = g.endpoint.replacen("http://", "https://", 1);
    ok(&set_storage_at(&env, &g, &https, &g.secret_access_key, "cli").await);
    let out = env.run(&["storage", "test", "--json"]).await;
    assert_eq!(out.status.code(), Some(3), "TLS is exit 3");
    let e: Value = serde_json::from_slice(&out.stderr).expect("JSON error");
    assert_eq!(e["error"]["code"], "storage_tls", "{e}");
    assert!(
        e["error"]["suggestion"]
            .as_str()
            .is_some_and(|s| s.contains("http://")),
        "{e}"
    );

    let out = set_storage(&env, &g, &g.secret_access_key, "cli").await;
    let shown = ok(&out);
    assert!(!shown.contains(&g.secret_access_key), "{shown}");
    ok(&env.run(&["storage", "test"]).await);
    let show: Value = env.json(&["storage", "show", "--json"]).await;
    assert_eq!(show["target"]["bucket"], g.bucket.as_str());
    assert_eq!(show["access_key_id"], g.access_key_id.as_str());

    let summary: Value = env.json(&["publish", &id, "--json"]).await;
    assert_eq!(summary["publication"]["state"], "published");
    let out = env.run(&["share", &id, "--expires", "1h"]).await;
    let link = ok(&out);
    assert_eq!(link.lines().count(), 1, "the link alone: {link}");
    let (status, headers) = curl(link.trim(), &["-r", "0-9"]);
    assert_eq!(status, 206, "{headers}");
    assert!(headers.contains("content-type: video/mp4"), "{headers}");
    let out = env.run(&["share", &id, "--expires", "30d"]).await;
    assert_eq!(out.status.code(), Some(2), "over 7 days");

    let library: Value = env.json(&["library", "list", "--json"]).await;
    assert_eq!(library[0]["run"]["job_id"], id.as_str());
    assert_eq!(library[0]["made_here"], true);

    // A second workstation (data dir) imports it once.
    let other = Env::new(5).await;
    ok(&set_storage(&other, &g, &g.secret_access_key, "cli").await);
    let first: Value = other.json(&["library", "import", &id, "--json"]).await;
    assert_eq!(first["imported"], true);
    let again: Value = other.json(&["library", "import", &id, "--json"]).await;
    assert_eq!(again["imported"], false);
    assert_eq!(again["job_id"], first["job_id"]);
    assert_eq!(other.jobs().await.len(), 1, "never counted twice");

    let out: Value = env.json(&["unpublish", &id, "--json"]).await;
    assert!(out["deleted_objects"].as_u64().unwrap_or(0) >= 6);
    assert_eq!(curl(link.trim(), &[]).0, 404);
    let out = env.run(&["share", &id, "--json"]).await;
    assert_eq!(error_code(&out), "run_not_published");
    ok(&env.run(&["storage", "clear"]).await);
}

fn uploaded(env: &Env, id: &str) -> Vec<(String, bool)> {
    let conn = rusqlite::Connection::open(env.dir.path().join("animatrix.sqlite3")).expect("db");
    let mut stmt = conn
        .prepare("SELECT name, uploaded FROM published_files WHERE job_id = ?1 ORDER BY name")
        .expect("prepare");
    stmt.query_map([id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 1)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The upload id of `name`'s open multipart upload, as the publish recorded it.
fn open_upload(env: &Env, id: &str, name: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(env.dir.path().join("animatrix.sqlite3")).expect("db");
    conn.query_row(
        "SELECT upload_id FROM open_uploads WHERE job_id = ?1 AND name = ?2",
        [id, name],
        |r| r.get(0),
    )
    .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_multipart_upload_then_publish_resumes() {
    let g = Garage::start("runs");
    let env = Env::new(5).await;
    let id = job_id_of(&env.submit_audio(&["--wait"]).await);
    ok(&set_storage(&env, &g, &g.secret_access_key, "").await);
    let size = 192 * 1024 * 1024;
    let video = grow_run_video(&env.dir.path().join("animatrix.sqlite3"), &id, size);
    let video_name = video
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();

    let mut child = env
        .cmd(&["publish", &id, "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // The poster goes first, then the video in parts: kill once the video's multipart upload
    // is recorded and some parts are on their way.
    let deadline = Instant::now() + Duration::from_secs(60);
    let upload_id = loop {
        if let Some(open) = open_upload(&env, &id, &video_name) {
            break open;
        }
        assert!(
            Instant::now() < deadline,
            "the video's upload never started: {:?}",
            uploaded(&env, &id)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    child.start_kill().expect("kill -9"); // SIGKILL on Unix
    child.wait().await.expect("reaped");
    let rows = uploaded(&env, &id);
    assert!(
        rows.iter().any(|(n, up)| n == &video_name && !up),
        "the kill must land during the video's upload: {rows:?}"
    );
    let video_key = format!("runs/{id}/{video_name}");
    assert!(
        g.multipart_uploads(&g.bucket)
            .contains(&(video_key.clone(), upload_id.clone())),
        "the killed upload is open on the server"
    );
    let state: Value = env.json(&["show", &id, "--json"]).await;
    assert!(state.is_object());

    let resumed: Value = env.json(&["publish", &id, "--json"]).await;
    assert_eq!(resumed["publication"]["state"], "published", "{resumed}");
    assert!(resumed["skipped"].as_u64().unwrap_or(0) >= 1, "{resumed}");
    assert!(resumed["uploaded"].as_u64().unwrap_or(0) >= 1, "{resumed}");
    assert!(
        g.multipart_uploads(&g.bucket).is_empty(),
        "the resumed publish aborted the killed upload {upload_id} and completed its own"
    );
    assert_eq!(open_upload(&env, &id, &video_name), None);
    let link = ok(&env.run(&["share", &id]).await);
    let (status, headers) = curl(link.trim(), &["-r", "0-0"]);
    assert_eq!(status, 206);
    assert!(
        headers.contains(&format!("content-range: bytes 0-0/{size}")),
        "the whole video is in the bucket: {headers}"
    );
}
