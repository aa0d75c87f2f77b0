//! [`HubOptions`]: the hub's timings and failure budgets.

use std::time::Duration;

/// Timings and budgets of the hub. Defaults suit a desktop client on one server; the job
/// engine needs no overrides.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// The socket's `clientId`; a fresh `animatrix-<uuid>` when `None`.
    pub client_id: Option<String>,
    /// Socket reconnect backoff, doubling from min to max.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// A connection that stayed up this long resets the reconnect backoff (a proxy that
    /// accepts the upgrade and cuts it at once must not get a reconnect loop).
    pub socket_healthy_after: Duration,
    /// While the socket is down: how often each tracked prompt is checked.
    pub poll_interval: Duration,
    /// Prompts posted under another client id (their events never reach our socket): how
    /// often they are checked, socket up or not.
    pub foreign_poll_interval: Duration,
    /// While the socket is up: how often each of our prompts' small `/history/{id}` entry is
    /// read anyway, in case a proxy lost the terminal message. Never `/queue`.
    pub history_check_interval: Duration,
    /// While waiting for a just-finished prompt to show up in the history.
    pub settle_poll_interval: Duration,
    /// After `queue_remaining` drops, how long to wait for the `status` of the server taking
    /// the next prompt. A finished prompt is always followed by one while prompts wait; a drop
    /// without it means a pending prompt was deleted (maybe ours): one /queue read tells.
    pub queue_take_grace: Duration,
    pub ping_interval: Duration,
    /// No frame (pong included) for this long means the connection is dead.
    pub liveness_timeout: Duration,
    /// Consecutive checks that must miss a prompt before it counts as vanished.
    pub vanish_confirmations: u32,
    /// Consecutive unusable answers (malformed JSON, wrong types, invalid UTF-8, unexpected
    /// status) before a prompt ends as [`Outcome::Failed`].
    pub max_bad_answers: u32,
    /// Consecutive check timeouts before a prompt ends as [`Outcome::Failed`].
    pub max_poll_timeouts: u32,
    /// Longest wait between checks while they fail (they back off from `poll_interval`).
    pub poll_backoff_max: Duration,
    /// The server unreachable (socket down, every check failing to connect) for longer than
    /// this ends every tracked prompt as [`Outcome::Failed`]; the prompts may still finish on
    /// the server: `track` them again later.
    pub unreachable_budget: Duration,
    /// [`EventHub::reconcile`]: pause before the second look when the prompt was not found
    /// (the lost POST may still be on its way).
    pub reconcile_grace: Duration,
    /// Events buffered per tracked prompt; beyond it progress events are dropped (the final
    /// outcome never is).
    pub event_buffer: usize,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            client_id: None,
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            socket_healthy_after: Duration::from_secs(10),
            poll_interval: Duration::from_secs(3),
            foreign_poll_interval: Duration::from_secs(10),
            history_check_interval: Duration::from_secs(60),
            settle_poll_interval: Duration::from_millis(200),
            queue_take_grace: Duration::from_secs(5),
            ping_interval: Duration::from_secs(20),
            liveness_timeout: Duration::from_secs(60),
            vanish_confirmations: 2,
            max_bad_answers: 3,
            max_poll_timeouts: 3,
            poll_backoff_max: Duration::from_secs(30),
            unreachable_budget: Duration::from_secs(10 * 60),
            reconcile_grace: Duration::from_secs(1),
            event_buffer: 1024,
        }
    }
}
