//! Pool routing benchmark (issue 16): 30 Draft jobs submitted at once to a pool of three fake
//! ComfyUI servers whose run times differ 1x/2x/4x. Makespan (first submit to last completion)
//! of the pool's routing vs round-robin over the same servers vs the ideal (total work / total
//! speed), as ratios. Goal: routing within 15% of the ideal.
//!
//! Each server first runs two jobs of its own, so routing knows its median run time from
//! history (before any history every server gets the template default, and routing can only
//! balance queue lengths). Round-robin gets the same warm servers.
//!
//! Run: `scripts/bench-pools.sh` (or `cargo run -p animatrix-core --example bench_pools`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use animatrix_core::jobs::{JobInput, JobQuery, JobRequest, JobState};
use animatrix_core::{AuthKind, NewEndpoint, Studio};
use animatrix_workflow::JobSettings;
use fake_comfy::{FakeComfy, FakeComfyHandle, PromptFault};

const JOBS: usize = 30;
/// Pacing per node of the fastest server; the others are 2x and 4x slower.
const BASE_EXEC_MS: u64 = 40;
const SPEEDS: [u64; 3] = [1, 2, 4];
const BOUND: Duration = Duration::from_secs(900);

type Error = Box<dyn std::error::Error>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(name)
}

fn request(studio: &Studio, target: &str, n: usize) -> Result<JobRequest, Error> {
    let template = studio.template_for_mode("audio", None)?;
    let mut settings = JobSettings::new(template, format!("bench run {n}"));
    settings.profile = Some("draft".into());
    settings.aspect = Some("9:16".into());
    settings.seed = n as i64 + 1;
    let mut req = JobRequest::new(settings);
    req.inputs = vec![
        JobInput::file("ground_truth", fixture("character.png")),
        JobInput::file("audio", fixture("speech.wav")),
    ];
    req.target = Some(target.into());
    Ok(req)
}

/// Submits every (target, n) while the servers hold their queues, so all jobs are routed and
/// queued before any runs ("submitted at once": importing the inputs takes about a second a job
/// here, which is not what is measured), then lets the servers go and waits for all. Returns
/// the makespan in seconds, from the release to the last completion.
async fn burst(
    studio: &Studio,
    fakes: &[FakeComfyHandle],
    targets: &[(String, usize)],
) -> Result<f64, Error> {
    for f in fakes {
        f.faults()
            .on_every_prompt(PromptFault::default().hang_before_start());
    }
    let mut ids = Vec::new();
    for (target, n) in targets {
        ids.push(studio.submit(request(studio, target, *n)?).await?);
    }
    let deadline = Instant::now() + BOUND;
    for id in &ids {
        while !studio.was_posted(id).await? {
            if Instant::now() > deadline {
                return Err(format!("job {id} never reached its server").into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let t = Instant::now();
    for f in fakes {
        f.faults().clear();
        f.faults().release_hangs();
    }
    for id in &ids {
        let job = tokio::time::timeout(BOUND, studio.wait(id)).await??;
        if job.state != JobState::Completed {
            return Err(format!("job {id} ended {}: {:?}", job.state, job.error).into());
        }
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Seconds from start to completion of one job at a time on `member` (the service time).
async fn service_time(studio: &Studio, member: &str, n: usize) -> Result<f64, Error> {
    let id = studio.submit(request(studio, member, n)?).await?;
    let job = tokio::time::timeout(BOUND, studio.wait(&id)).await??;
    match (job.times.started_at, job.times.finished_at) {
        (Some(s), Some(f)) if job.state == JobState::Completed => Ok((f - s) as f64 / 1000.0),
        _ => Err(format!("warm-up job {id} ended {}", job.state).into()),
    }
}

async fn setup(fakes: &[FakeComfyHandle], dir: &Path) -> Result<(Studio, Vec<f64>), Error> {
    let studio = Studio::open(dir.to_path_buf())?;
    let mut names = Vec::new();
    for (i, f) in fakes.iter().enumerate() {
        let name = format!("gpu-{}x", SPEEDS[i]);
        studio
            .add_endpoint(
                NewEndpoint {
                    name: name.clone(),
                    base_url: f.base_url(),
                    auth: AuthKind::None,
                    make_default: false,
                },
                None,
            )
            .await?;
        names.push(name);
    }
    studio.create_pool("bench", &names, None).await?;
    let mut service = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut times = Vec::new();
        for k in 0..2 {
            times.push(service_time(&studio, name, 1000 + i * 10 + k).await?);
        }
        service.push(times.iter().sum::<f64>() / times.len() as f64);
    }
    Ok((studio, service))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let mut fakes = Vec::new();
    for s in SPEEDS {
        fakes.push(
            FakeComfy::builder()
                .exec_ms(BASE_EXEC_MS * s)
                // Every run computes: ComfyUI's cache would skip identical nodes.
                .cache(false)
                .start()
                .await?,
        );
    }
    let tmp = tempfile::tempdir()?;

    let (studio, service) = setup(&fakes, &tmp.path().join("routing")).await?;
    let pool: Vec<(String, usize)> = (0..JOBS).map(|n| ("bench".to_string(), n)).collect();
    let routed = burst(&studio, &fakes, &pool).await?;
    let mut per_member = Vec::new();
    for speed in SPEEDS {
        let name = format!("gpu-{speed}x");
        let n = studio
            .gallery(JobQuery {
                limit: Some(100),
                ..JobQuery::default()
            })
            .await?
            .cards
            .iter()
            .filter(|c| c.job.endpoint.as_deref() == Some(name.as_str()))
            .count();
        per_member.push(format!("{name}: {}", n.saturating_sub(2)));
    }
    drop(studio);

    let (studio, _) = setup(&fakes, &tmp.path().join("round-robin")).await?;
    let rr: Vec<(String, usize)> = (0..JOBS)
        .map(|n| (format!("gpu-{}x", SPEEDS[n % SPEEDS.len()]), n))
        .collect();
    let round_robin = burst(&studio, &fakes, &rr).await?;

    let ideal = JOBS as f64 / service.iter().map(|s| 1.0 / s).sum::<f64>();
    println!(
        "service time per job (s): {}",
        service
            .iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    println!("pool routing sent {}", per_member.join(", "));
    println!(
        "makespan of {JOBS} jobs: pool routing {routed:.1} s | round-robin {round_robin:.1} s | ideal {ideal:.1} s"
    );
    println!(
        "ratios to ideal: pool routing {:.2}x | round-robin {:.2}x | goal <= 1.15x",
        routed / ideal,
        round_robin / ideal
    );
    for f in fakes {
        f.shutdown().await;
    }
    Ok(())
}
