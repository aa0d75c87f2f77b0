//! The hub's task: the socket (connect, backoff, liveness), routing its events to tracked
//! prompts, and scheduling the HTTP checks of each prompt.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use animatrix_common::Explain;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

use super::entry::{Entry, FailureClass, Origin, Phase, Position, classify, failed};
use super::poll::{self, CheckRequest, Finding};
use super::{Command, ConnectionState, HubOptions, Outcome, Preview, TrackedEvent};
use crate::client::ComfyClient;
use crate::error::ComfyError;
use crate::model::{BinaryMessage, ServerMessage};
use crate::ws::{EventSocket, SocketEvent};

/// History reads after the socket said "finished" before falling back to a queue check.
const SETTLE_READS: u32 = 10;

type ConnectFuture = Pin<Box<dyn Future<Output = Result<EventSocket, ComfyError>> + Send>>;

/// The socket and its reconnect state.
struct Link {
    socket: Option<EventSocket>,
    connected_at: Option<Instant>,
    connect: Option<ConnectFuture>,
    retry_at: Option<Instant>,
    backoff: Duration,
    next_ping: Instant,
}

pub(super) struct Actor {
    client: ComfyClient,
    client_id: String,
    options: HubOptions,
    entries: HashMap<String, Entry>,
    state: watch::Sender<ConnectionState>,
    broadcast: broadcast::Sender<SocketEvent>,
    /// The prompt executing on our socket, for legacy previews without metadata.
    socket_prompt: Option<String>,
    socket_up: bool,
    check_in_flight: bool,
    /// Since when every check failed to reach the server (cleared by any answer or socket).
    unreachable_since: Option<Instant>,
    /// `queue_remaining` of the last `status` on this socket.
    last_remaining: Option<u64>,
    /// After a drop of `queue_remaining` to this value: the deadline for the `status` of the
    /// server taking the next prompt (same value); without it, a pending prompt was deleted.
    take_watch: Option<(u64, Instant)>,
}

async fn next_socket_event(
    socket: &mut Option<EventSocket>,
) -> Option<Result<SocketEvent, ComfyError>> {
    match socket {
        Some(s) => s.next_event().await,
        None => std::future::pending().await,
    }
}

async fn connecting(fut: &mut Option<ConnectFuture>) -> Result<EventSocket, ComfyError> {
    match fut {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Actor {
    pub(super) fn new(
        client: ComfyClient,
        client_id: String,
        options: HubOptions,
        state: watch::Sender<ConnectionState>,
        broadcast: broadcast::Sender<SocketEvent>,
    ) -> Actor {
        Actor {
            client,
            client_id,
            options,
            entries: HashMap::new(),
            state,
            broadcast,
            socket_prompt: None,
            socket_up: false,
            check_in_flight: false,
            unreachable_since: None,
            last_remaining: None,
            take_watch: None,
        }
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let (check_tx, mut check_rx) = mpsc::unbounded_channel::<Vec<(String, Finding)>>();
        let mut link = Link {
            socket: None,
            connected_at: None,
            connect: Some(self.connect_future()),
            retry_at: None,
            backoff: self.options.backoff_min,
            next_ping: Instant::now() + self.options.ping_interval,
        };
        loop {
            let check_due = if self.check_in_flight {
                None
            } else {
                self.next_due()
            };
            let ping_due = link.socket.as_ref().map(|_| link.next_ping);
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => self.command(command),
                },
                result = connecting(&mut link.connect) => {
                    link.connect = None;
                    self.connected(&mut link, result);
                }
                _ = sleep_until_opt(link.retry_at) => {
                    link.retry_at = None;
                    self.state.send_replace(ConnectionState::Connecting);
                    link.connect = Some(self.connect_future());
                }
                event = next_socket_event(&mut link.socket) => match event {
                    Some(Ok(event)) => self.socket_event(event),
                    Some(Err(ComfyError::MalformedBody { error, .. })) => {
                        tracing::warn!(error, "undecodable websocket text frame");
                    }
                    end => {
                        let error = match end {
                            Some(Err(e)) => Some(e.explain()),
                            _ => None,
                        };
                        tracing::info!(host = %self.client.host(), ?error, "event socket closed");
                        self.lost(&mut link, error);
                    }
                },
                _ = sleep_until_opt(ping_due) => self.ping(&mut link).await,
                _ = sleep_until_opt(check_due) => self.start_checks(&check_tx),
                _ = sleep_until_opt(self.take_watch.map(|(_, at)| at)) => {
                    self.take_watch = None;
                    self.suspect_deletion();
                }
                Some(findings) = check_rx.recv() => {
                    self.check_in_flight = false;
                    self.apply(findings);
                }
            }
        }
        if let Some(s) = link.socket {
            s.close().await;
        }
        self.state.send_replace(ConnectionState::Stopped);
    }

    fn connect_future(&self) -> ConnectFuture {
        let client = self.client.clone();
        let client_id = self.client_id.clone();
        Box::pin(async move { client.connect_events(&client_id).await })
    }

    fn connected(&mut self, link: &mut Link, result: Result<EventSocket, ComfyError>) {
        match result {
            Ok(s) => {
                tracing::info!(host = %self.client.host(), "event socket connected");
                link.socket = Some(s);
                link.connected_at = Some(Instant::now());
                link.next_ping = Instant::now() + self.options.ping_interval;
                self.state.send_replace(ConnectionState::Connected);
                self.socket_changed(true);
            }
            Err(e) => {
                tracing::debug!(host = %self.client.host(), error = %e, "event socket connect failed");
                self.retry_later(link, Some(e.explain()));
            }
        }
    }

    /// The socket ended (closed, failed, or silent past the liveness timeout).
    fn lost(&mut self, link: &mut Link, error: Option<animatrix_common::UserError>) {
        link.socket = None;
        self.socket_prompt = None;
        // Only a connection that stayed up resets the backoff: a proxy that completes the
        // handshake and cuts at once would otherwise get a reconnect loop.
        let healthy = link
            .connected_at
            .take()
            .is_some_and(|t| t.elapsed() >= self.options.socket_healthy_after);
        if healthy {
            link.backoff = self.options.backoff_min;
        }
        self.retry_later(link, error);
        self.socket_changed(false);
    }

    fn retry_later(&mut self, link: &mut Link, error: Option<animatrix_common::UserError>) {
        link.retry_at = Some(Instant::now() + link.backoff);
        self.state.send_replace(ConnectionState::Disconnected {
            error,
            retry_in: link.backoff,
        });
        link.backoff = (link.backoff * 2).min(self.options.backoff_max);
    }

    async fn ping(&mut self, link: &mut Link) {
        let idle = link
            .socket
            .as_ref()
            .map(EventSocket::idle_for)
            .unwrap_or_default();
        if idle > self.options.liveness_timeout {
            tracing::warn!(host = %self.client.host(), "event socket silent; reconnecting");
            self.lost(link, None);
        } else if let Some(s) = link.socket.as_mut()
            && s.ping().await.is_err()
        {
            self.lost(link, None);
        }
        link.next_ping = Instant::now() + self.options.ping_interval;
    }

    fn socket_changed(&mut self, up: bool) {
        self.socket_up = up;
        self.last_remaining = None;
        self.take_watch = None;
        if up {
            self.unreachable_since = None;
        }
        for entry in self.entries.values_mut() {
            // Whatever happened during the gap (a restart loses prompts): look at the queue too.
            entry.needs_queue = true;
            entry.check_soon(&self.options);
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter(|e| e.phase == Phase::Active && !e.in_flight)
            .map(|e| e.next_check)
            .min()
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Track {
                prompt_id,
                submitting,
                subscriber,
            } => {
                let (phase, origin) = if submitting {
                    (Phase::Submitting, Origin::Ours)
                } else {
                    (Phase::Active, Origin::Unknown)
                };
                let entry = self
                    .entries
                    .entry(prompt_id)
                    .or_insert_with(|| Entry::new(phase, origin));
                if phase == Phase::Active {
                    entry.phase = Phase::Active;
                    entry.needs_queue = true;
                    entry.next_check = Instant::now();
                }
                entry.subscribers.push(subscriber);
            }
            Command::Submitted { prompt_id } => {
                if let Some(entry) = self.entries.get_mut(&prompt_id) {
                    entry.phase = Phase::Active;
                    entry.needs_queue = true;
                    entry.next_check = Instant::now();
                }
            }
            Command::SubmitFailed { prompt_id } => {
                if self
                    .entries
                    .get(&prompt_id)
                    .is_some_and(|e| e.phase == Phase::Submitting)
                {
                    self.entries.remove(&prompt_id);
                }
            }
            Command::CheckNow { prompt_id } => {
                if let Some(entry) = self.entries.get_mut(&prompt_id) {
                    entry.needs_queue = true;
                    entry.next_check = Instant::now();
                }
            }
            Command::Shutdown => {}
        }
    }

    fn start_checks(&mut self, tx: &mpsc::UnboundedSender<Vec<(String, Finding)>>) {
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

    fn apply(&mut self, findings: Vec<(String, Finding)>) {
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

    fn finish(&mut self, prompt_id: &str, outcome: Outcome) {
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

    /// Route one socket event.
    fn socket_event(&mut self, event: SocketEvent) {
        let _ = self.broadcast.send(event.clone());
        match event {
            SocketEvent::Message(message) => self.message(message),
            SocketEvent::Binary(binary) => self.binary(binary),
        }
    }

    fn message(&mut self, message: ServerMessage) {
        match &message {
            ServerMessage::FeatureFlags(features) => {
                self.client.remember_features(features.clone());
                return;
            }
            ServerMessage::Status(status) => {
                self.queue_status(status.status.exec_info.queue_remaining);
                return;
            }
            _ => {}
        }
        let Some(prompt_id) = message.prompt_id().map(str::to_owned) else {
            return;
        };
        let Some(entry) = self.entries.get_mut(&prompt_id) else {
            return;
        };
        // Its events reach our socket.
        entry.origin = Origin::Ours;
        let settle = |entry: &mut Entry| {
            entry.settling.get_or_insert(0);
            entry.next_check = Instant::now();
        };
        match message {
            ServerMessage::ExecutionStart(_) => {
                self.socket_prompt = Some(prompt_id);
                entry.needs_queue = false;
                entry.start();
            }
            ServerMessage::ExecutionCached(d) => {
                entry.emit(TrackedEvent::Cached { nodes: d.nodes })
            }
            ServerMessage::Executing(d) => match d.node {
                Some(node) => {
                    entry.needs_queue = false;
                    entry.start();
                    entry.emit(TrackedEvent::NodeStarted {
                        node,
                        display_node: d.display_node,
                    });
                    self.socket_prompt = Some(prompt_id);
                }
                None => settle(entry),
            },
            ServerMessage::Progress(d) => entry.emit(TrackedEvent::Progress {
                value: d.value.as_f64().unwrap_or(0.0),
                max: d.max.as_f64().unwrap_or(0.0),
                node: d.node,
            }),
            ServerMessage::ProgressState(d) => entry.emit(TrackedEvent::ProgressState(d)),
            ServerMessage::Executed(d) => {
                let d = *d;
                entry.emit(TrackedEvent::NodeOutput {
                    node: d.node,
                    output: d.output,
                });
            }
            ServerMessage::ExecutionSuccess(_) => settle(entry),
            ServerMessage::ExecutionError(d) => self.finish(&prompt_id, Outcome::Error(d)),
            ServerMessage::ExecutionInterrupted(d) => {
                self.finish(&prompt_id, Outcome::Interrupted(Box::new(d)));
            }
            // A terminal event in a shape we do not know: let the history decide.
            ServerMessage::Unknown { kind, .. } if kind.starts_with("execution_") => settle(entry),
            ServerMessage::Unknown { .. }
            | ServerMessage::Status(_)
            | ServerMessage::FeatureFlags(_) => {}
        }
    }

    /// A `status` broadcast: queue positions follow it, and a drop that the server taking the
    /// next prompt does not follow within `queue_take_grace` means a deletion.
    fn queue_status(&mut self, remaining: u64) {
        let dropped = self.last_remaining.is_some_and(|r| remaining < r);
        self.last_remaining = Some(remaining);
        match self.take_watch.take() {
            // The server took the next prompt: the drop was a prompt finishing.
            Some((after_drop, _)) if after_drop == remaining && !dropped => {}
            Some(_) => self.suspect_deletion(),
            None => {}
        }
        if dropped {
            self.take_watch = Some((remaining, Instant::now() + self.options.queue_take_grace));
        }
        for entry in self.entries.values_mut() {
            if entry.started || entry.phase != Phase::Active {
                continue;
            }
            if let Some(ahead) = entry
                .position
                .as_mut()
                .and_then(|p| p.on_remaining(remaining))
            {
                entry.emit(TrackedEvent::Queued { ahead });
            }
        }
    }

    /// A pending prompt left the queue without running: check ours that wait (one /queue
    /// read for all of them; prompts posted elsewhere are polled anyway).
    fn suspect_deletion(&mut self) {
        for entry in self.entries.values_mut() {
            if !entry.started && entry.phase == Phase::Active && entry.origin != Origin::Foreign {
                entry.needs_queue = true;
                entry.check_soon(&self.options);
            }
        }
    }

    fn binary(&mut self, binary: BinaryMessage) {
        let (prompt_id, preview) = match binary {
            BinaryMessage::PreviewImageWithMetadata { metadata, image } => (
                Some(metadata.prompt_id),
                Preview {
                    node_id: Some(metadata.node_id),
                    mime: metadata.image_type,
                    image,
                },
            ),
            BinaryMessage::PreviewImage { format, image } => (
                self.socket_prompt.clone(),
                Preview {
                    node_id: None,
                    mime: format.mime().to_owned(),
                    image,
                },
            ),
            BinaryMessage::Unknown { event_type, .. } => {
                tracing::debug!(event_type, "unknown binary frame");
                return;
            }
        };
        if let Some(entry) = prompt_id.and_then(|id| self.entries.get_mut(&id)) {
            entry.emit(TrackedEvent::Preview(preview));
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
