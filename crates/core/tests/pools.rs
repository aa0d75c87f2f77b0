//! Server pools end to end against three fake ComfyUI servers in one test binary: different
//! speeds, one lacking the model, one restarted mid-queue. Routing picks the member that starts
//! a job soonest and never one that lacks its model; a member refusing before it accepts the
//! prompt passes the job on; a prompt lost to a restart is resubmitted once, linked to the
//! original; cancel reaches the member the job is on; `recover` after the process died
//! reconciles jobs on several members.

use std::path::{Path, PathBuf};
use std::time::Duration;

use animatrix_core::jobs::{EventData, JobInput, JobRecord, JobRequest, JobState, Relation};
use animatrix_core::{AuthKind, CoreError, NewEndpoint, Studio};
use animatrix_workflow::JobSettings;
use fake_comfy::{EndpointFault, FakeComfy, FakeComfyHandle, PromptFault};

/// Generous for a loaded 2-core machine; each wait ends far sooner when healthy.
const BOUND: Duration = Duration::from_secs(90);
/// The node the s2v graph's prompts are held at (a sampler: the prompt is running).
const HOLD_AT: &str = "3";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(name)
}

struct Pool {
    _dir: tempfile::TempDir,
    data: PathBuf,
    /// gpu-a (slower), gpu-b (faster), gpu-c (lacks the diffusion model).
    a: FakeComfyHandle,
    b: FakeComfyHandle,
    c: FakeComfyHandle,
}

async fn fake(exec_ms: u64) -> FakeComfyHandle {
    FakeComfy::builder()
        .exec_ms(exec_ms)
        .start()
        .await
        .expect("fake")
}

impl Pool {
    async fn new() -> (Pool, Studio) {
        let (a, b, c) = (fake(10).await, fake(3).await, fake(3).await);
        c.set_models("diffusion_models", Vec::new());
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let studio = Studio::open(data.clone()).expect("studio");
        for (name, f) in [("gpu-a", &a), ("gpu-b", &b), ("gpu-c", &c)] {
            studio
                .add_endpoint(
                    NewEndpoint {
                        name: name.into(),
                        base_url: f.base_url(),
                        auth: AuthKind::None,
                        make_default: false,
                    },
                    None,
                )
                .await
                .expect("endpoint");
        }
        let members: Vec<String> = ["gpu-a", "gpu-b", "gpu-c"].map(String::from).to_vec();
        studio
            .create_pool("studio", &members, None)
            .await
            .expect("pool");
        let pool = Pool {
            _dir: dir,
            data,
            a,
            b,
            c,
        };
        (pool, studio)
    }
}

fn request(studio: &Studio, target: &str, prompt: &str) -> JobRequest {
    let template = studio.template_for_mode("audio", None).expect("template");
    let mut settings = JobSettings::new(template, prompt);
    settings.profile = Some("draft".into());
    settings.aspect = Some("9:16".into());
    settings.seed = 7;
    let mut req = JobRequest::new(settings);
    req.inputs = vec![
        JobInput::file("ground_truth", fixture("character.png")),
        JobInput::file("audio", fixture("speech.wav")),
    ];
    req.target = Some(target.into());
    req
}

async fn wait(studio: &Studio, id: &str) -> JobRecord {
    tokio::time::timeout(BOUND, studio.wait(id))
        .await
        .expect("ended in time")
        .expect("wait")
}

/// Waits until `cond` holds for the job (polling the store), within [`BOUND`].
async fn until(studio: &Studio, id: &str, what: &str, cond: impl Fn(&JobRecord) -> bool) {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let job = studio.job(id).await.expect("job");
        if cond(&job) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {:?} on {:?}",
            job.state,
            job.endpoint
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn routed(studio: &Studio, id: &str) -> Vec<(String, String, Vec<String>)> {
    studio
        .job_detail(id)
        .await
        .expect("detail")
        .events
        .into_iter()
        .filter_map(|e| match e.data {
            EventData::Routed {
                endpoint,
                summary,
                alternatives,
            } => Some((endpoint, summary, alternatives)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_prefers_the_soonest_member_and_never_one_lacking_the_model() {
    let (p, studio) = Pool::new().await;
    // Someone else's long prompt keeps gpu-b (the faster one) busy.
    p.b.faults()
        .on_next_prompt(PromptFault::default().hang_at(HOLD_AT));
    let busy = studio
        .submit(request(&studio, "gpu-b", "someone else's run"))
        .await
        .expect("submit");
    until(&studio, &busy, "busy job running", |j| {
        j.state == JobState::Executing
    })
    .await;

    let first = studio
        .submit(request(&studio, "studio", "first"))
        .await
        .expect("submit");
    let job = wait(&studio, &first).await;
    assert_eq!(job.state, JobState::Completed, "{:?}", job.error);
    assert_eq!(
        job.endpoint.as_deref(),
        Some("gpu-a"),
        "gpu-b has one ahead"
    );
    assert_eq!(job.request.target.as_deref(), Some("studio"));
    let r = routed(&studio, &first).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].1.starts_with("sent to gpu-a"), "{r:?}");
    assert!(
        r[0].2
            .iter()
            .any(|a| a.starts_with("gpu-c: lacks the Draft model")),
        "{r:?}"
    );

    // A burst, held on the servers until every job is routed: nothing ever goes to gpu-c,
    // the jobs are spread over the ready members, and every job completes.
    p.b.faults().release_hangs();
    assert_eq!(wait(&studio, &busy).await.state, JobState::Completed);
    for f in [&p.a, &p.b] {
        f.faults()
            .on_every_prompt(PromptFault::default().hang_before_start());
    }
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            studio
                .submit(request(&studio, "studio", &format!("burst {i}")))
                .await
                .expect("submit"),
        );
    }
    let mut members = std::collections::BTreeMap::new();
    for id in &ids {
        until(&studio, id, "on a server", |j| {
            matches!(j.state, JobState::Queued | JobState::Executing)
        })
        .await;
        let deadline = tokio::time::Instant::now() + BOUND;
        while !studio.was_posted(id).await.expect("events") {
            assert!(tokio::time::Instant::now() < deadline, "never posted");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let job = studio.job(id).await.expect("job");
        *members
            .entry(job.endpoint.clone().unwrap_or_default())
            .or_insert(0) += 1;
    }
    for f in [&p.a, &p.b] {
        f.faults().clear();
        f.faults().release_hangs();
    }
    for id in &ids {
        let job = wait(&studio, id).await;
        assert_eq!(job.state, JobState::Completed, "{:?}", job.error);
    }
    assert!(!members.contains_key("gpu-c"), "{members:?}");
    assert!(
        p.c.prompts().is_empty(),
        "the member lacking the model got nothing"
    );
    // How the burst splits between gpu-a and gpu-b follows their history (gpu-b's one run was
    // held for a long time, so it looks slow); the split by speed is measured by
    // `scripts/bench-pools.sh` and `pools::route` tests.
    assert_eq!(members.values().sum::<i32>(), 4, "{members:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_refusing_before_acceptance_passes_the_job_on() {
    let (p, studio) = Pool::new().await;
    // With no history the members tie and gpu-a (first) is preferred; it refuses every POST.
    p.a.faults()
        .endpoint(EndpointFault::status("/prompt", 503).method("POST"));
    let id = studio
        .submit(request(&studio, "studio", "failover"))
        .await
        .expect("submit");
    let job = wait(&studio, &id).await;
    assert_eq!(job.state, JobState::Completed, "{:?}", job.error);
    assert_eq!(job.endpoint.as_deref(), Some("gpu-b"));
    let r = routed(&studio, &id).await;
    assert_eq!(
        r.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        ["gpu-a", "gpu-b"],
        "{r:?}"
    );
    assert!(p.a.prompts().is_empty());
    assert_eq!(p.b.prompts().len(), 1);
    drop(p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_lost_to_a_restart_is_resubmitted_once_to_another_member() {
    let (p, studio) = Pool::new().await;
    for f in [&p.a, &p.b] {
        f.faults()
            .on_next_prompt(PromptFault::default().hang_at(HOLD_AT));
    }
    let id = studio
        .submit(request(&studio, "studio", "lost"))
        .await
        .expect("submit");
    until(&studio, &id, "running", |j| j.state == JobState::Executing).await;
    let job = studio.job(&id).await.expect("job");
    let (lost_on, other) = match job.endpoint.as_deref() {
        Some("gpu-a") => (&p.a, &p.b),
        Some("gpu-b") => (&p.b, &p.a),
        other => panic!("routed to {other:?}"),
    };
    // The other member runs the resubmission freely.
    other.faults().clear();
    lost_on
        .restart_with_downtime(Duration::from_millis(200))
        .await
        .expect("restart");
    let lost = wait(&studio, &id).await;
    assert_eq!(lost.state, JobState::Failed);
    assert_eq!(
        lost.error.as_ref().map(|e| e.code.as_str()),
        Some("lost_on_server")
    );
    let next = loop_find_child(&studio, &id).await;
    assert_eq!(next.relation, Some(Relation::Failover));
    let done = wait(&studio, &next.id).await;
    assert_eq!(done.state, JobState::Completed, "{:?}", done.error);
    assert_ne!(done.endpoint, lost.endpoint, "another member");
    assert_eq!(done.request.target.as_deref(), Some("studio"));
}

/// The job resubmitted from `parent` (polled: it is made right after the parent fails).
async fn loop_find_child(studio: &Studio, parent: &str) -> JobRecord {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let page = studio.gallery(Default::default()).await.expect("gallery");
        if let Some(card) = page
            .cards
            .into_iter()
            .find(|c| c.job.parent_job_id.as_deref() == Some(parent))
        {
            return card.job;
        }
        assert!(tokio::time::Instant::now() < deadline, "no resubmission");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_reaches_the_member_the_job_is_on() {
    let (p, studio) = Pool::new().await;
    for f in [&p.a, &p.b] {
        f.faults()
            .on_every_prompt(PromptFault::default().hang_at(HOLD_AT));
    }
    let first = studio
        .submit(request(&studio, "studio", "one"))
        .await
        .expect("submit");
    until(&studio, &first, "running", |j| {
        j.state == JobState::Executing
    })
    .await;
    let second = studio
        .submit(request(&studio, "studio", "two"))
        .await
        .expect("submit");
    until(&studio, &second, "running", |j| {
        j.state == JobState::Executing
    })
    .await;
    let (j1, j2) = (
        studio.job(&first).await.expect("job"),
        studio.job(&second).await.expect("job"),
    );
    assert_ne!(j1.endpoint, j2.endpoint, "one on each ready member");
    let cancelled = studio.cancel(&second).await.expect("cancel");
    assert_eq!(cancelled.state, JobState::Cancelled);
    let (on, off) = if j2.endpoint.as_deref() == Some("gpu-a") {
        (&p.a, &p.b)
    } else {
        (&p.b, &p.a)
    };
    assert!(
        on.interrupts()
            .iter()
            .any(|i| i.prompt_id.as_deref() == Some(j2.prompt_id.as_str()))
            || on.queue_deletes().contains(&j2.prompt_id),
        "the cancel reached {:?}",
        j2.endpoint
    );
    assert!(off.interrupts().is_empty() && off.queue_deletes().is_empty());
    for f in [&p.a, &p.b] {
        f.faults().clear();
        f.faults().release_hangs();
    }
    assert_eq!(wait(&studio, &first).await.state, JobState::Completed);
}

#[test]
fn recover_after_the_process_died_reconciles_jobs_on_several_members() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (p, ids) = rt.block_on(async {
        let (p, studio) = Pool::new().await;
        for f in [&p.a, &p.b] {
            f.faults()
                .on_every_prompt(PromptFault::default().hang_at(HOLD_AT));
        }
        // The app dies with one job running on each ready member.
        let died = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("app runtime");
        let data = p.data.clone();
        let ids = std::thread::spawn(move || {
            died.block_on(async {
                let s = Studio::open(data).expect("studio");
                let mut ids = Vec::new();
                for prompt in ["one", "two"] {
                    let id = s
                        .submit(request(&s, "studio", prompt))
                        .await
                        .expect("submit");
                    until(&s, &id, "running", |j| j.state == JobState::Executing).await;
                    ids.push(id);
                }
                ids
            })
            // `died` is dropped here with its tasks: nothing ends the jobs.
        })
        .join()
        .expect("app thread");
        drop(studio);
        (p, ids)
    });
    rt.block_on(async {
        for f in [&p.a, &p.b] {
            f.faults().clear();
            f.faults().release_hangs();
        }
        let studio = Studio::open(p.data.clone()).expect("reopen");
        let picked = studio.recover().await.expect("recover");
        let mut members = std::collections::BTreeSet::new();
        for id in &ids {
            assert!(picked.contains(id));
            let job = wait(&studio, id).await;
            assert_eq!(job.state, JobState::Completed, "{:?}", job.error);
            members.insert(job.endpoint.clone().unwrap_or_default());
        }
        assert_eq!(members.len(), 2, "{members:?}");
        for f in [&p.a, &p.b] {
            assert_eq!(f.prompts().len(), 1, "each prompt posted once");
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pools_share_the_names_of_servers_and_refuse_bad_members() {
    let (_p, studio) = Pool::new().await;
    let err = studio
        .create_pool("gpu-a", &["gpu-b".into()], None)
        .await
        .expect_err("name of a server");
    assert!(matches!(err, CoreError::NameTaken { .. }), "{err}");
    let err = studio
        .create_pool("x", &["nope".into()], None)
        .await
        .expect_err("unknown member");
    assert!(matches!(err, CoreError::EndpointNotFound { .. }), "{err}");
    assert!(matches!(
        studio.create_pool("x", &[], None).await,
        Err(CoreError::PoolNeedsMember { .. })
    ));
    assert!(matches!(
        studio.add_pool_member("studio", "gpu-a").await,
        Err(CoreError::PoolMemberExists { .. })
    ));
    studio
        .remove_pool_member("studio", "gpu-c")
        .await
        .expect("remove");
    studio
        .set_default_target("studio")
        .await
        .expect("default pool");
    assert_eq!(studio.default_target().await.expect("default"), "studio");
    studio.set_default_endpoint("gpu-a").await.expect("server");
    assert_eq!(studio.default_target().await.expect("default"), "gpu-a");
    studio
        .remove_endpoint("gpu-b")
        .await
        .expect("remove server");
    assert_eq!(
        studio.pool("studio").await.expect("pool").members,
        ["gpu-a"]
    );
    studio.delete_pool("studio").await.expect("delete");
    assert!(matches!(
        studio.pool("studio").await,
        Err(CoreError::PoolNotFound { .. })
    ));
}
