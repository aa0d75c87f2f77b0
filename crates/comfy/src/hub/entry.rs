//! One tracked prompt inside the hub: its subscribers, what is known about it, when it is
//! checked next, and the failure budgets that guarantee it ends.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{HubOptions, Outcome, TrackedEvent};
use crate::error::ComfyError;

pub(super) struct Subscriber {
    pub events: mpsc::Sender<TrackedEvent>,
    pub outcome: oneshot::Sender<Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// POST /prompt in flight: route events, but absence proves nothing yet.
    Submitting,
    Active,
}

/// Whose socket the prompt's events go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// Not known until the first /queue read (a prompt given to `track`).
    Unknown,
    /// Posted under this hub's client id: its events come on our socket.
    Ours,
    /// Posted under another client id (an earlier run of the app): only polling sees it.
    Foreign,
}

/// Queue position, derived from one /queue read and then from the socket's `status`
/// broadcasts (`queue_remaining` = running + pending), so the queue with everyone's graphs is
/// not fetched again. Only ever goes down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub ahead: usize,
    behind: u64,
    remaining: u64,
}

impl Position {
    pub fn new(ahead: usize, total: usize) -> Self {
        Position {
            ahead,
            behind: (total as u64).saturating_sub(ahead as u64 + 1),
            remaining: total as u64,
        }
    }

    /// A `status` broadcast. Prompts leave the queue in order, so a shrinking queue first
    /// shrinks what is ahead; new prompts go behind (a `front` one would be missed, and is
    /// caught by the next /queue read if the socket drops). Returns the new `ahead` when it
    /// went down.
    pub fn on_remaining(&mut self, remaining: u64) -> Option<usize> {
        let before = self.ahead;
        if remaining > self.remaining {
            self.behind += remaining - self.remaining;
        } else {
            let left = self.remaining - remaining;
            let from_ahead = left.min(self.ahead as u64);
            self.ahead -= from_ahead as usize;
            self.behind = self.behind.saturating_sub(left - from_ahead);
        }
        self.remaining = remaining;
        // We are still queued, so at most everyone else is ahead.
        self.ahead = self.ahead.min(remaining.saturating_sub(1) as usize);
        (self.ahead < before).then_some(self.ahead)
    }

    /// A fresh /queue read; returns the new `ahead` when it went down.
    pub fn on_queue(&mut self, ahead: usize, total: usize) -> Option<usize> {
        let before = self.ahead;
        let fresh = Position::new(ahead.min(before), total);
        *self = fresh;
        (self.ahead < before).then_some(self.ahead)
    }
}

/// Consecutive failures of the checks of one prompt.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Failures {
    pub bad_answers: u32,
    pub timeouts: u32,
    pub consecutive: u32,
}

/// How a failed check counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FailureClass {
    /// Will not get better by asking again: credentials refused, an entry over the size cap.
    Terminal,
    /// An answer we cannot use (malformed, wrong types, invalid UTF-8, unexpected status).
    BadAnswer,
    /// No answer in time.
    Timeout,
    /// Cannot reach the server (refused, DNS, reset, 5xx from a proxy).
    Unreachable,
}

pub(super) fn classify(error: &ComfyError, from_queue: bool) -> FailureClass {
    match error {
        ComfyError::Unauthorized { .. } | ComfyError::Forbidden { .. } => FailureClass::Terminal,
        // A history entry over the cap will be over it next time too; the queue is everyone's
        // and may shrink.
        ComfyError::BodyTooLarge { .. } if !from_queue => FailureClass::Terminal,
        ComfyError::Timeout { .. } => FailureClass::Timeout,
        e if e.is_transient() => FailureClass::Unreachable,
        _ => FailureClass::BadAnswer,
    }
}

pub(super) struct Entry {
    pub phase: Phase,
    pub origin: Origin,
    pub subscribers: Vec<Subscriber>,
    pub started: bool,
    pub position: Option<Position>,
    pub absent_polls: u32,
    /// The socket said it ended: history reads so far while waiting for the entry.
    pub settling: Option<u32>,
    /// The next check must read /queue too (first look, after a reconnect, to confirm absence).
    pub needs_queue: bool,
    pub next_check: Instant,
    pub last_checked: Option<Instant>,
    pub in_flight: bool,
    pub failures: Failures,
}

impl Entry {
    pub fn new(phase: Phase, origin: Origin) -> Self {
        Entry {
            phase,
            origin,
            subscribers: Vec::new(),
            started: false,
            position: None,
            absent_polls: 0,
            settling: None,
            needs_queue: true,
            next_check: Instant::now(),
            last_checked: None,
            in_flight: false,
            failures: Failures::default(),
        }
    }

    pub fn emit(&mut self, event: TrackedEvent) {
        self.subscribers.retain(|s| !s.events.is_closed());
        for s in &self.subscribers {
            if let Err(mpsc::error::TrySendError::Full(_)) = s.events.try_send(event.clone()) {
                tracing::warn!("tracked prompt consumer is slow; dropped a progress event");
            }
        }
    }

    pub fn start(&mut self) {
        if !self.started {
            self.started = true;
            self.emit(TrackedEvent::Started);
        }
    }

    pub fn finish(self, outcome: Outcome) {
        for s in self.subscribers {
            let _ = s.outcome.send(outcome.clone());
        }
    }

    /// Every receiver dropped (an entry always gets its first subscriber when created).
    pub fn abandoned(&self) -> bool {
        self.subscribers.iter().all(|s| s.events.is_closed())
    }

    /// Due for a check, soon, without checking more often than `poll_interval` (a socket that
    /// flaps must not turn into a polling loop).
    pub fn check_soon(&mut self, options: &HubOptions) {
        let earliest = self
            .last_checked
            .map_or_else(Instant::now, |t| t + options.poll_interval);
        self.next_check = self.next_check.min(earliest.max(Instant::now()));
    }

    /// When to check again after a successful check.
    pub fn reschedule(&mut self, options: &HubOptions, socket_up: bool) {
        let now = Instant::now();
        let wait = if self.settling.is_some() || (self.needs_queue && self.absent_polls > 0) {
            options.settle_poll_interval
        } else if !socket_up {
            options.poll_interval
        } else if self.origin == Origin::Ours {
            options.history_check_interval
        } else {
            options.foreign_poll_interval
        };
        self.next_check = now + wait;
    }

    /// After a failed check: exponential backoff from `poll_interval`.
    pub fn back_off(&mut self, options: &HubOptions) -> Duration {
        let n = self.failures.consecutive.min(16);
        let wait = options
            .poll_interval
            .saturating_mul(1 << n.saturating_sub(1))
            .min(options.poll_backoff_max.max(options.poll_interval));
        self.next_check = Instant::now() + wait;
        wait
    }
}

/// The terminal outcome for a prompt whose checks gave up.
pub(super) fn failed(error: &Arc<ComfyError>) -> Outcome {
    Outcome::Failed(error.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_queue_down_and_never_up() {
        // Running r, pending a, b, us, c: 5 in the queue, 3 ahead, 1 behind.
        let mut p = Position::new(3, 5);
        assert_eq!(p.on_remaining(5), None, "a take keeps the count");
        assert_eq!(p.on_remaining(4), Some(2), "r finished");
        assert_eq!(p.on_remaining(6), None, "two more queued behind");
        assert_eq!(p.ahead, 2);
        assert_eq!(
            p.on_remaining(4),
            Some(0),
            "two left: taken from ahead first"
        );
        assert_eq!(p.on_remaining(1), None);
        assert_eq!(p.ahead, 0);
        // A fresh queue read that says more are ahead does not raise it.
        let mut p = Position::new(1, 3);
        assert_eq!(p.on_queue(4, 6), None);
        assert_eq!(p.ahead, 1);
        assert_eq!(p.on_queue(0, 2), Some(0));
    }

    #[test]
    fn failures_are_classed_by_what_asking_again_can_change() {
        let host = || "h".to_owned();
        let path = || "/history/x".to_owned();
        let cases = [
            (
                ComfyError::Unauthorized {
                    host: host(),
                    path: path(),
                },
                false,
                FailureClass::Terminal,
            ),
            (
                ComfyError::Forbidden {
                    host: host(),
                    path: path(),
                },
                false,
                FailureClass::Terminal,
            ),
            (
                ComfyError::BodyTooLarge {
                    path: path(),
                    limit: 1,
                },
                false,
                FailureClass::Terminal,
            ),
            (
                ComfyError::BodyTooLarge {
                    path: path(),
                    limit: 1,
                },
                true,
                FailureClass::BadAnswer,
            ),
            (
                ComfyError::MalformedBody {
                    path: path(),
                    error: String::new(),
                    excerpt: String::new(),
                },
                false,
                FailureClass::BadAnswer,
            ),
            (
                ComfyError::Timeout {
                    host: host(),
                    what: path(),
                    after: Duration::from_secs(1),
                },
                false,
                FailureClass::Timeout,
            ),
            (
                ComfyError::Unreachable {
                    host: host(),
                    detail: String::new(),
                },
                false,
                FailureClass::Unreachable,
            ),
            (
                ComfyError::ServerError {
                    status: 502,
                    path: path(),
                    body: String::new(),
                },
                false,
                FailureClass::Unreachable,
            ),
        ];
        for (error, from_queue, class) in cases {
            assert_eq!(classify(&error, from_queue), class, "{error}");
        }
    }
}
