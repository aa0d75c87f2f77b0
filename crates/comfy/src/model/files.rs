//! Output file references as the server reports them (history `outputs`, websocket
//! `executed.output`, `/view` and `/upload/image` vocabulary). Shared by the history, event and
//! upload models, so none of them depends on another for it.

use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Where a file lives on the server (`/view` and `/upload/image` vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Input,
    Output,
    Temp,
}

impl FileType {
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Input => "input",
            FileType::Output => "output",
            FileType::Temp => "temp",
        }
    }
}

/// A file reference as the server reports it. Untrusted: see [`crate::sanitize`] before
/// turning it into a local path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileRef {
    pub filename: String,
    #[serde(default)]
    pub subfolder: String,
    #[serde(rename = "type")]
    pub file_type: FileType,
}

/// A VideoHelperSuite `gifs` entry: a [`FileRef`] plus video facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoFileRef {
    #[serde(flatten)]
    pub file: FileRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The server's absolute path; informative only, never used locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fullpath: Option<String>,
}

/// The UI dict of one output node (history `outputs[node]`, websocket `executed.output`).
///
/// Known keys are typed; a known key whose value does not have the expected shape (custom
/// nodes put anything there) stays in `other` instead of failing the whole history entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeOutputs {
    /// SaveImage/PreviewImage/SaveVideo (videos too, with `animated`).
    pub images: Option<Vec<FileRef>>,
    pub audio: Option<Vec<FileRef>>,
    /// VHS_VideoCombine.
    pub gifs: Option<Vec<VideoFileRef>>,
    pub animated: Option<Vec<bool>>,
    pub other: Map<String, Value>,
}

/// One file of a history entry, flattened for the job engine.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    pub node_id: String,
    /// `images`, `audio` or `gifs`.
    pub key: &'static str,
    pub file: FileRef,
    pub animated: bool,
    /// MIME-like format from VHS (`video/h264-mp4`), when given.
    pub format: Option<String>,
}

impl NodeOutputs {
    pub fn files(&self, node_id: &str) -> Vec<OutputFile> {
        let animated = self.animated.as_ref().is_some_and(|a| a.iter().any(|x| *x));
        let mut out = Vec::new();
        for f in self.images.iter().flatten() {
            out.push(OutputFile {
                node_id: node_id.to_owned(),
                key: "images",
                file: f.clone(),
                animated,
                format: None,
            });
        }
        for f in self.audio.iter().flatten() {
            out.push(OutputFile {
                node_id: node_id.to_owned(),
                key: "audio",
                file: f.clone(),
                animated: false,
                format: None,
            });
        }
        for f in self.gifs.iter().flatten() {
            out.push(OutputFile {
                node_id: node_id.to_owned(),
                key: "gifs",
                file: f.file.clone(),
                animated: true,
                format: f.format.clone(),
            });
        }
        out
    }
}

/// A known list key, decoded element by element (only one element is held as a JSON tree at a
/// time, so a node with a huge output list costs about its typed size); when an element, or the
/// value itself, has another shape, the whole value is kept as JSON.
enum ListOr<T> {
    Typed(Vec<T>),
    Untyped(Value),
}

struct ListSeed<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned + Serialize> DeserializeSeed<'de> for ListSeed<T> {
    type Value = ListOr<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ListOr<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned + Serialize> Visitor<'de> for ListSeed<T> {
    type Value = ListOr<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ListOr<T>, A::Error> {
        let mut typed: Vec<T> = Vec::new();
        while let Some(element) = seq.next_element::<Value>()? {
            match T::deserialize(&element) {
                Ok(t) => typed.push(t),
                Err(e) => {
                    tracing::debug!(error = %e, "output list kept untyped");
                    let mut raw: Vec<Value> = typed
                        .iter()
                        .map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
                        .collect();
                    raw.push(element);
                    while let Some(rest) = seq.next_element::<Value>()? {
                        raw.push(rest);
                    }
                    return Ok(ListOr::Untyped(Value::Array(raw)));
                }
            }
        }
        // Most lists hold one file: do not keep the spare capacity of growth for each.
        typed.shrink_to_fit();
        Ok(ListOr::Typed(typed))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ListOr<T>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(ListOr::Untyped)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ListOr<T>, E> {
        Ok(ListOr::Untyped(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ListOr<T>, E> {
        Ok(ListOr::Untyped(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ListOr<T>, E> {
        Ok(ListOr::Untyped(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ListOr<T>, E> {
        Ok(ListOr::Untyped(Value::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ListOr<T>, E> {
        Ok(ListOr::Untyped(Value::String(v.to_owned())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<ListOr<T>, E> {
        Ok(ListOr::Untyped(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<ListOr<T>, E> {
        Ok(ListOr::Untyped(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ListOr<T>, D::Error> {
        d.deserialize_any(self)
    }
}

/// Decoded key by key, known lists element by element: never a full intermediate JSON copy.
impl<'de> Deserialize<'de> for NodeOutputs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OutputsVisitor;
        impl<'de> Visitor<'de> for OutputsVisitor {
            type Value = NodeOutputs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("node outputs must be an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeOutputs, A::Error> {
                fn list<'de, T: DeserializeOwned + Serialize, A: MapAccess<'de>>(
                    map: &mut A,
                    key: String,
                    other: &mut Map<String, Value>,
                ) -> Result<Option<Vec<T>>, A::Error> {
                    Ok(match map.next_value_seed(ListSeed::<T>(PhantomData))? {
                        ListOr::Typed(v) => Some(v),
                        ListOr::Untyped(v) => {
                            other.insert(key, v);
                            None
                        }
                    })
                }
                let mut out = NodeOutputs::default();
                while let Some(key) = map.next_key::<String>()? {
                    let other = &mut out.other;
                    match key.as_str() {
                        "images" => out.images = list(&mut map, key, other)?,
                        "audio" => out.audio = list(&mut map, key, other)?,
                        "gifs" => out.gifs = list(&mut map, key, other)?,
                        "animated" => out.animated = list(&mut map, key, other)?,
                        _ => {
                            let value: Value = map.next_value()?;
                            other.insert(key, value);
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(OutputsVisitor)
    }
}

impl Serialize for NodeOutputs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut map = self.other.clone();
        let mut put = |k: &str, v: Result<Value, serde_json::Error>| -> Result<(), S::Error> {
            map.insert(k.to_owned(), v.map_err(S::Error::custom)?);
            Ok(())
        };
        if let Some(v) = &self.images {
            put("images", serde_json::to_value(v))?;
        }
        if let Some(v) = &self.audio {
            put("audio", serde_json::to_value(v))?;
        }
        if let Some(v) = &self.gifs {
            put("gifs", serde_json::to_value(v))?;
        }
        if let Some(v) = &self.animated {
            put("animated", serde_json::to_value(v))?;
        }
        map.serialize(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_of_another_shape_stay_untyped_whole() {
        let text = r#"{"images": [{"filename": "a.png", "subfolder": "", "type": "output"}, 5],
            "gifs": "x", "animated": [true], "text": ["hi"],
            "audio": [{"filename": "b.flac", "subfolder": "s", "type": "output"}]}"#;
        let from_text: NodeOutputs = serde_json::from_str(text).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        let from_value: NodeOutputs = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(from_text, from_value);
        assert_eq!(from_text.images, None);
        assert_eq!(
            from_text.other["images"], value["images"],
            "kept whole, as sent"
        );
        assert_eq!(from_text.other["gifs"], "x");
        assert_eq!(from_text.other["text"], value["text"]);
        assert_eq!(from_text.animated, Some(vec![true]));
        assert_eq!(from_text.audio.as_ref().unwrap()[0].subfolder, "s");
        assert_eq!(
            serde_json::to_value(&from_text).unwrap(),
            value,
            "round trip"
        );
        assert!(serde_json::from_str::<NodeOutputs>("[1]").is_err());
    }
}
