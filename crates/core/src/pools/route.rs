//! The routing rule, pure: given what each member said about one job, which member will have it
//! done soonest (it starts soonest, counting that server's own speed). Expected wait = jobs ahead on that server (its whole `/queue`, other users' prompts
//! included, plus ours routed there and not posted yet) x that server's median run time for
//! this template/profile/length + the upload time of the inputs it does not have yet. Members
//! whose preflight says the job cannot run there are never candidates.

use serde::{Deserialize, Serialize};

/// One member as measured for one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct MemberEstimate {
    pub endpoint: String,
    pub status: MemberStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MemberStatus {
    /// Can run the job; it would start after `wait_seconds`.
    Ready {
        /// Prompts ahead of this job on the server (running one included).
        ahead: u32,
        /// Median run time of this template/profile here, or the template default.
        run_seconds: f64,
        /// `run_seconds` comes from this server's own history.
        from_history: bool,
        /// Upload time of the inputs this server does not have yet.
        upload_seconds: f64,
        wait_seconds: f64,
    },
    /// Preflight says it cannot run this job (`reason` in user words: "lacks the High model").
    NotReady { reason: String },
    /// It did not answer.
    Unreachable { reason: String },
}

impl MemberStatus {
    pub fn ready(ahead: u32, run_seconds: f64, from_history: bool, upload_seconds: f64) -> Self {
        let run_seconds = run_seconds.max(0.0);
        let upload_seconds = upload_seconds.max(0.0);
        MemberStatus::Ready {
            ahead,
            run_seconds,
            from_history,
            upload_seconds,
            wait_seconds: f64::from(ahead) * run_seconds + upload_seconds,
        }
    }

    pub fn wait_seconds(&self) -> Option<f64> {
        match self {
            MemberStatus::Ready { wait_seconds, .. } => Some(*wait_seconds),
            _ => None,
        }
    }
}

/// The member chosen for a job and the others in the order they are tried if it refuses.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Ready members, best first.
    pub order: Vec<String>,
    /// "sent to gpu-b: ~2 min wait".
    pub summary: String,
    /// One line per other member: "gpu-a: ~9 min", "gpu-c: lacks the High model".
    pub alternatives: Vec<String>,
}

/// Ready members ranked by when the job would be done there: expected start (the wait) plus
/// this server's own run time. Ranking by the start alone sends work to an idle slow server
/// while a fast one would finish it sooner after a short queue (measured: 2.2x the ideal
/// makespan on a 1x/2x/4x pool, see docs/BENCHMARKS.md). On a tie the faster server, then the
/// pool's member order. `None` when no member is ready.
pub fn decide(estimates: &[MemberEstimate]) -> Option<Decision> {
    let mut ready: Vec<(usize, &MemberEstimate, f64, f64)> = estimates
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.status {
            MemberStatus::Ready {
                wait_seconds,
                run_seconds,
                ..
            } => Some((i, e, wait_seconds, run_seconds)),
            _ => None,
        })
        .collect();
    ready.sort_by(|a, b| {
        (a.2 + a.3)
            .total_cmp(&(b.2 + b.3))
            .then(a.3.total_cmp(&b.3))
            .then(a.0.cmp(&b.0))
    });
    let (_, chosen, wait, _) = ready.first()?;
    let summary = format!("sent to {}: {}", chosen.endpoint, wait_words(*wait));
    let alternatives = ready
        .iter()
        .skip(1)
        .map(|(_, e, w, _)| format!("{}: {}", e.endpoint, short_wait(*w)))
        .chain(estimates.iter().filter_map(|e| match &e.status {
            MemberStatus::NotReady { reason } | MemberStatus::Unreachable { reason } => {
                Some(format!("{}: {reason}", e.endpoint))
            }
            MemberStatus::Ready { .. } => None,
        }))
        .collect();
    Some(Decision {
        order: ready
            .iter()
            .map(|(_, e, _, _)| e.endpoint.clone())
            .collect(),
        summary,
        alternatives,
    })
}

/// "no wait", "~40 s wait", "~2 min wait".
pub fn wait_words(seconds: f64) -> String {
    if seconds < 1.0 {
        "no wait".into()
    } else {
        format!("{} wait", short_wait(seconds))
    }
}

/// "~0 s", "~40 s", "~2 min", "~3 h".
pub fn short_wait(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s < 90.0 {
        format!("~{} s", s.round() as u64)
    } else if s < 2.0 * 3600.0 {
        format!("~{} min", (s / 60.0).round() as u64)
    } else {
        format!("~{} h", (s / 3600.0).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(name: &str, status: MemberStatus) -> MemberEstimate {
        MemberEstimate {
            endpoint: name.into(),
            status,
        }
    }

    #[test]
    fn the_earliest_finish_wins_and_unready_members_are_never_candidates() {
        let d = decide(&[
            est("gpu-a", MemberStatus::ready(3, 180.0, true, 0.0)),
            est("gpu-b", MemberStatus::ready(1, 120.0, true, 0.0)),
            est(
                "gpu-c",
                MemberStatus::NotReady {
                    reason: "lacks the High model".into(),
                },
            ),
        ])
        .expect("a ready member");
        assert_eq!(d.order, ["gpu-b", "gpu-a"]);
        assert_eq!(d.summary, "sent to gpu-b: ~2 min wait");
        assert_eq!(
            d.alternatives,
            ["gpu-a: ~9 min", "gpu-c: lacks the High model"]
        );
    }

    #[test]
    fn uploads_count_and_ties_go_to_the_faster_server() {
        // Same queue; gpu-a lacks the inputs (60 s upload), gpu-b has them.
        let d = decide(&[
            est("gpu-a", MemberStatus::ready(1, 100.0, true, 60.0)),
            est("gpu-b", MemberStatus::ready(1, 100.0, true, 0.0)),
        ])
        .expect("ready");
        assert_eq!(d.order[0], "gpu-b");
        // Idle servers: the faster one, whatever the member order.
        let d = decide(&[
            est("slow", MemberStatus::ready(0, 400.0, true, 0.0)),
            est("fast", MemberStatus::ready(0, 100.0, true, 0.0)),
        ])
        .expect("ready");
        assert_eq!(d.order, ["fast", "slow"]);
        assert_eq!(d.summary, "sent to fast: no wait");
    }

    #[test]
    fn an_idle_slow_server_loses_to_a_fast_one_with_a_short_queue() {
        // Starts at once on slow but ends at 400 s; starts after 100 s on fast, ends at 200 s.
        let d = decide(&[
            est("slow", MemberStatus::ready(0, 400.0, true, 0.0)),
            est("fast", MemberStatus::ready(1, 100.0, true, 0.0)),
        ])
        .expect("ready");
        assert_eq!(d.order, ["fast", "slow"]);
        assert_eq!(d.summary, "sent to fast: ~2 min wait");
    }

    #[test]
    fn no_ready_member_is_no_decision() {
        assert!(
            decide(&[est(
                "a",
                MemberStatus::Unreachable {
                    reason: "did not answer".into()
                }
            )])
            .is_none()
        );
        assert!(decide(&[]).is_none());
    }

    #[test]
    fn greedy_routing_of_a_burst_is_near_the_ideal_makespan() {
        // 30 jobs at once on servers 1x/2x/4x slower: routing each by expected start, counting
        // the ones already routed, ends within 15% of total work / total speed.
        let runs = [1.0, 2.0, 4.0];
        let mut queued = [0u32; 3];
        for _ in 0..30 {
            let e: Vec<_> = runs
                .iter()
                .zip(queued)
                .enumerate()
                .map(|(i, (r, q))| est(&i.to_string(), MemberStatus::ready(q, *r, true, 0.0)))
                .collect();
            let d = decide(&e).expect("ready");
            let i: usize = d.order[0].parse().expect("index");
            queued[i] += 1;
        }
        let makespan = runs
            .iter()
            .zip(queued)
            .map(|(r, q)| r * f64::from(q))
            .fold(0.0, f64::max);
        let ideal = 30.0 / runs.iter().map(|r| 1.0 / r).sum::<f64>();
        assert!(makespan / ideal < 1.15, "{queued:?}: {makespan} vs {ideal}");
    }
}
