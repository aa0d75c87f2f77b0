#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! Versions kept beside a newer one bind to the same bytes forever: a job replayed on its
//! template version must get the graph it ran with, whatever the planner and binder learn
//! later. The latest versions' reference jobs are pinned in `templates.rs`; this pins the
//! others (the released 1.0.0 templates), profile by profile.

mod common;

use animatrix_workflow::bind;
use common::*;

#[test]
fn older_versions_bind_to_the_same_bytes() {
    let c = catalog();
    let mut pinned = 0;
    for t in c.templates() {
        if c.latest(t.name()).unwrap().version() == t.version() {
            continue;
        }
        for profile in t.profile_names() {
            let b = bind(
                t,
                &reference_settings(t, &profile, "9:16"),
                &uploads_for(t),
                None,
                "ref-job",
                &mut no_random(),
            )
            .unwrap();
            let name = format!("{}_{}__{profile}", t.name(), t.version()).replace('.', "_");
            insta::assert_json_snapshot!(name, b.graph);
            pinned += 1;
        }
    }
    // animate_move, animate_mix and s2v 1.0.0, three profiles each (at least).
    assert!(pinned >= 9, "{pinned}");
}
