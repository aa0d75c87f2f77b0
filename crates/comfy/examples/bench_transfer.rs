//! Transfer benchmark driver (issue 4), run by `scripts/bench-transfer.sh`.
//!
//! * `bench_transfer serve DATA_DIR` — a fake ComfyUI (tests/fake-comfy) in its own process,
//!   uploads limited only by disk; prints `listening URL` and serves until killed.
//! * `bench_transfer upload URL FILE NAME` — one streamed upload with the client.
//! * `bench_transfer download URL NAME DEST` — one streamed /view download with the client.
//!
//! The client commands print one JSON line: bytes, seconds, MiB/s, the process's resident set
//! before the transfer (after runtime and client setup) and its peak (VmHWM) after, so the
//! script can show that the file never sits in memory.

use std::path::Path;
use std::time::Instant;

use animatrix_comfy::model::{FileRef, FileType};
use animatrix_comfy::{Auth, ClientOptions, ComfyClient, Endpoint, UploadTarget};

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn client(url: &str) -> Result<ComfyClient, Box<dyn std::error::Error>> {
    Ok(ComfyClient::new(
        Endpoint::parse(url, Auth::None)?,
        ClientOptions::default(),
    )?)
}

fn report(op: &str, bytes: u64, started: Instant, rss_base: u64) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"op\":\"{op}\",\"bytes\":{bytes},\"secs\":{secs:.4},\"mib_s\":{:.1},\"rss_base_kib\":{rss_base},\"hwm_kib\":{}}}",
        bytes as f64 / 1048576.0 / secs,
        status_kib("VmHWM:")
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve", data_dir] => {
            let fake = fake_comfy::FakeComfy::builder()
                .data_dir(data_dir)
                .max_upload_size(u64::MAX / 2)
                .start()
                .await?;
            println!("listening {}", fake.base_url());
            tokio::signal::ctrl_c().await?;
            fake.shutdown().await;
        }
        ["upload", url, file, name] => {
            let c = client(url)?;
            c.features().await?; // connection + limit check outside the timed part
            let rss_base = status_kib("VmRSS:");
            let target = UploadTarget {
                overwrite: true,
                ..UploadTarget::input(*name)
            };
            let started = Instant::now();
            c.upload(Path::new(file), &target, |_| {}).await?;
            let bytes = std::fs::metadata(file)?.len();
            report("upload", bytes, started, rss_base);
        }
        ["download", url, name, dest] => {
            let c = client(url)?;
            c.features().await?;
            let rss_base = status_kib("VmRSS:");
            let file = FileRef {
                filename: (*name).to_owned(),
                subfolder: String::new(),
                file_type: FileType::Output,
            };
            let started = Instant::now();
            let got = c.view_to_file(&file, Path::new(dest), |_| {}).await?;
            report("download", got.bytes, started, rss_base);
        }
        _ => {
            eprintln!(
                "usage: bench_transfer serve DATA_DIR | upload URL FILE NAME | download URL NAME DEST"
            );
            std::process::exit(2);
        }
    }
    Ok(())
}
