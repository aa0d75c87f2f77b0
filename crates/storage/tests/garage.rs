//! The storage crate against a real S3 server (Garage, started per test by garage-harness).

use std::process::Command;
use std::time::Duration;

use animatrix_common::ErrorCode;
use animatrix_storage::{Bucket, Credentials, MULTIPART_THRESHOLD, StorageTarget};
use garage_harness::{Garage, REGION};
use secrecy::SecretString;

fn target(g: &Garage, bucket: &str) -> StorageTarget {
    StorageTarget {
        endpoint_url: g.endpoint.clone(),
        region: REGION.into(),
        bucket: bucket.into(),
        prefix: "team/a".into(),
        path_style: true,
    }
}

fn creds(id: &str, secret: &str) -> Credentials {
    Credentials {
        access_key_id: id.into(),
        secret_access_key: SecretString::from(secret.to_string()),
    }
}

fn open(g: &Garage) -> Bucket {
    Bucket::open(
        target(g, &g.bucket),
        &creds(&g.access_key_id, &g.secret_access_key),
    )
    .expect("open")
}

/// `curl` with the given extra args; returns (status, headers, body length).
fn curl(url: &str, extra: &[&str]) -> (u16, String, usize) {
    let dir = tempfile::tempdir().expect("dir");
    let (head, body) = (dir.path().join("h"), dir.path().join("b"));
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-D"])
        .arg(&head)
        .arg("-o")
        .arg(&body)
        .args(["-w", "%{http_code}"])
        .args(extra)
        .arg(url)
        .output()
        .expect("curl runs");
    let status = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let headers = std::fs::read_to_string(&head)
        .unwrap_or_default()
        .to_lowercase();
    let len = std::fs::metadata(&body)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    (status, headers, len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_passes_and_each_misconfiguration_is_named() {
    let g = Garage::start("runs");
    open(&g).test().await.expect("probe on a good target");

    let wrong_secret = Bucket::open(
        target(&g, &g.bucket),
        &creds(
            &g.access_key_id,
            "0000000000000000000000000000000000000000000000000000000000000000",
        ),
    )
    .expect("open");
    let e = wrong_secret.test().await.expect_err("wrong secret");
    assert_eq!(e.code(), ErrorCode::StorageBadKey, "{e:?}");

    let unknown_key = Bucket::open(
        target(&g, &g.bucket),
        &creds("GK000000000000000000000000", &g.secret_access_key),
    )
    .expect("open");
    let e = unknown_key.test().await.expect_err("unknown key");
    assert_eq!(e.code(), ErrorCode::StorageBadKey, "{e:?}");

    let no_bucket = Bucket::open(
        target(&g, "no-such-bucket"),
        &creds(&g.access_key_id, &g.secret_access_key),
    )
    .expect("open");
    let e = no_bucket.test().await.expect_err("missing bucket");
    assert_eq!(e.code(), ErrorCode::StorageNoSuchBucket, "{e:?}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut nowhere = target(&g, &g.bucket);
    nowhere.endpoint_url = format!("http://127.0.0.1:{port}");
    let e = Bucket::open(nowhere, &creds(&g.access_key_id, &g.secret_access_key))
        .expect("open")
        .test()
        .await
        .expect_err("closed port");
    assert_eq!(e.code(), ErrorCode::StorageUnreachable, "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_streams_with_ranges_and_links_expire() {
    let g = Garage::start("runs");
    let bucket = open(&g);
    let dir = tempfile::tempdir().expect("dir");
    // Above the multipart threshold and not a multiple of the part size: three parts.
    let size = MULTIPART_THRESHOLD as usize * 2 + 12_345;
    let video: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let file = dir.path().join("video.mp4");
    std::fs::write(&file, &video).expect("write");
    let sent = bucket
        .upload_file(&file, "runs/j1/video.mp4", "video/mp4")
        .await
        .expect("upload");
    assert_eq!(sent, size as u64);
    assert_eq!(
        bucket.size_of("runs/j1/video.mp4").await.expect("head"),
        Some(size as u64)
    );
    assert_eq!(bucket.size_of("runs/j1/absent").await.expect("head"), None);

    let link = bucket
        .presigned_get("runs/j1/video.mp4", Duration::from_secs(3600))
        .await
        .expect("link");
    let (status, headers, len) = curl(link.as_str(), &["-r", "0-1023"]);
    assert_eq!(status, 206, "{headers}");
    assert!(headers.contains("content-type: video/mp4"), "{headers}");
    assert_eq!(len, 1024);
    let (status, _, len) = curl(link.as_str(), &[]);
    assert_eq!((status, len), (200, size));

    let short = bucket
        .presigned_get("runs/j1/video.mp4", Duration::from_secs(1))
        .await
        .expect("short link");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, _, _) = curl(short.as_str(), &[]);
    // AWS answers 403, Garage 400 ("expired"): refused either way, never the video.
    assert!(
        matches!(status, 400 | 403),
        "an expired link must be refused: {status}"
    );

    let back = dir.path().join("back.mp4");
    let got = bucket
        .download("runs/j1/video.mp4", &back, u64::MAX)
        .await
        .expect("download");
    assert_eq!(got, size as u64);
    assert!(std::fs::read(&back).expect("read") == video);
    assert!(
        bucket
            .download("runs/j1/video.mp4", &back, 1000)
            .await
            .is_err(),
        "download cap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_folders_and_deletes_a_prefix() {
    let g = Garage::start("runs");
    let bucket = open(&g);
    let dir = tempfile::tempdir().expect("dir");
    let small = dir.path().join("m.json");
    std::fs::write(&small, b"{}").expect("write");
    for key in ["runs/a/m.json", "runs/a/p.png", "runs/b/m.json"] {
        bucket
            .upload_file(&small, key, "application/json")
            .await
            .expect("upload");
    }
    let mut folders = bucket.list_folders("runs").await.expect("folders");
    folders.sort();
    assert_eq!(folders, ["a", "b"]);
    let listed = bucket.list("runs/a").await.expect("list");
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|l| l.key.starts_with("runs/a/") && l.size == 2)
    );
    assert_eq!(bucket.delete_prefix("runs/a").await.expect("delete"), 2);
    assert_eq!(bucket.list_folders("runs").await.expect("folders"), ["b"]);
    assert_eq!(bucket.delete_prefix("runs/a").await.expect("again"), 0);
}
