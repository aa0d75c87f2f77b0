//! The HTTP checks of tracked prompts, from the actor's side: which prompts are due, what a
//! finding changes, and how a failed check spends the prompt's budget or ends it.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Outcome;
use super::TrackedEvent;
use super::actor::Actor;
use super::entry::{FailureClass, Origin, Phase, Position, classify, failed};
use super::poll::{self, CheckRequest, Finding};
use crate::error::ComfyError;

/// History reads after the socket said "finished" before falling back to a queue check.
const SETTLE_READS: u32 = 10;

impl Actor {
    pub(super) fn start_checks(&mut self, tx: &mpsc::UnboundedSender<Vec<(String, Finding)>>) {
        self.entries.retain(|_, e| !e.abandoned());
        let now = Instant::now();
        let mut requests = Vec::new();
        for (id, entry) in &mut self.entries {
            if entry.phase != Phase::Active || entry.in_flight || entry.next_check > now {
                continue;
            }
            let with_queue = entry.needs_queue || !self.socket_up || entry.origin != Origin::Ours;
            entry.in_flight = true;
            entry.last_checked = Some(now);
            requests.push(CheckRequest {
                prompt_id: id.clone(),
                with_queue: with_queue && entry.settling.is_none(),
            });
        }
        if requests.is_empty() {
            return;
        }
        self.check_in_flight = true;
        let client = self.client.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(poll::check(client, requests).await);
        });
    }

    pub(super) fn apply(&mut self, findings: Vec<(String, Finding)>) {
        for (id, finding) in findings {
            let Some(entry) = self.entries.get_mut(&id) else {
                continue;
            };
            entry.in_flight = false;
            if entry.phase != Phase::Active {
                continue;
            }
            if let Finding::Failed { error, from_queue } = finding {
                self.failed_check(&id, error, from_queue);
                continue;
            }
            entry.failures = Default::default();
            self.unreachable_since = None;
            match finding {
                Finding::Finished(history) => {
                    self.finish(&id, poll::outcome_from_history(*history));
                    continue;
                }
                Finding::Running { client_id } => {
                    entry.origin = origin_of(client_id.as_deref(), &self.client_id);
                    entry.needs_queue = false;
                    entry.absent_polls = 0;
                    entry.start();
                }
                Finding::Pending {
                    ahead,
                    total,
                    client_id,
                } => {
                    entry.origin = origin_of(client_id.as_deref(), &self.client_id);
                    entry.needs_queue = false;
                    entry.absent_polls = 0;
                    let moved = match entry.position.as_mut() {
                        Some(p) => p.on_queue(ahead, total),
                        None => {
                            entry.position = Some(Position::new(ahead, total));
                            Some(ahead)
                        }
                    };
                    if let Some(ahead) = moved.filter(|_| !entry.started) {
                        entry.emit(TrackedEvent::Queued { ahead });
                    }
                }
                Finding::Absent => {
                    entry.absent_polls += 1;
                    entry.settling = None;
                    if entry.absent_polls >= self.options.vanish_confirmations.max(1) {
                        tracing::warn!(comfy_prompt_id = %id, "prompt vanished from the server");
                        self.finish(&id, Outcome::Vanished);
                        continue;
                    }
                    entry.needs_queue = true;
                }
                Finding::NotFinished => {
                    if let Some(reads) = entry.settling.as_mut() {
                        *reads += 1;
                        if *reads >= SETTLE_READS {
                            entry.settling = None;
                            entry.needs_queue = true;
                        }
                    }
                }
                Finding::Failed { .. } => {}
            }
            entry.reschedule(&self.options, self.socket_up);
        }
    }

    /// A check of `id` failed: spend its budget, back off, or end it with the cause.
    fn failed_check(&mut self, id: &str, error: Arc<ComfyError>, from_queue: bool) {
        let Some(entry) = self.entries.get_mut(id) else {
            return;
        };
        let class = classify(&error, from_queue);
        let o = &self.options;
        entry.failures.consecutive += 1;
        let (spent, budget) = match class {
            FailureClass::Terminal => (1, 1),
            FailureClass::BadAnswer => {
                entry.failures.bad_answers += 1;
                (entry.failures.bad_answers, o.max_bad_answers.max(1))
            }
            FailureClass::Timeout => {
                entry.failures.timeouts += 1;
                (entry.failures.timeouts, o.max_poll_timeouts.max(1))
            }
            FailureClass::Unreachable => {
                let since = *self.unreachable_since.get_or_insert_with(Instant::now);
                let over = since.elapsed() >= o.unreachable_budget;
                tracing::warn!(
                    comfy_prompt_id = id,
                    error = %error,
                    unreachable_for_s = since.elapsed().as_secs_f64(),
                    budget_s = o.unreachable_budget.as_secs_f64(),
                    "server unreachable while following a prompt"
                );
                (u32::from(over), 1)
            }
        };
        if spent >= budget {
            tracing::warn!(comfy_prompt_id = id, error = %error, ?class, "giving up on following the prompt");
            self.finish(id, failed(&error));
            return;
        }
        let wait = entry.back_off(&self.options);
        if class != FailureClass::Unreachable {
            tracing::warn!(
                comfy_prompt_id = id,
                error = %error,
                ?class,
                spent,
                budget,
                retry_in_ms = wait.as_millis() as u64,
                "check of a prompt failed; retrying"
            );
        }
    }

    pub(super) fn finish(&mut self, prompt_id: &str, outcome: Outcome) {
        if let Some(entry) = self.entries.remove(prompt_id) {
            tracing::info!(
                comfy_prompt_id = prompt_id,
                outcome = outcome.label(),
                "prompt finished"
            );
            entry.finish(outcome);
        }
        if self.socket_prompt.as_deref() == Some(prompt_id) {
            self.socket_prompt = None;
        }
    }
}

fn origin_of(client_id: Option<&str>, ours: &str) -> Origin {
    if client_id == Some(ours) {
        Origin::Ours
    } else {
        Origin::Foreign
    }
}
