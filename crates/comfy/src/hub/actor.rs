//! The hub's task: the socket (connect, backoff, liveness) and its commands. Routing socket
//! events is in `route.rs`, the HTTP checks of each prompt in `checks.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use animatrix_common::Explain;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

use super::entry::{Entry, Origin, Phase};
use super::poll::Finding;
use super::{Command, ConnectionState, HubOptions};
use crate::client::ComfyClient;
use crate::error::ComfyError;
use crate::ws::{EventSocket, SocketEvent};

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
    pub(super) client: ComfyClient,
    pub(super) client_id: String,
    pub(super) options: HubOptions,
    pub(super) entries: HashMap<String, Entry>,
    pub(super) state: watch::Sender<ConnectionState>,
    pub(super) broadcast: broadcast::Sender<SocketEvent>,
    /// The prompt executing on our socket, for legacy previews without metadata.
    pub(super) socket_prompt: Option<String>,
    pub(super) socket_up: bool,
    pub(super) check_in_flight: bool,
    /// Since when every check failed to reach the server (cleared by any answer or socket).
    pub(super) unreachable_since: Option<Instant>,
    /// `queue_remaining` of the last `status` on this socket.
    pub(super) last_remaining: Option<u64>,
    /// After a drop of `queue_remaining` to this value: the deadline for the `status` of the
    /// server taking the next prompt (same value); without it, a pending prompt was deleted.
    pub(super) take_watch: Option<(u64, Instant)>,
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
}
