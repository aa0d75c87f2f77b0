//! GET /queue (PROTOCOL §1, §6).

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

use super::graph::ApiGraph;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Queue {
    pub queue_running: Vec<QueueItem>,
    pub queue_pending: Vec<QueueItem>,
}

impl Queue {
    /// Total prompts on the server (running + pending), like `queue_remaining`.
    pub fn len(&self) -> usize {
        self.queue_running.len() + self.queue_pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_running(&self, prompt_id: &str) -> bool {
        self.queue_running.iter().any(|i| i.prompt_id == prompt_id)
    }

    /// How many prompts will run before `prompt_id` (running ones included), or `None` when it
    /// is not pending. The server returns pending items in heap order, so sort by `number`.
    pub fn ahead_of(&self, prompt_id: &str) -> Option<usize> {
        let mut pending: Vec<&QueueItem> = self.queue_pending.iter().collect();
        pending.sort_by(|a, b| a.priority().total_cmp(&b.priority()));
        let index = pending.iter().position(|i| i.prompt_id == prompt_id)?;
        Some(self.queue_running.len() + index)
    }

    pub fn contains(&self, prompt_id: &str) -> bool {
        self.queue_running
            .iter()
            .chain(self.queue_pending.iter())
            .any(|i| i.prompt_id == prompt_id)
    }
}

/// `extra_data` is kept verbatim by the server; `client_id` is merged into it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExtraData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One queue or history item, on the wire `[number, prompt_id, graph, extra_data,
/// outputs_to_execute, …]`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    /// Queue priority (an integer from the server; `front` submissions make it negative).
    pub number: Number,
    pub prompt_id: String,
    pub graph: ApiGraph,
    pub extra_data: ExtraData,
    pub outputs_to_execute: Vec<String>,
    /// Trailing elements a newer server may append; kept, not dropped.
    pub rest: Vec<Value>,
}

impl QueueItem {
    pub fn new(number: i64, prompt_id: impl Into<String>, graph: ApiGraph) -> Self {
        Self {
            number: Number::from(number),
            prompt_id: prompt_id.into(),
            graph,
            extra_data: ExtraData::default(),
            outputs_to_execute: Vec::new(),
            rest: Vec::new(),
        }
    }

    pub fn priority(&self) -> f64 {
        self.number.as_f64().unwrap_or(f64::MAX)
    }

    pub fn client_id(&self) -> Option<&str> {
        self.extra_data.client_id.as_deref()
    }
}

impl Serialize for QueueItem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(5 + self.rest.len()))?;
        seq.serialize_element(&self.number)?;
        seq.serialize_element(&self.prompt_id)?;
        seq.serialize_element(&self.graph)?;
        seq.serialize_element(&self.extra_data)?;
        seq.serialize_element(&self.outputs_to_execute)?;
        for v in &self.rest {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for QueueItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = QueueItem;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("[number, prompt_id, graph, extra_data, outputs_to_execute]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<QueueItem, A::Error> {
                let number: Number = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let prompt_id = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                let graph = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(2, &self))?;
                let extra_data = seq.next_element()?.unwrap_or_default();
                let outputs_to_execute = seq.next_element()?.unwrap_or_default();
                let mut rest = Vec::new();
                while let Some(v) = seq.next_element()? {
                    rest.push(v);
                }
                Ok(QueueItem {
                    number,
                    prompt_id,
                    graph,
                    extra_data,
                    outputs_to_execute,
                    rest,
                })
            }
        }
        d.deserialize_seq(ItemVisitor)
    }
}

/// GET /queue reduced to what following a prompt needs: ids, priorities and client ids. Each
/// item's graph is skipped while parsing, so a queue full of big graphs (everyone's, on a
/// shared server) costs a few bytes per item instead of a copy of every graph.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct QueueSummary {
    #[serde(rename = "queue_running")]
    pub running: Vec<QueuedPrompt>,
    #[serde(rename = "queue_pending")]
    pub pending: Vec<QueuedPrompt>,
}

/// One queue item without its graph.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedPrompt {
    pub number: Number,
    pub prompt_id: String,
    /// The `client_id` it was posted under (its events go to that socket).
    pub client_id: Option<String>,
}

impl QueuedPrompt {
    fn priority(&self) -> f64 {
        self.number.as_f64().unwrap_or(f64::MAX)
    }
}

impl QueueSummary {
    /// Running + pending, like `queue_remaining`.
    pub fn len(&self) -> usize {
        self.running.len() + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_running(&self, prompt_id: &str) -> bool {
        self.running.iter().any(|i| i.prompt_id == prompt_id)
    }

    /// As [`Queue::ahead_of`].
    pub fn ahead_of(&self, prompt_id: &str) -> Option<usize> {
        let mut pending: Vec<&QueuedPrompt> = self.pending.iter().collect();
        pending.sort_by(|a, b| a.priority().total_cmp(&b.priority()));
        let index = pending.iter().position(|i| i.prompt_id == prompt_id)?;
        Some(self.running.len() + index)
    }

    /// The queue entry of `prompt_id`, running or pending.
    pub fn get(&self, prompt_id: &str) -> Option<&QueuedPrompt> {
        self.running
            .iter()
            .chain(self.pending.iter())
            .find(|i| i.prompt_id == prompt_id)
    }
}

impl<'de> Deserialize<'de> for QueuedPrompt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct ClientOnly {
            #[serde(default)]
            client_id: Option<Value>,
        }
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = QueuedPrompt;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("[number, prompt_id, graph, extra_data, …]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<QueuedPrompt, A::Error> {
                let number: Number = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let prompt_id: String = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                seq.next_element::<de::IgnoredAny>()?;
                let extra: Option<ClientOnly> = seq.next_element()?;
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                let client_id = extra
                    .and_then(|e| e.client_id)
                    .and_then(|c| c.as_str().map(str::to_owned));
                Ok(QueuedPrompt {
                    number,
                    prompt_id,
                    client_id,
                })
            }
        }
        d.deserialize_seq(ItemVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_agrees_with_the_full_queue_and_skips_graphs() {
        let text = r#"{"queue_running": [[3, "r", {"1": {"class_type": "X", "inputs": {}}}, {"client_id": "me"}, ["1"]]],
            "queue_pending": [[9, "b", {}, {"client_id": "other", "big": [1,2,3]}, []],
                              [5, "a", {}, {}, [], "extra"]]}"#;
        let full: Queue = serde_json::from_str(text).unwrap();
        let summary: QueueSummary = serde_json::from_str(text).unwrap();
        assert_eq!(summary.len(), full.len());
        for id in ["r", "a", "b", "zz"] {
            assert_eq!(summary.ahead_of(id), full.ahead_of(id), "{id}");
            assert_eq!(summary.is_running(id), full.is_running(id), "{id}");
        }
        assert_eq!(summary.ahead_of("b"), Some(2));
        assert_eq!(summary.get("r").unwrap().client_id.as_deref(), Some("me"));
        assert_eq!(summary.get("a").unwrap().client_id, None);
        assert!(
            serde_json::from_str::<QueueSummary>(r#"{"queue_running": "x", "queue_pending": []}"#)
                .is_err()
        );
    }
}
