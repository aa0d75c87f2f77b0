//! Issue 15, downloads and uploads against a hostile server: `/view` bodies that trickle, never
//! end, declare 20 GB, or are an HTML page; a 413 from a proxy; two outputs with the same name.
//! Every failure is typed, bounded in time, and leaves no file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use animatrix_comfy::model::{FileRef, FileType};
use animatrix_comfy::sanitize::LocalNames;
use animatrix_comfy::{ComfyError, DownloadLimits, Outcome, UploadTarget};
use animatrix_common::Explain;
use fake_comfy::{EndpointFault, PromptFault};

use crate::common::*;

fn output(name: &str) -> FileRef {
    FileRef {
        filename: name.into(),
        subfolder: String::new(),
        file_type: FileType::Output,
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_in(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Headers, then one byte every 100 ms (the issue: one every 10 s): the idle timeout never
/// fires. Old: ran forever. New: `download_too_slow` once the grace period shows the average
/// rate below the minimum.
#[tokio::test]
async fn a_trickling_download_fails_in_bounded_time_and_leaves_no_file() {
    let fake = fake().await;
    let c = client(&fake);
    fake.faults().endpoint(EndpointFault::trickle(
        "/view",
        Duration::from_millis(100),
        "video/mp4",
    ));
    let dir = tempfile::tempdir().unwrap();
    let limits = DownloadLimits {
        min_bytes_per_sec: 1024,
        rate_grace: Duration::from_millis(600),
        ..DownloadLimits::default()
    };
    let started = Instant::now();
    let e = c
        .view_to_file_with(&output("v.mp4"), &dir.path().join("v.mp4"), &limits, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, ComfyError::DownloadTooSlow { .. }), "{e:?}");
    assert_eq!(e.explain().code, "download_too_slow");
    eprintln!(
        "MEASURED {} after {:?}",
        e.explain().code,
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );

    // The overall deadline holds even for a stream that keeps its (here: zero) minimum rate.
    let limits = DownloadLimits {
        min_bytes_per_sec: 0,
        deadline: Duration::from_millis(400),
        ..DownloadLimits::default()
    };
    let started = Instant::now();
    let e = c
        .view_to_file_with(&output("v.mp4"), &dir.path().join("v.mp4"), &limits, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, ComfyError::DownloadTooSlow { .. }), "{e:?}");
    eprintln!(
        "MEASURED {} after {:?}",
        e.explain().code,
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(files_in(dir.path()).is_empty());
}

/// An endless body, and one declaring 20 GB. Old: written until the disk was full (3.9 GB in
/// 100 s), `.part` left behind. New: cut at the cap / refused before writing.
#[tokio::test]
async fn endless_and_oversized_downloads_are_refused_and_leave_no_file() {
    let fake = fake().await;
    let c = client(&fake);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("v.mp4");
    let limits = DownloadLimits {
        max_bytes: 8 * 1024 * 1024,
        ..DownloadLimits::default()
    };

    fake.faults()
        .endpoint(EndpointFault::endless("/view", "video/mp4", None).times(1));
    let started = Instant::now();
    let e = c
        .view_to_file_with(&output("v.mp4"), &dest, &limits, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComfyError::DownloadTooLarge { declared: None, limit, .. } if limit == 8 << 20),
        "{e:?}"
    );
    assert_eq!(e.explain().code, "download_too_large");
    eprintln!(
        "MEASURED {} after {:?}",
        e.explain().code,
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(files_in(dir.path()).is_empty());

    fake.faults()
        .endpoint(EndpointFault::endless("/view", "video/mp4", Some(20 << 30)).times(1));
    let started = Instant::now();
    let e = c
        .view_to_file(&output("v.mp4"), &dest, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComfyError::DownloadTooLarge { declared: Some(n), .. } if n == 20 << 30),
        "{e:?}"
    );
    assert!(
        e.explain().message.contains("20 GB"),
        "{}",
        e.explain().message
    );
    eprintln!(
        "MEASURED {} after {:?}",
        e.explain().code,
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(files_in(dir.path()).is_empty());

    // Under the cap but more than the disk holds: refused before writing, from free space.
    let free = fs4::available_space(dir.path()).unwrap();
    fake.faults()
        .endpoint(EndpointFault::endless("/view", "video/mp4", Some(free + (1 << 30))).times(1));
    let e = c
        .view_to_file_with(
            &output("v.mp4"),
            &dest,
            &DownloadLimits {
                max_bytes: u64::MAX,
                ..DownloadLimits::default()
            },
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ComfyError::DiskFull {
                needed: Some(_),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.explain().code, "disk_full");
    assert!(files_in(dir.path()).is_empty());
}

/// `200 text/html` (a proxy's page) for an output. Old: saved as `video_00001_.mp4`, the job
/// completed. New: `download_unexpected_content`, nothing saved; also when the Content-Type
/// lies and only the bytes tell.
#[tokio::test]
async fn an_html_page_is_never_saved_as_an_output() {
    let fake = fake().await;
    let c = client(&fake);
    let dir = tempfile::tempdir().unwrap();
    let page = "<!DOCTYPE html><html><body>Please sign in</body></html>";
    for content_type in ["text/html; charset=utf-8", "video/mp4"] {
        fake.faults()
            .endpoint(EndpointFault::body("/view", 200, content_type, page).times(1));
        let e = c
            .download_output(&output("video_00001_.mp4"), dir.path(), |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(e, ComfyError::UnexpectedContent { .. }),
            "{content_type}: {e:?}"
        );
        assert_eq!(e.explain().code, "download_unexpected_content");
        assert!(files_in(dir.path()).is_empty(), "{content_type}");
    }
}

/// A download abandoned by its caller (a cancelled job) removes its `.part` file.
#[tokio::test]
async fn a_cancelled_download_leaves_no_part_file() {
    let fake = fake().await;
    let c = client(&fake);
    fake.faults().endpoint(EndpointFault::trickle(
        "/view",
        Duration::from_millis(20),
        "video/mp4",
    ));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("v.mp4");
    let file = output("v.mp4");
    let download = c.view_to_file(&file, &dest, |_| {});
    assert!(
        tokio::time::timeout(Duration::from_millis(300), download)
            .await
            .is_err()
    );
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

/// A 413 from a proxy in front of the server. Old: "The file (234 KB) is larger than this
/// server accepts (100 MB)" with the limit from /features. New: the proxy is named, no
/// wrong number.
#[tokio::test]
async fn a_413_from_a_proxy_does_not_quote_the_servers_limit() {
    let fake = fake().await;
    let c = client(&fake);
    let page = "<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>";
    fake.faults().endpoint(
        EndpointFault::body("/upload/image", 413, "text/html", page)
            .method("POST")
            .times(1),
    );
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, &vec![7u8; 234 * 1024]).unwrap();
    let e = c
        .upload(file.path(), &UploadTarget::input("x.png"), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComfyError::UploadRefusedByProxy { .. }),
        "{e:?}"
    );
    let user = e.explain();
    assert_eq!(user.code, "upload_refused_by_proxy");
    assert!(
        user.message.contains("proxy") && user.message.contains("234 KB"),
        "{}",
        user.message
    );
    assert!(!user.message.contains("100 MB"), "{}", user.message);
}

/// Two outputs with the same file name in different subfolders. Old: the second download
/// overwrote the first. New: `LocalNames` gives each its own local name; both are kept.
#[tokio::test]
async fn same_named_outputs_in_two_subfolders_are_both_kept() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    let id = new_id();
    fake.faults()
        .on_prompt(&id, PromptFault::default().duplicate_output_in("other"));
    let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    let outcome = tokio::time::timeout(WAIT, tracked.outcome())
        .await
        .unwrap()
        .unwrap();
    let Outcome::Success(entry) = outcome else {
        panic!("{outcome:?}")
    };
    let files = entry.files();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[0].file.filename, files[1].file.filename);
    assert_ne!(files[0].file.subfolder, files[1].file.subfolder);
    let dir = tempfile::tempdir().unwrap();
    let mut names = LocalNames::new();
    let mut saved = Vec::new();
    for f in &files {
        let name = names.name_for(&f.file.subfolder, &f.file.filename).unwrap();
        let got = c
            .view_to_file(&f.file, &dir.path().join(&name), |_| {})
            .await
            .unwrap();
        let server = fake
            .output_dir()
            .join(&f.file.subfolder)
            .join(&f.file.filename);
        assert_eq!(
            std::fs::read(&got.path).unwrap(),
            std::fs::read(server).unwrap()
        );
        saved.push(got.path);
    }
    assert_ne!(saved[0], saved[1]);
    assert_ne!(
        std::fs::read(&saved[0]).unwrap(),
        std::fs::read(&saved[1]).unwrap()
    );
    assert_eq!(files_in(dir.path()).len(), 2);
}
