//! Benchmark driver for scripts/bench-media.sh (build in release).
//!
//! `bench_media image IN.jpg OUT.png THUMB.jpg` - decode, fit to 832x480 (crop, Lanczos3), PNG,
//!   256 px JPEG thumbnail.
//! `bench_media audio IN.mp3 OUT.wav` - decode, mono, resample to 16 kHz, 16-bit WAV.
//! `bench_media video IN.mp4` - probe (headers and index only).
//!
//! Prints one line `elapsed_ms=<in-process time> peak_rss_kb=<VmHWM>`.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use animatrix_media::pipeline::{load_image_file, normalize_audio_file, probe_video_file};
use animatrix_media::{
    AspectTarget, FitMode, Limits, fit_to_target, thumbnail, write_jpeg, write_png,
};

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        args.get(i)
            .map(String::as_str)
            .ok_or("missing argument (see the file's doc comment)")
    };
    let start = Instant::now();
    match arg(0)? {
        "image" => {
            let image = load_image_file(Path::new(arg(1)?), &Limits::default())?;
            let fitted = fit_to_target(&image, AspectTarget::new(832, 480)?, FitMode::Crop)?;
            drop(image);
            write_png(&fitted, BufWriter::new(File::create(arg(2)?)?))?;
            write_jpeg(&thumbnail(&fitted)?, BufWriter::new(File::create(arg(3)?)?))?;
        }
        "audio" => {
            let out = normalize_audio_file(Path::new(arg(1)?), Path::new(arg(2)?), 3600.0)?;
            eprintln!("frames={} seconds={:.3}", out.frames, out.duration_seconds);
        }
        "video" => {
            let limits = Limits {
                max_video_bytes: u64::MAX,
                max_video_seconds: f64::MAX,
                ..Limits::default()
            };
            let probe = probe_video_file(Path::new(arg(1)?), &limits)?;
            eprintln!("{}", serde_json::to_string(&probe.facts)?);
        }
        other => return Err(format!("unknown mode {other}").into()),
    }
    println!(
        "elapsed_ms={:.2} peak_rss_kb={}",
        start.elapsed().as_secs_f64() * 1000.0,
        peak_rss_kb()
    );
    Ok(())
}
