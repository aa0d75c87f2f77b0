//! Socket events routed to tracked prompts: progress and outcomes from the prompt's own
//! messages, queue positions (and suspected deletions) from the `status` broadcasts, previews.

use tokio::time::Instant;

use super::actor::Actor;
use super::entry::{Entry, Origin, Phase};
use super::{Outcome, Preview, TrackedEvent};
use crate::model::{BinaryMessage, ServerMessage};
use crate::ws::SocketEvent;

impl Actor {
    /// Route one socket event.
    pub(super) fn socket_event(&mut self, event: SocketEvent) {
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
    pub(super) fn suspect_deletion(&mut self) {
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
