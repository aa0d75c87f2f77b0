//! Storage benchmark driver (scripts/bench-storage.sh): uploads FILE to a fresh Garage with
//! `Bucket::upload_file` (what publishing does for a run's video) and with `rclone copyto`,
//! alternating, ROUNDS times each. Prints one JSON line with the median seconds of each and
//! the peak RSS growth of this process during our uploads and rclone's peak RSS.
//!
//!   bench_upload FILE [ROUNDS]

use std::time::{Duration, Instant};

use animatrix_storage::{Bucket, Credentials, StorageTarget};
use garage_harness::{Garage, REGION};

fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `rclone copyto` with its defaults (4 transfers of 5 MiB chunks... per file: upload
/// concurrency 4), returning (seconds, peak RSS KiB sampled from /proc).
fn rclone(g: &Garage, file: &str, key: &str) -> (f64, u64) {
    let start = Instant::now();
    let mut child = std::process::Command::new("rclone")
        .args(["copyto", file, &format!("bench:{}/{key}", g.bucket)])
        .env("RCLONE_CONFIG_BENCH_TYPE", "s3")
        .env("RCLONE_CONFIG_BENCH_PROVIDER", "Other")
        .env("RCLONE_CONFIG_BENCH_ENDPOINT", &g.endpoint)
        .env("RCLONE_CONFIG_BENCH_REGION", REGION)
        .env("RCLONE_CONFIG_BENCH_ACCESS_KEY_ID", &g.access_key_id)
        .env(
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY",
            &g.secret_access_key,
        )
        .env("RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE", "true")
        // A machine-wide AWS_CA_BUNDLE makes rclone's AWS SDK refuse its own HTTP transport;
        // the server is plain HTTP on loopback, no CA is involved.
        .env_remove("AWS_CA_BUNDLE")
        .spawn()
        .expect("rclone runs (apt install rclone)");
    let pid = child.id().to_string();
    let mut peak = 0;
    loop {
        peak = peak.max(status_kib(&pid, "VmHWM:"));
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "rclone failed: {status}");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (start.elapsed().as_secs_f64(), peak)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .get(1)
        .expect("usage: bench_upload FILE [ROUNDS]")
        .clone();
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(3);
    let size = std::fs::metadata(&file).expect("file").len();
    let g = Garage::start("bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let bucket = Bucket::open(
        StorageTarget {
            endpoint_url: g.endpoint.clone(),
            region: REGION.into(),
            bucket: g.bucket.clone(),
            prefix: String::new(),
            path_style: true,
        },
        &Credentials {
            access_key_id: g.access_key_id.clone(),
            secret_access_key: g.secret_access_key.clone().into(),
        },
    )
    .expect("bucket");
    let base_rss = status_kib("self", "VmRSS:");
    let (mut ours, mut theirs, mut rclone_peak) = (Vec::new(), Vec::new(), 0);
    for round in 0..rounds {
        let start = Instant::now();
        rt.block_on(bucket.upload_file(
            std::path::Path::new(&file),
            &format!("ours/{round}.mp4"),
            "video/mp4",
        ))
        .expect("upload");
        ours.push(start.elapsed().as_secs_f64());
        let (secs, peak) = rclone(&g, &file, &format!("rclone/{round}.mp4"));
        theirs.push(secs);
        rclone_peak = rclone_peak.max(peak);
    }
    let growth_kib = status_kib("self", "VmHWM:").saturating_sub(base_rss);
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "{{\"bytes\":{size},\"rounds\":{rounds},\"ours_s\":{ours:.3},\"rclone_s\":{theirs:.3},\"ours_mib_s\":{:.1},\"rclone_mib_s\":{:.1},\"ratio\":{:.3},\"ours_rss_growth_mib\":{:.1},\"rclone_peak_rss_mib\":{:.1}}}",
        size as f64 / 1048576.0 / ours,
        size as f64 / 1048576.0 / theirs,
        theirs / ours,
        growth_kib as f64 / 1024.0,
        rclone_peak as f64 / 1024.0,
    );
}
