//! `EventHub`: one WebSocket per endpoint, fanned out per prompt.
//!
//! The job engine calls [`EventHub::submit`] (or [`EventHub::track`] for a prompt submitted
//! earlier, e.g. after a restart) and reads [`TrackedEvent`]s from the returned [`Tracked`]
//! until the final [`TrackedEvent::Finished`]. The hub guarantees that final event, within a
//! bounded time whatever the server does:
//!
//! * while the socket is up, events and terminal events come from it (success is confirmed with
//!   the small `/history/{id}` entry, which carries the outputs); the queue position is read
//!   once from `/queue` and then follows the socket's `status` broadcasts; `/queue` (which
//!   carries every queued prompt's graph) is not polled;
//! * the socket reconnects with exponential backoff, reset only once a connection stayed up
//!   ([`HubOptions::socket_healthy_after`]); while it is down the hub checks every tracked
//!   prompt each [`HubOptions::poll_interval`], so an outcome missed during the gap is found;
//! * prompts posted under another client id (an earlier run of the app) are checked every
//!   [`HubOptions::foreign_poll_interval`];
//! * a pending prompt deleted from the queue sends no event: [`EventHub::cancel`] checks at
//!   once; a deletion by someone else shows in the `status` broadcasts as a drop of
//!   `queue_remaining` that the server taking the next prompt does not follow (a finished
//!   prompt always is, while prompts wait), and one /queue read then tells whose it was;
//! * a prompt in neither the queue nor the history on consecutive checks (the server restarted
//!   and lost it, or someone deleted it) ends as [`Outcome::Vanished`];
//! * checks that fail end the prompt as [`Outcome::Failed`] with the cause: at once for refused
//!   credentials or a history entry over the size cap; after [`HubOptions::max_bad_answers`]
//!   unusable answers or [`HubOptions::max_poll_timeouts`] timeouts in a row; after the server
//!   was unreachable for [`HubOptions::unreachable_budget`]. Failed checks back off
//!   exponentially, and each one spent is logged at warn.

mod actor;
mod checks;
mod entry;
mod options;
mod outcome;
mod poll;
mod route;

use std::sync::Arc;
use std::time::Duration;

use animatrix_common::UserError;
use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::client::{Cancellation, ComfyClient};
use crate::error::ComfyError;
use crate::model::{NodeOutputs, ProgressStateData, PromptAccepted};
use crate::ws::SocketEvent;
use entry::Subscriber;
pub use options::HubOptions;
pub use outcome::Outcome;

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
    /// Only ever decreases.
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
    /// Check this prompt (queue included) now.
    CheckNow {
        prompt_id: String,
    },
    Shutdown,
}

struct Shared {
    client: ComfyClient,
    client_id: String,
    options: HubOptions,
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    broadcast: broadcast::Sender<SocketEvent>,
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
            options: options.clone(),
            commands,
            state,
            broadcast: broadcast.clone(),
        });
        let actor = actor::Actor::new(client, client_id, options, state_tx, broadcast);
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
        let (events_tx, events_rx) = mpsc::channel(self.shared.options.event_buffer.max(1));
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
    /// request leaves so no event can be missed. When the answer was lost
    /// ([`ComfyError::PromptAnswerLost`]: timeout, cut connection, an answer that is not JSON
    /// or names another id) the server may have queued it: call [`EventHub::reconcile`].
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
        let command = match &result {
            Ok(_) => Command::Submitted {
                prompt_id: prompt_id.to_owned(),
            },
            Err(_) => Command::SubmitFailed {
                prompt_id: prompt_id.to_owned(),
            },
        };
        let _ = self.shared.commands.send(command);
        result.map(|accepted| (accepted, tracked))
    }

    /// Find out whether a prompt whose POST /prompt answer was lost is on the server: `/queue`
    /// first, then `/history/{id}`; if in neither, once more after
    /// [`HubOptions::reconcile_grace`] (the POST may still be on its way). `Some` follows it
    /// (like [`EventHub::track`]); `None` means the server never queued it and it can be
    /// submitted again. Transient failures are retried three times with backoff; an `Err` means
    /// the server could not tell (try again later, e.g. at `recover`).
    pub async fn reconcile(&self, prompt_id: &str) -> Result<Option<Tracked>, ComfyError> {
        for round in 0..2 {
            if round > 0 {
                tokio::time::sleep(self.shared.options.reconcile_grace).await;
            }
            if self.look_up(prompt_id).await? {
                tracing::info!(
                    comfy_prompt_id = prompt_id,
                    "lost prompt found on the server"
                );
                return Ok(Some(self.track(prompt_id)));
            }
        }
        tracing::info!(
            comfy_prompt_id = prompt_id,
            "lost prompt is not on the server"
        );
        Ok(None)
    }

    /// Is the prompt in the queue or the history? Transient failures retried with backoff.
    async fn look_up(&self, prompt_id: &str) -> Result<bool, ComfyError> {
        const ATTEMPTS: u32 = 3;
        let client = &self.shared.client;
        let mut wait = self
            .shared
            .options
            .backoff_min
            .max(Duration::from_millis(100));
        let mut attempt = 1;
        loop {
            let found = match client.queue_summary().await {
                Ok(queue) if queue.get(prompt_id).is_some() => Ok(true),
                Ok(_) => client.history(prompt_id).await.map(|h| h.is_some()),
                Err(e) => Err(e),
            };
            match found {
                Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                    tracing::warn!(comfy_prompt_id = prompt_id, attempt, error = %e, "reconcile: server did not answer; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Cancel one prompt without touching anyone else's ([`ComfyClient::cancel`]: dequeued if
    /// pending, a targeted interrupt if running) and check it at once, so its tracker ends
    /// promptly: `Vanished` once dequeued, `Interrupted` once stopped. The socket says nothing
    /// when a pending prompt is deleted, so cancelling through the hub is what lets it know.
    pub async fn cancel(&self, prompt_id: &str) -> Result<Cancellation, ComfyError> {
        let result = self.shared.client.cancel(prompt_id).await;
        let _ = self.shared.commands.send(Command::CheckNow {
            prompt_id: prompt_id.to_owned(),
        });
        result
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
