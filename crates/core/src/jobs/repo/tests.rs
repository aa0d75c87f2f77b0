use animatrix_common::{ErrorCode, UserError};
use animatrix_workflow::JobSettings;
use rusqlite::{Connection, params};

use super::*;
use crate::jobs::model::{JobRequest, JobState, NewJob, TemplateRef};

pub(crate) fn new_job(id: &str, prompt: &str) -> NewJob {
    NewJob {
        id: id.into(),
        prompt_id: format!("p-{id}"),
        client_id: "c".into(),
        endpoint: Some("lab".into()),
        mode: "audio".into(),
        template: TemplateRef {
            name: "talking".into(),
            version: "1.0.0".into(),
        },
        profile: "draft".into(),
        aspect: "9:16".into(),
        request: JobRequest::new(JobSettings::new("talking", prompt)),
        resolved_seed: 7,
        frame_count: Some(81),
        parent: None,
        inputs: Vec::new(),
    }
}

pub(crate) fn db() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = crate::store::open(dir.path()).expect("open");
    (dir, conn)
}

#[test]
fn lifecycle_is_recorded_and_illegal_moves_refused() {
    let (_d, mut c) = db();
    insert(
        &mut c,
        &new_job("job-aaaaaa1", "hello"),
        &["careful".into()],
    )
    .expect("insert");
    assert!(transition(&mut c, "job-aaaaaa1", JobState::Uploading).expect("t"));
    assert!(transition(&mut c, "job-aaaaaa1", JobState::Queued).expect("t"));
    assert!(!transition(&mut c, "job-aaaaaa1", JobState::Uploading).expect("t"));
    assert!(transition(&mut c, "job-aaaaaa1", JobState::Executing).expect("t"));
    let err = UserError::new(ErrorCode::ExecutionError, "m", "s").with_detail("d");
    assert!(fail(&mut c, "job-aaaaaa1", &err).expect("fail"));
    assert!(!transition(&mut c, "job-aaaaaa1", JobState::Completed).expect("t"));
    let job = get(&c, "job-aaaaaa1").expect("get");
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.error.as_ref(), Some(&err));
    assert_eq!(job.request.settings.prompt, "hello");
    assert_eq!(job.resolved_seed, Some(7));
    let t = &job.times;
    assert!(t.queued_at.is_some() && t.started_at.is_some() && t.finished_at.is_some());
    let events = events(&c, "job-aaaaaa1").expect("events");
    let states: Vec<_> = events.iter().filter_map(|e| e.data.state()).collect();
    assert_eq!(
        states,
        vec![
            JobState::Validating,
            JobState::Uploading,
            JobState::Queued,
            JobState::Executing,
            JobState::Failed
        ]
    );
    assert!(events.iter().any(|e| e.data
        == crate::jobs::model::EventData::Warning {
            message: "careful".into()
        }));
    let failed = events.last().expect("last");
    assert!(
        matches!(&failed.data, crate::jobs::model::EventData::State { error: Some(e), .. } if e.code == "execution_error")
    );
}

#[test]
fn list_paginates_filters_and_searches() {
    let (_d, mut c) = db();
    for i in 0..25 {
        let mut j = new_job(&format!("job-{i:04}"), &format!("prompt number {i}"));
        if i % 5 == 0 {
            j.request.settings.prompt = format!("a knight singing opera {i}");
            j.mode = "animate".into();
        }
        insert(&mut c, &j, &[]).expect("insert");
        c.execute(
            "UPDATE jobs SET created_at = ?2 WHERE id = ?1",
            params![format!("job-{i:04}"), 1000 + i],
        )
        .expect("stamp");
    }
    let page = list(
        &c,
        &JobQuery {
            limit: Some(10),
            ..Default::default()
        },
    )
    .expect("page");
    assert_eq!(page.jobs.len(), 10);
    assert_eq!(page.jobs[0].id, "job-0024", "newest first");
    let page2 = list(
        &c,
        &JobQuery {
            limit: Some(10),
            before: page.next.clone(),
            ..Default::default()
        },
    )
    .expect("page2");
    assert_eq!(page2.jobs[0].id, "job-0014");
    let search = |text: &str, limit: Option<u32>, before: Option<Cursor>| {
        list(
            &c,
            &JobQuery {
                search: Some(text.into()),
                limit,
                before,
                ..Default::default()
            },
        )
        .expect("search")
    };
    let hits = search("OPERA kni", None, None);
    assert_eq!(hits.jobs.len(), 5);
    assert_eq!(hits.jobs[0].id, "job-0020", "newest match first");
    let hits_p1 = search("opera", Some(3), None);
    let hits_p2 = search("opera", Some(3), hits_p1.next.clone());
    let ids: Vec<_> = hits_p1
        .jobs
        .iter()
        .chain(&hits_p2.jobs)
        .map(|j| j.id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["job-0020", "job-0015", "job-0010", "job-0005", "job-0000"]
    );
    assert!(hits_p2.next.is_none());
    let animate_failed = list(
        &c,
        &JobQuery {
            mode: Some("animate".into()),
            state: Some(JobState::Failed),
            ..Default::default()
        },
    )
    .expect("filter");
    assert!(animate_failed.jobs.is_empty());
    // FTS syntax in user text is quoted away, never an error.
    search("\"NEAR( AND * :", None, None);
}

#[test]
fn resolves_unique_prefixes_only() {
    let (_d, mut c) = db();
    insert(&mut c, &new_job("abcdef-1", "x"), &[]).expect("insert");
    insert(&mut c, &new_job("abcdef-2", "y"), &[]).expect("insert");
    assert_eq!(resolve_id(&c, "abcdef-1").expect("full"), "abcdef-1");
    assert!(resolve_id(&c, "abcdef").is_err(), "ambiguous");
    assert!(resolve_id(&c, "abc").is_err(), "too short");
}
