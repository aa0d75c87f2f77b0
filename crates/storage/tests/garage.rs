//! The storage crate against a real S3 server (Garage, started per test by garage-harness).

use std::io::{Read, Write};
use std::time::Duration;

use animatrix_common::{ErrorCode, Explain};
use animatrix_storage::{Bucket, MULTIPART_THRESHOLD, StorageError, StorageTarget};
use garage_harness::{Garage, curl, free_port};

fn open(g: &Garage) -> Bucket {
    Bucket::open(g.target(&g.bucket, "team/a"), &g.credentials()).expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_passes_and_each_misconfiguration_is_named() {
    let g = Garage::start("runs");
    open(&g).test().await.expect("probe on a good target");

    let wrong_secret = Bucket::open(
        g.target(&g.bucket, "team/a"),
        &g.credentials_with(&"0".repeat(64)),
    )
    .expect("open");
    let e = wrong_secret.test().await.expect_err("wrong secret");
    assert_eq!(e.code(), ErrorCode::StorageBadKey, "{e:?}");

    let mut unknown = g.credentials();
    unknown.access_key_id = "GK000000000000000000000000".into();
    let unknown_key = Bucket::open(g.target(&g.bucket, "team/a"), &unknown).expect("open");
    let e = unknown_key.test().await.expect_err("unknown key");
    assert_eq!(e.code(), ErrorCode::StorageBadKey, "{e:?}");

    let no_bucket =
        Bucket::open(g.target("no-such-bucket", "team/a"), &g.credentials()).expect("open");
    let e = no_bucket.test().await.expect_err("missing bucket");
    assert_eq!(e.code(), ErrorCode::StorageNoSuchBucket, "{e:?}");

    let mut nowhere = g.target(&g.bucket, "team/a");
    nowhere.endpoint_url = format!("http://127.0.0.1:{}", free_port());
    let e = Bucket::open(nowhere, &g.credentials())
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
    let got = curl(link.as_str(), &["-r", "0-1023"]);
    assert_eq!(got.status, 206, "{got:?}");
    assert!(got.headers.contains("content-type: video/mp4"), "{got:?}");
    assert_eq!(got.body_len, 1024);
    let got = curl(link.as_str(), &[]);
    assert_eq!((got.status, got.body_len), (200, size as u64));

    let short = bucket
        .presigned_get("runs/j1/video.mp4", Duration::from_secs(1))
        .await
        .expect("short link");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let status = curl(short.as_str(), &[]).status;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_multipart_upload_can_be_aborted_by_its_recorded_id() {
    let g = Garage::start("runs");
    let bucket = open(&g);
    let id = bucket
        .begin_multipart("runs/j2/video.mp4", "video/mp4")
        .await
        .expect("begin");
    // What a kill -9 leaves behind: an upload the server keeps until someone aborts it.
    let dangling = g.multipart_uploads(&g.bucket);
    assert_eq!(
        dangling,
        [("team/a/runs/j2/video.mp4".to_string(), id.clone())]
    );
    assert!(
        bucket
            .abort_multipart("runs/j2/video.mp4", &id)
            .await
            .expect("abort")
    );
    assert!(g.multipart_uploads(&g.bucket).is_empty(), "nothing dangles");
    assert!(
        !bucket
            .abort_multipart("runs/j2/video.mp4", &id)
            .await
            .expect("abort again"),
        "an upload the server no longer knows is not an error"
    );
}

/// Serves each connection with `answer` (bytes written as soon as the request starts arriving)
/// on a free loopback port, for as long as the test runs.
fn serve(answer: Vec<u8>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(&answer);
        }
    });
    port
}

fn at(g: &Garage, url: String) -> Bucket {
    let target = StorageTarget {
        endpoint_url: url,
        ..g.target(&g.bucket, "team/a")
    };
    Bucket::open(target, &g.credentials()).expect("open")
}

fn explained(e: &StorageError, code: ErrorCode) {
    assert_eq!(e.code(), code, "{e:?}");
    let user = e.explain();
    assert_eq!(user.code, code);
    assert!(
        !user.message.is_empty() && !user.suggestion.is_empty(),
        "{user:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_failures_are_named_tls() {
    let g = Garage::start("runs");
    // https:// to the server's plain-HTTP port: the TLS handshake gets an HTTP answer.
    let port = g.endpoint.rsplit(':').next().expect("port");
    let e = at(&g, format!("https://127.0.0.1:{port}"))
        .test()
        .await
        .expect_err("TLS to a plain HTTP port");
    explained(&e, ErrorCode::StorageTls);

    // A server that answers the handshake with garbage.
    let garbage = serve(b"\x00\x01garbage, not a TLS record\r\n\r\n".to_vec());
    let e = at(&g, format!("https://127.0.0.1:{garbage}"))
        .test()
        .await
        .expect_err("garbage for a handshake");
    explained(&e, ErrorCode::StorageTls);
}

/// Garage cannot be made to see a skewed clock here (that needs faketime or a changed system
/// clock), so a local server gives S3's own answer to one: the request still goes through the
/// real client, signing, retry and error path, only the server is canned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_clock_is_named_clock_skew() {
    let g = Garage::start("runs");
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\
<Code>RequestTimeTooSkewed</Code>\
<Message>The difference between the request time and the current time is too large.</Message>\
<RequestTime>20261202T090000Z</RequestTime><ServerTime>2026-12-02T08:00:00Z</ServerTime>\
<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>";
    let answer = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let port = serve(answer.into_bytes());
    let e = at(&g, format!("http://127.0.0.1:{port}"))
        .test()
        .await
        .expect_err("skewed");
    explained(&e, ErrorCode::StorageClockSkew);
}
