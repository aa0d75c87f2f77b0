//! `EventHub`: one WebSocket per endpoint, fanned out per prompt.
//!
//! The job engine calls [`EventHub::submit`] (or [`EventHub::track`] for a prompt submitted
//! earlier, e.g. after a restart) and reads [`TrackedEvent`]s from the returned [`Tracked`]
//! until the final [`TrackedEvent::Finished`]. The hub guarantees that final event:
//!
//! * while the socket is up, terminal events come from it (success is confirmed with the
//!   history entry, which carries the outputs);
//! * the socket reconnects with exponential backoff; while it is down, and right after every
//!   reconnect, the hub polls /queue then /history for every tracked prompt, so an outcome
//!   missed during the gap is still found;
//! * a prompt found in neither the queue nor the history on consecutive polls (the server
//!   restarted and lost it, or someone deleted it) ends as [`Outcome::Vanished`].
//!
//! Queue order matters for that last rule: ComfyUI moves a finished prompt from the queue to
//! the history under one lock, so reading /queue first and /history second can never see a
//! live prompt in neither.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use animatrix_common::{Explain, UserError};
use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::client::ComfyClient;
use crate::error::ComfyError;
use crate::model::{
    BinaryMessage, ExecutionErrorData, ExecutionInterruptedData, HistoryEntry, NodeOutputs,
    ProgressStateData, PromptAccepted, Queue, ServerMessage,
};
use crate::ws::{EventSocket, SocketEvent};

/// Timings of the hub. Defaults suit a desktop client on one server.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// The socket's `clientId`; a fresh `animatrix-<uuid>` when `None`.
    pub client_id: Option<String>,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Poll period while the socket is down.
    pub poll_interval: Duration,
    /// Poll period while the socket is up (insurance against a proxy losing messages).
    pub safety_poll_interval: Duration,
    /// Poll period while waiting for a just-finished prompt to show up in the history.
    pub settle_poll_interval: Duration,
    pub ping_interval: Duration,
    /// No frame (pong included) for this long means the connection is dead.
    pub liveness_timeout: Duration,
    /// Consecutive polls that must miss a prompt before it counts as vanished.
    pub vanish_confirmations: u32,
    /// Events buffered per tracked prompt; beyond it progress events are dropped (the final
    /// outcome never is).
    pub event_buffer: usize,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            client_id: None,
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(10),
            poll_interval: Duration::from_secs(2),
            safety_poll_interval: Duration::from_secs(30),
            settle_poll_interval: Duration::from_millis(200),
            ping_interval: Duration::from_secs(20),
            liveness_timeout: Duration::from_secs(60),
            vanish_confirmations: 2,
            event_buffer: 1024,
        }
    }
}

/// How a prompt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Finished; the history entry lists the outputs to download.
    Success(Box<HistoryEntry>),
    /// A node raised (execution_error).
    Error(Box<ExecutionErrorData>),
    /// Stopped by /interrupt.
    Interrupted(Box<ExecutionInterruptedData>),
    /// In neither queue nor history: the server restarted, or the prompt was deleted while
    /// pending. The engine reports `lost_on_server` (unless it deleted it itself).
    Vanished,
}

impl Outcome {
    /// Success's history entry, or the matching [`ComfyError`].
    pub fn into_result(self, prompt_id: &str) -> Result<HistoryEntry, ComfyError> {
        match self {
            Outcome::Success(entry) => Ok(*entry),
            Outcome::Error(e) => Err(ComfyError::ExecutionFailed(e)),
            Outcome::Interrupted(i) => Err(ComfyError::Interrupted(i)),
            Outcome::Vanished => Err(ComfyError::Vanished {
                prompt_id: prompt_id.to_owned(),
            }),
        }
    }
}

/// A live preview image.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The node that produced it (absent for legacy previews).
    pub node_id: Option<String>,
    pub mime: String,
    pub image: Bytes,
}

/// What happens to one tracked prompt, in order. `Finished` is always last.
#[derive(Debug, Clone, PartialEq)]
pub enum TrackedEvent {
    /// Waiting in the server queue; `ahead` prompts run first (the running one included).
    Queued {
        ahead: usize,
    },
    /// Execution began.
    Started,
    /// Nodes reused from the server's cache.
    Cached {
        nodes: Vec<String>,
    },
    NodeStarted {
        node: String,
        display_node: Option<String>,
    },
    Progress {
        node: Option<String>,
        value: f64,
        max: f64,
    },
    /// The full per-node progress map.
    ProgressState(ProgressStateData),
    Preview(Preview),
    NodeOutput {
        node: String,
        output: NodeOutputs,
    },
    Finished(Outcome),
}

/// The socket's state, for the UI ("reconnecting…").
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionState {
    Connecting,
    Connected,
    Disconnected {
        error: Option<UserError>,
        retry_in: Duration,
    },
    Stopped,
}

/// The receiving end for one prompt.
#[derive(Debug)]
pub struct Tracked {
    prompt_id: String,
    events: mpsc::Receiver<TrackedEvent>,
    outcome: oneshot::Receiver<Outcome>,
    finished: bool,
}

impl Tracked {
    pub fn prompt_id(&self) -> &str {
        &self.prompt_id
    }

    /// The next event; `Finished` comes last, then `None`. `None` without `Finished` means the
    /// hub stopped (track the prompt again on a new hub to learn its fate).
    pub async fn next(&mut self) -> Option<TrackedEvent> {
        if self.finished {
            return None;
        }
        // Events are queued before the outcome is sent: `biased` drains them first.
        tokio::select! {
            biased;
            Some(event) = self.events.recv() => Some(event),
            outcome = &mut self.outcome => {
                self.finished = true;
                outcome.ok().map(TrackedEvent::Finished)
            }
        }
    }

    /// Skip to the outcome.
    pub async fn outcome(mut self) -> Result<Outcome, ComfyError> {
        while let Some(event) = self.next().await {
            if let TrackedEvent::Finished(outcome) = event {
                return Ok(outcome);
            }
        }
        Err(ComfyError::HubClosed)
    }
}

enum Command {
    Track {
        prompt_id: String,
        submitting: bool,
        subscriber: Subscriber,
    },
    Submitted {
        prompt_id: String,
    },
    SubmitFailed {
        prompt_id: String,
    },
    Shutdown,
}

struct Subscriber {
    events: mpsc::Sender<TrackedEvent>,
    outcome: oneshot::Sender<Outcome>,
}

struct Shared {
    client: ComfyClient,
    client_id: String,
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    broadcast: broadcast::Sender<SocketEvent>,
    event_buffer: usize,
}

/// One per endpoint. Cheap to clone; the background task stops on [`EventHub::shutdown`]
/// or when the last clone is dropped.
#[derive(Clone)]
pub struct EventHub {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("host", &self.shared.client.host())
            .field("client_id", &self.shared.client_id)
            .finish()
    }
}

impl EventHub {
    /// Start the hub's task on the current tokio runtime.
    pub fn start(client: ComfyClient, options: HubOptions) -> EventHub {
        let client_id = options
            .client_id
            .clone()
            .unwrap_or_else(|| format!("animatrix-{}", uuid::Uuid::new_v4().simple()));
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(ConnectionState::Connecting);
        let (broadcast, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            client: client.clone(),
            client_id: client_id.clone(),
            commands,
            state,
            broadcast: broadcast.clone(),
            event_buffer: options.event_buffer.max(1),
        });
        let actor = Actor {
            client,
            client_id,
            options,
            entries: HashMap::new(),
            state: state_tx,
            broadcast,
            socket_prompt: None,
            poll_in_flight: false,
            poll_again: false,
        };
        tokio::spawn(actor.run(command_rx));
        EventHub { shared }
    }

    pub fn client_id(&self) -> &str {
        &self.shared.client_id
    }

    pub fn client(&self) -> &ComfyClient {
        &self.shared.client
    }

    /// Socket state changes.
    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.shared.state.clone()
    }

    /// Every decoded socket event, for operator views (lossy when the reader lags).
    pub fn subscribe(&self) -> broadcast::Receiver<SocketEvent> {
        self.shared.broadcast.subscribe()
    }

    fn new_subscriber(&self, prompt_id: &str) -> (Subscriber, Tracked) {
        let (events_tx, events_rx) = mpsc::channel(self.shared.event_buffer);
        let (outcome_tx, outcome_rx) = oneshot::channel();
        (
            Subscriber {
                events: events_tx,
                outcome: outcome_tx,
            },
            Tracked {
                prompt_id: prompt_id.to_owned(),
                events: events_rx,
                outcome: outcome_rx,
                finished: false,
            },
        )
    }

    /// Follow a prompt that is already on the server (submitted earlier, or by a previous run
    /// of the app). Its state is reconciled at once: still queued or running → events follow;
    /// already in the history → `Finished` right away; gone → `Vanished`.
    pub fn track(&self, prompt_id: &str) -> Tracked {
        let (subscriber, tracked) = self.new_subscriber(prompt_id);
        let _ = self.shared.commands.send(Command::Track {
            prompt_id: prompt_id.to_owned(),
            submitting: false,
            subscriber,
        });
        tracked
    }

    /// Submit a graph under our `prompt_id` and this hub's `client_id`, tracking it before the
    /// request leaves so no event can be missed. On a timeout or network error the server may
    /// still have queued it: [`EventHub::track`] the same id to find out.
    pub async fn submit(
        &self,
        graph: &Value,
        prompt_id: &str,
        extra_data: Option<&Map<String, Value>>,
    ) -> Result<(PromptAccepted, Tracked), ComfyError> {
        let (subscriber, tracked) = self.new_subscriber(prompt_id);
        self.shared
            .commands
            .send(Command::Track {
                prompt_id: prompt_id.to_owned(),
                submitting: true,
                subscriber,
            })
            .map_err(|_| ComfyError::HubClosed)?;
        let result = self
            .shared
            .client
            .submit_prompt(graph, prompt_id, &self.shared.client_id, extra_data)
            .await;
        match result {
            Ok(accepted) if accepted.prompt_id == prompt_id => {
                let _ = self.shared.commands.send(Command::Submitted {
                    prompt_id: prompt_id.to_owned(),
                });
                Ok((accepted, tracked))
            }
            Ok(accepted) => {
                // A server that ignores client-chosen ids: follow the id it gave.
                tracing::warn!(ours = prompt_id, theirs = %accepted.prompt_id, "server chose its own prompt id");
                let _ = self.shared.commands.send(Command::SubmitFailed {
                    prompt_id: prompt_id.to_owned(),
                });
                let tracked = self.track(&accepted.prompt_id);
                Ok((accepted, tracked))
            }
            Err(e) => {
                let _ = self.shared.commands.send(Command::SubmitFailed {
                    prompt_id: prompt_id.to_owned(),
                });
                Err(e)
            }
        }
    }

    /// Stop the socket and the polling. Tracked prompts end without an outcome.
    pub fn shutdown(&self) {
        let _ = self.shared.commands.send(Command::Shutdown);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// POST /prompt in flight: route events, but absence proves nothing yet.
    Submitting,
    Active,
}

struct Entry {
    phase: Phase,
    subscribers: Vec<Subscriber>,
    started: bool,
    last_ahead: Option<usize>,
    absent_polls: u32,
    /// The socket said it ended (success or `executing: null`): fetch the history now.
    settling: bool,
}

impl Entry {
    fn new(phase: Phase) -> Self {
        Entry {
            phase,
            subscribers: Vec::new(),
            started: false,
            last_ahead: None,
            absent_polls: 0,
            settling: false,
        }
    }

    fn emit(&mut self, event: TrackedEvent) {
        self.subscribers.retain(|s| !s.events.is_closed());
        for s in &self.subscribers {
            if let Err(mpsc::error::TrySendError::Full(_)) = s.events.try_send(event.clone()) {
                tracing::warn!("tracked prompt consumer is slow; dropped a progress event");
            }
        }
    }

    fn finish(self, outcome: Outcome) {
        for s in self.subscribers {
            let _ = s.outcome.send(outcome.clone());
        }
    }

    /// Every receiver dropped (an entry always gets its first subscriber when created).
    fn abandoned(&self) -> bool {
        self.subscribers.iter().all(|s| s.events.is_closed())
    }
}

/// What one poll learned about one prompt.
#[derive(Debug)]
enum Finding {
    Running,
    Pending { ahead: usize },
    Finished(Box<HistoryEntry>),
    Absent,
}

struct PollReport {
    findings: Vec<(String, Finding)>,
    error: Option<ComfyError>,
}

type ConnectFuture = Pin<Box<dyn Future<Output = Result<EventSocket, ComfyError>> + Send>>;

struct Actor {
    client: ComfyClient,
    client_id: String,
    options: HubOptions,
    entries: HashMap<String, Entry>,
    state: watch::Sender<ConnectionState>,
    broadcast: broadcast::Sender<SocketEvent>,
    /// The prompt executing on our socket, for legacy previews without metadata.
    socket_prompt: Option<String>,
    poll_in_flight: bool,
    poll_again: bool,
}

/// `history` after `queue`, see the module comment.
async fn poll(client: ComfyClient, ids: Vec<String>) -> PollReport {
    let queue: Queue = match client.queue().await {
        Ok(q) => q,
        Err(error) => {
            return PollReport {
                findings: Vec::new(),
                error: Some(error),
            };
        }
    };
    let mut findings = Vec::with_capacity(ids.len());
    let mut error = None;
    for id in ids {
        if queue.is_running(&id) {
            findings.push((id, Finding::Running));
        } else if let Some(ahead) = queue.ahead_of(&id) {
            findings.push((id, Finding::Pending { ahead }));
        } else {
            match client.history(&id).await {
                Ok(Some(entry)) => findings.push((id, Finding::Finished(Box::new(entry)))),
                Ok(None) => findings.push((id, Finding::Absent)),
                Err(e) => error = Some(e),
            }
        }
    }
    PollReport { findings, error }
}

fn outcome_from_history(entry: HistoryEntry) -> Outcome {
    let Some(status) = &entry.status else {
        return Outcome::Success(Box::new(entry));
    };
    match status.terminal_message() {
        Some(ServerMessage::ExecutionError(e)) => Outcome::Error(e.clone()),
        Some(ServerMessage::ExecutionInterrupted(i)) => Outcome::Interrupted(Box::new(i.clone())),
        _ if status.is_success() => Outcome::Success(Box::new(entry)),
        _ => Outcome::Error(Box::new(ExecutionErrorData {
            prompt_id: entry.prompt_id().to_owned(),
            node_id: String::new(),
            node_type: String::new(),
            executed: Vec::new(),
            exception_message: format!(
                "the server recorded status {:?} without an error event",
                status.status_str
            ),
            exception_type: "UnknownServerError".into(),
            traceback: Vec::new(),
            current_inputs: Default::default(),
            current_outputs: Value::Null,
            timestamp: None,
        })),
    }
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

impl Actor {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let (poll_tx, mut poll_rx) = mpsc::unbounded_channel::<PollReport>();
        let mut socket: Option<EventSocket> = None;
        let mut connect: Option<ConnectFuture> = Some(self.connect_future());
        let mut retry_at: Option<Instant> = None;
        let mut backoff = self.options.backoff_min;
        let mut next_poll = Instant::now() + self.options.poll_interval;
        let mut next_ping = Instant::now() + self.options.ping_interval;

        loop {
            let poll_due = if self.poll_in_flight {
                None
            } else {
                Some(next_poll)
            };
            let ping_due = socket.as_ref().map(|_| next_ping);
            tokio::select! {
                command = commands.recv() => {
                    match command {
                        None | Some(Command::Shutdown) => break,
                        Some(command) => {
                            if self.command(command) {
                                next_poll = Instant::now();
                            }
                        }
                    }
                }
                result = connecting(&mut connect) => {
                    connect = None;
                    match result {
                        Ok(s) => {
                            tracing::info!(host = %self.client.host(), "event socket connected");
                            socket = Some(s);
                            backoff = self.options.backoff_min;
                            next_ping = Instant::now() + self.options.ping_interval;
                            self.state.send_replace(ConnectionState::Connected);
                            // Whatever happened while we were away: reconcile now.
                            next_poll = Instant::now();
                        }
                        Err(e) => {
                            tracing::debug!(host = %self.client.host(), error = %e, "event socket connect failed");
                            retry_at = Some(Instant::now() + backoff);
                            self.state.send_replace(ConnectionState::Disconnected {
                                error: Some(e.explain()),
                                retry_in: backoff,
                            });
                            backoff = (backoff * 2).min(self.options.backoff_max);
                        }
                    }
                }
                _ = sleep_until_opt(retry_at) => {
                    retry_at = None;
                    self.state.send_replace(ConnectionState::Connecting);
                    connect = Some(self.connect_future());
                }
                event = next_socket_event(&mut socket) => {
                    match event {
                        Some(Ok(event)) => {
                            if self.socket_event(event) {
                                next_poll = Instant::now();
                            }
                        }
                        Some(Err(ComfyError::MalformedBody { error, .. })) => {
                            tracing::warn!(error, "undecodable websocket text frame");
                        }
                        end => {
                            let error = match end {
                                Some(Err(e)) => Some(e.explain()),
                                _ => None,
                            };
                            tracing::info!(host = %self.client.host(), ?error, "event socket closed");
                            socket = None;
                            self.socket_prompt = None;
                            retry_at = Some(Instant::now() + self.options.backoff_min);
                            self.state.send_replace(ConnectionState::Disconnected {
                                error,
                                retry_in: self.options.backoff_min,
                            });
                            next_poll = Instant::now();
                        }
                    }
                }
                _ = sleep_until_opt(ping_due) => {
                    let idle = socket.as_ref().map(EventSocket::idle_for).unwrap_or_default();
                    if idle > self.options.liveness_timeout {
                        tracing::warn!(host = %self.client.host(), "event socket silent; reconnecting");
                        if let Some(s) = socket.take() {
                            drop(s);
                        }
                        self.socket_prompt = None;
                        retry_at = Some(Instant::now());
                        next_poll = Instant::now();
                    } else if let Some(s) = socket.as_mut()
                        && s.ping().await.is_err()
                    {
                        socket = None;
                        retry_at = Some(Instant::now() + self.options.backoff_min);
                        next_poll = Instant::now();
                    }
                    next_ping = Instant::now() + self.options.ping_interval;
                }
                _ = sleep_until_opt(poll_due) => {
                    self.start_poll(&poll_tx);
                    next_poll = Instant::now() + self.poll_period(socket.is_some());
                }
                Some(report) = poll_rx.recv() => {
                    self.poll_in_flight = false;
                    self.apply(report);
                    if self.poll_again || self.entries.values().any(|e| e.settling) {
                        self.poll_again = false;
                        next_poll = next_poll.min(Instant::now() + self.options.settle_poll_interval);
                    }
                }
            }
        }
        if let Some(s) = socket {
            s.close().await;
        }
        self.state.send_replace(ConnectionState::Stopped);
    }

    fn connect_future(&self) -> ConnectFuture {
        let client = self.client.clone();
        let client_id = self.client_id.clone();
        Box::pin(async move { client.connect_events(&client_id).await })
    }

    fn poll_period(&self, connected: bool) -> Duration {
        if self.entries.values().any(|e| e.settling) {
            self.options.settle_poll_interval
        } else if connected {
            self.options.safety_poll_interval
        } else {
            self.options.poll_interval
        }
    }

    /// Returns true when a poll should run now.
    fn command(&mut self, command: Command) -> bool {
        match command {
            Command::Track {
                prompt_id,
                submitting,
                subscriber,
            } => {
                let phase = if submitting {
                    Phase::Submitting
                } else {
                    Phase::Active
                };
                let entry = self
                    .entries
                    .entry(prompt_id)
                    .or_insert_with(|| Entry::new(phase));
                if phase == Phase::Active {
                    entry.phase = Phase::Active;
                }
                entry.subscribers.push(subscriber);
                phase == Phase::Active
            }
            Command::Submitted { prompt_id } => {
                if let Some(entry) = self.entries.get_mut(&prompt_id) {
                    entry.phase = Phase::Active;
                }
                true
            }
            Command::SubmitFailed { prompt_id } => {
                if let Some(entry) = self.entries.get_mut(&prompt_id)
                    && entry.phase == Phase::Submitting
                {
                    self.entries.remove(&prompt_id);
                }
                false
            }
            Command::Shutdown => false,
        }
    }

    fn start_poll(&mut self, tx: &mpsc::UnboundedSender<PollReport>) {
        self.entries.retain(|_, e| !e.abandoned());
        let ids: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| e.phase == Phase::Active)
            .map(|(id, _)| id.clone())
            .collect();
        if ids.is_empty() {
            return;
        }
        self.poll_in_flight = true;
        let client = self.client.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(poll(client, ids).await);
        });
    }

    fn apply(&mut self, report: PollReport) {
        if let Some(e) = &report.error {
            tracing::debug!(host = %self.client.host(), error = %e, "poll failed");
        }
        for (id, finding) in report.findings {
            let Some(entry) = self.entries.get_mut(&id) else {
                continue;
            };
            if entry.phase != Phase::Active {
                continue;
            }
            match finding {
                Finding::Running => {
                    entry.absent_polls = 0;
                    entry.last_ahead = None;
                    if !entry.started {
                        entry.started = true;
                        entry.emit(TrackedEvent::Started);
                    }
                }
                Finding::Pending { ahead } => {
                    entry.absent_polls = 0;
                    if entry.last_ahead != Some(ahead) && !entry.started {
                        entry.last_ahead = Some(ahead);
                        entry.emit(TrackedEvent::Queued { ahead });
                    }
                }
                Finding::Finished(history) => {
                    self.finish(&id, outcome_from_history(*history));
                }
                Finding::Absent => {
                    entry.absent_polls += 1;
                    if entry.absent_polls >= self.options.vanish_confirmations.max(1) {
                        tracing::warn!(comfy_prompt_id = %id, "prompt vanished from the server");
                        self.finish(&id, Outcome::Vanished);
                    } else {
                        self.poll_again = true;
                    }
                }
            }
        }
    }

    fn finish(&mut self, prompt_id: &str, outcome: Outcome) {
        if let Some(entry) = self.entries.remove(prompt_id) {
            tracing::info!(
                comfy_prompt_id = prompt_id,
                outcome = outcome_label(&outcome),
                "prompt finished"
            );
            entry.finish(outcome);
        }
        if self.socket_prompt.as_deref() == Some(prompt_id) {
            self.socket_prompt = None;
        }
    }

    /// Route one socket event; returns true when a poll should run now.
    fn socket_event(&mut self, event: SocketEvent) -> bool {
        let _ = self.broadcast.send(event.clone());
        match event {
            SocketEvent::Message(message) => self.message(message),
            SocketEvent::Binary(binary) => {
                self.binary(binary);
                false
            }
        }
    }

    fn message(&mut self, message: ServerMessage) -> bool {
        if let ServerMessage::FeatureFlags(features) = &message {
            self.client.remember_features(features.clone());
            return false;
        }
        if let ServerMessage::Status(_) = &message {
            // The queue moved: refresh positions of prompts still waiting.
            return self
                .entries
                .values()
                .any(|e| e.phase == Phase::Active && !e.started);
        }
        let Some(prompt_id) = message.prompt_id().map(str::to_owned) else {
            return false;
        };
        let Some(entry) = self.entries.get_mut(&prompt_id) else {
            return false;
        };
        match message {
            ServerMessage::ExecutionStart(_) => {
                self.socket_prompt = Some(prompt_id);
                if !entry.started {
                    entry.started = true;
                    entry.emit(TrackedEvent::Started);
                }
                false
            }
            ServerMessage::ExecutionCached(d) => {
                entry.emit(TrackedEvent::Cached { nodes: d.nodes });
                false
            }
            ServerMessage::Executing(d) => match d.node {
                Some(node) => {
                    if !entry.started {
                        entry.started = true;
                        entry.emit(TrackedEvent::Started);
                    }
                    entry.emit(TrackedEvent::NodeStarted {
                        node,
                        display_node: d.display_node,
                    });
                    self.socket_prompt = Some(prompt_id);
                    false
                }
                None => {
                    entry.settling = true;
                    true
                }
            },
            ServerMessage::Progress(d) => {
                entry.emit(TrackedEvent::Progress {
                    value: d.value.as_f64().unwrap_or(0.0),
                    max: d.max.as_f64().unwrap_or(0.0),
                    node: d.node,
                });
                false
            }
            ServerMessage::ProgressState(d) => {
                entry.emit(TrackedEvent::ProgressState(d));
                false
            }
            ServerMessage::Executed(d) => {
                let d = *d;
                entry.emit(TrackedEvent::NodeOutput {
                    node: d.node,
                    output: d.output,
                });
                false
            }
            ServerMessage::ExecutionSuccess(_) => {
                entry.settling = true;
                true
            }
            ServerMessage::ExecutionError(d) => {
                self.finish(&prompt_id, Outcome::Error(d));
                false
            }
            ServerMessage::ExecutionInterrupted(d) => {
                self.finish(&prompt_id, Outcome::Interrupted(Box::new(d)));
                false
            }
            ServerMessage::Unknown { kind, .. } => {
                // A terminal event in a shape we do not know: let the history decide.
                if kind.starts_with("execution_") {
                    entry.settling = true;
                    true
                } else {
                    false
                }
            }
            ServerMessage::Status(_) | ServerMessage::FeatureFlags(_) => false,
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

fn outcome_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Success(_) => "success",
        Outcome::Error(_) => "error",
        Outcome::Interrupted(_) => "interrupted",
        Outcome::Vanished => "vanished",
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
