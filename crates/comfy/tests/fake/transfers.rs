//! Uploads and downloads: streamed, with progress, limits checked first, hostile names refused.

use std::sync::{Arc, Mutex};

use animatrix_comfy::model::{FileRef, FileType};
use animatrix_comfy::{ComfyError, TransferProgress, UploadTarget};
use animatrix_common::Explain;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, bytes).unwrap();
    f
}

#[tokio::test]
async fn upload_streams_from_disk_with_progress_subfolder_and_overwrite() {
    let fake = fake().await;
    let c = client(&fake);
    let png = fake_comfy::make_png(300, 200, 3);
    let file = write_temp(&png);
    let seen: Arc<Mutex<Vec<TransferProgress>>> = Arc::default();
    let sink = seen.clone();
    let uploaded = c
        .upload(file.path(), &UploadTarget::input("abc123.png"), move |p| {
            sink.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    assert_eq!(uploaded.name, "abc123.png");
    assert_eq!(uploaded.file_type, FileType::Input);
    assert_eq!(
        std::fs::read(fake.input_dir().join("abc123.png")).unwrap(),
        png
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first().unwrap().done, 0);
    assert_eq!(
        *seen.last().unwrap(),
        TransferProgress {
            done: png.len() as u64,
            total: Some(png.len() as u64)
        }
    );
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));

    // Same name, other bytes: renamed without overwrite, replaced with it.
    let other = write_temp(&fake_comfy::make_png(10, 10, 9));
    let renamed = c
        .upload(other.path(), &UploadTarget::input("abc123.png"), |_| {})
        .await
        .unwrap();
    assert_eq!(renamed.name, "abc123 (1).png");
    let target = UploadTarget {
        overwrite: true,
        subfolder: Some("animatrix".into()),
        ..UploadTarget::input("abc123.png")
    };
    let placed = c.upload(other.path(), &target, |_| {}).await.unwrap();
    assert_eq!(placed.as_input_value(), "animatrix/abc123.png");
    let records = fake.uploads();
    assert!(records.last().unwrap().overwrite);

    // Names that would escape the input folder are refused before any request.
    for bad in ["../x.png", "a/b.png", ""] {
        let e = c
            .upload(file.path(), &UploadTarget::input(bad), |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(e, ComfyError::UnsafeServerPath { .. }),
            "{bad}: {e:?}"
        );
    }
    // A missing local file is a local file error.
    let e = c
        .upload(
            std::path::Path::new("/nonexistent/x.png"),
            &UploadTarget::input("x.png"),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(e.explain().code, "local_file_error");
    assert_eq!(fake.uploads().len(), 3);
}

#[tokio::test]
async fn uploads_over_the_server_limit_are_refused_before_sending_and_413_names_the_limit() {
    let fake = fake().await;
    fake.faults().set_max_upload_size(4096);
    let c = client(&fake);
    let big = write_temp(&vec![7u8; 8192]);
    let e = c
        .upload(big.path(), &UploadTarget::input("big.bin"), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ComfyError::UploadTooLarge {
                size: Some(8192),
                limit: Some(4096),
                ..
            }
        ),
        "{e:?}"
    );
    let user = e.explain();
    assert_eq!(user.code, "upload_too_large");
    assert!(
        user.message.contains("4 KB") && user.message.contains("8 KB"),
        "{}",
        user.message
    );
    assert!(fake.uploads().is_empty(), "nothing was sent");

    // The server refuses anyway (limit unknown to a fresh client until /features).
    fake.faults().set_max_upload_size(104_857_600);
    fake.faults().reject_uploads(true);
    let c = client(&fake);
    let small = write_temp(b"tiny");
    let e = c
        .upload(small.path(), &UploadTarget::input("t.bin"), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ComfyError::UploadTooLarge {
                limit: Some(104_857_600),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.explain().message.contains("100 MB"),
        "{}",
        e.explain().message
    );
}

#[tokio::test]
async fn hostile_output_names_never_touch_disk() {
    let fake = fake().await;
    let c = client(&fake);
    let dir = tempfile::tempdir().unwrap();
    for (subfolder, filename) in [
        ("", "../escape.mp4"),
        ("../..", "x.mp4"),
        ("/etc", "passwd"),
        ("C:\\Windows", "x.mp4"),
        ("video", "a\0b.mp4"),
        ("video", "CON"),
    ] {
        let file = FileRef {
            filename: filename.into(),
            subfolder: subfolder.into(),
            file_type: FileType::Output,
        };
        let e = c
            .download_output(&file, dir.path(), |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(e, ComfyError::UnsafeServerPath { .. }),
            "{subfolder}/{filename}: {e:?}"
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(
        fake.requests().iter().all(|r| r.path != "/view"),
        "no request either"
    );
    // A missing output is a 404.
    let missing = FileRef {
        filename: "nope.mp4".into(),
        subfolder: String::new(),
        file_type: FileType::Output,
    };
    let e = c
        .download_output(&missing, dir.path(), |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.explain().code, "not_found");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file"
    );
}

/// A server that promises more bytes than it sends, then hangs up.
#[tokio::test]
async fn a_truncated_download_is_detected_and_leaves_no_file() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).await;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 1000\r\n\r\n";
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&[1u8; 400]).await.unwrap();
        s.shutdown().await.unwrap();
    });
    let endpoint =
        animatrix_comfy::Endpoint::parse(&format!("http://{addr}"), animatrix_comfy::Auth::None)
            .unwrap();
    let c = animatrix_comfy::ComfyClient::new(endpoint, options()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = FileRef {
        filename: "out.mp4".into(),
        subfolder: String::new(),
        file_type: FileType::Output,
    };
    let e = c
        .download_output(&file, dir.path(), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ComfyError::DownloadIncomplete {
                expected: 1000,
                received: 400,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.explain().code, "download_incomplete");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A server that takes the upload's headers and then stops reading: the idle watchdog ends it.
#[tokio::test]
async fn a_stalled_upload_times_out_instead_of_hanging() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        // /features first (the limit check), then the stalled upload.
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).await;
        let body = "{}";
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(reply.as_bytes()).await.unwrap();
        // Same or next connection: read a little, then nothing until released.
        let next = tokio::select! {
            r = listener.accept() => Some(r.unwrap().0),
            _ = s.read(&mut buf) => None,
        };
        let _keep = next;
        let _ = release_rx.await;
    });
    let endpoint =
        animatrix_comfy::Endpoint::parse(&format!("http://{addr}"), animatrix_comfy::Auth::None)
            .unwrap();
    let options = animatrix_comfy::ClientOptions {
        transfer_idle_timeout: std::time::Duration::from_millis(300),
        ..options()
    };
    let c = animatrix_comfy::ComfyClient::new(endpoint, options).unwrap();
    let big = write_temp(&vec![0u8; 64 * 1024 * 1024]);
    let started = std::time::Instant::now();
    let e = tokio::time::timeout(
        WAIT,
        c.upload(big.path(), &UploadTarget::input("big.bin"), |_| {}),
    )
    .await
    .expect("the watchdog fires long before the test timeout")
    .unwrap_err();
    assert!(matches!(e, ComfyError::Timeout { .. }), "{e:?}");
    assert_eq!(e.explain().code, "server_timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let _ = release_tx.send(());
}

#[tokio::test]
async fn downloads_over_the_configured_cap_are_refused_and_leave_no_file() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = crate::common::hub(&c);
    let (_, tracked) = hub.submit(&success_graph(), &new_id(), None).await.unwrap();
    let entry = tokio::time::timeout(WAIT, tracked.outcome())
        .await
        .unwrap()
        .unwrap()
        .into_result("x")
        .unwrap();
    let capped = client_with(
        &fake,
        animatrix_comfy::Auth::None,
        animatrix_comfy::ClientOptions {
            download: animatrix_comfy::DownloadLimits {
                max_bytes: 1000,
                ..Default::default()
            },
            ..options()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let e = capped
        .download_output(&entry.files()[0].file, dir.path(), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ComfyError::DownloadTooLarge {
                limit: 1000,
                declared: Some(_),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.explain().code, "download_too_large");
    assert!(
        walk(dir.path()).is_empty(),
        "no partial file: {:?}",
        walk(dir.path())
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
