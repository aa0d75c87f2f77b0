//! A typed-enough view of `GET /object_info` (PROTOCOL.md §1): what each node class takes and
//! returns, with both combo encodings (legacy option list, schema-v3 `["COMBO", {options}]`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::WorkflowError;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectInfo {
    classes: BTreeMap<String, NodeSchema>,
    skipped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeSchema {
    pub name: String,
    pub display_name: String,
    /// `nodes`, `comfy_extras.*`, `custom_nodes.<pack dir>`.
    pub python_module: String,
    pub output_node: bool,
    /// Output types by index (`IMAGE`, `LATENT`, ...; a list-typed output reads as `COMBO`).
    pub outputs: Vec<String>,
    pub required: BTreeMap<String, InputSpec>,
    pub optional: BTreeMap<String, InputSpec>,
    /// Entry marked `"_fake_overlay": true` (test data, not from a real server).
    pub fake_overlay: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputSpec {
    Int {
        min: Option<f64>,
        max: Option<f64>,
    },
    Float {
        min: Option<f64>,
        max: Option<f64>,
    },
    String,
    Boolean,
    Combo {
        options: Vec<Value>,
        /// Legacy list encoding; the server checks these values at submit time.
        legacy: bool,
        /// An upload widget (`image_upload`, `audio_upload`, `video_upload`): the node checks
        /// the file itself, the option list is just what the input folder held.
        upload: bool,
    },
    /// A socket fed by a link (`IMAGE`, `MODEL`, `IMAGE,MASK`, `*`, ...).
    Link {
        type_name: String,
    },
}

impl InputSpec {
    /// The type a link into this input must carry.
    pub fn link_type(&self) -> &str {
        match self {
            Self::Int { .. } => "INT",
            Self::Float { .. } => "FLOAT",
            Self::String => "STRING",
            Self::Boolean => "BOOLEAN",
            Self::Combo { .. } => "COMBO",
            Self::Link { type_name } => type_name,
        }
    }

    fn parse(v: &Value) -> Option<Self> {
        let arr = v.as_array()?;
        let head = arr.first()?;
        let opts = arr.get(1).and_then(Value::as_object);
        let num = |k: &str| opts.and_then(|o| o.get(k)).and_then(Value::as_f64);
        let flag = |k: &str| opts.and_then(|o| o.get(k)).and_then(Value::as_bool) == Some(true);
        let upload = flag("image_upload") || flag("video_upload") || flag("audio_upload");
        Some(match head {
            Value::Array(options) => Self::Combo {
                options: options.clone(),
                legacy: true,
                upload,
            },
            Value::String(t) => match t.as_str() {
                "INT" => Self::Int {
                    min: num("min"),
                    max: num("max"),
                },
                "FLOAT" => Self::Float {
                    min: num("min"),
                    max: num("max"),
                },
                "STRING" => Self::String,
                "BOOLEAN" => Self::Boolean,
                "COMBO" => Self::Combo {
                    options: opts
                        .and_then(|o| o.get("options"))
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    legacy: false,
                    upload,
                },
                other => Self::Link {
                    type_name: other.to_owned(),
                },
            },
            _ => return None,
        })
    }
}

impl NodeSchema {
    pub fn input(&self, name: &str) -> Option<&InputSpec> {
        self.required.get(name).or_else(|| self.optional.get(name))
    }

    fn parse(name: &str, v: &Value) -> Option<Self> {
        let o = v.as_object()?;
        let input = o.get("input").and_then(Value::as_object);
        let section = |key: &str| -> Option<BTreeMap<String, InputSpec>> {
            let mut out = BTreeMap::new();
            if let Some(sec) = input.and_then(|i| i.get(key)).and_then(Value::as_object) {
                for (k, spec) in sec {
                    out.insert(k.clone(), InputSpec::parse(spec)?);
                }
            }
            Some(out)
        };
        let outputs = o
            .get("output")
            .and_then(Value::as_array)
            .map(|outs| {
                outs.iter()
                    .map(|t| match t {
                        Value::String(s) => s.clone(),
                        _ => "COMBO".to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let text = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some(Self {
            name: name.to_owned(),
            display_name: text("display_name"),
            python_module: text("python_module"),
            output_node: o
                .get("output_node")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            outputs,
            required: section("required")?,
            optional: section("optional")?,
            fake_overlay: o.get("_fake_overlay").and_then(Value::as_bool) == Some(true),
        })
    }
}

impl ObjectInfo {
    /// Parses the body of `GET /object_info`. Classes whose entry cannot be understood are
    /// left out and listed in [`ObjectInfo::skipped`] (a validation against them then reports
    /// an unknown class, which is the safe outcome).
    pub fn from_value(v: &Value) -> Result<Self, WorkflowError> {
        let map = v
            .as_object()
            .ok_or_else(|| WorkflowError::ObjectInfoInvalid {
                reason: "object_info is not a JSON object".into(),
            })?;
        Ok(Self::from_map(map))
    }

    pub fn from_json(text: &str) -> Result<Self, WorkflowError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| WorkflowError::ObjectInfoInvalid {
                reason: e.to_string(),
            })?;
        Self::from_value(&v)
    }

    fn from_map(map: &Map<String, Value>) -> Self {
        let mut out = Self::default();
        for (name, entry) in map {
            match NodeSchema::parse(name, entry) {
                Some(s) => {
                    out.classes.insert(name.clone(), s);
                }
                None => out.skipped.push(name.clone()),
            }
        }
        out
    }

    /// Adds (or replaces) classes from another object_info body, e.g. the test overlay.
    pub fn merge(&mut self, other: ObjectInfo) {
        self.classes.extend(other.classes);
        self.skipped.extend(other.skipped);
    }

    pub fn class(&self, name: &str) -> Option<&NodeSchema> {
        self.classes.get(name)
    }

    /// Every node class the server has.
    pub fn class_names(&self) -> impl Iterator<Item = &str> {
        self.classes.keys().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.classes.contains_key(name)
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_combo_encodings_parse() {
        let info = ObjectInfo::from_value(&json!({
            "A": {"input": {"required": {
                "legacy": [["x", "y"], {}],
                "v3": ["COMBO", {"multiselect": false, "options": ["p", "q"]}],
                "img": [["a.png"], {"image_upload": true}],
                "n": ["INT", {"min": 1, "max": 4}],
                "m": ["MODEL"]
            }, "hidden": {"prompt": "PROMPT"}}, "output": ["IMAGE", ["a", "b"]], "output_node": true}
        }))
        .unwrap();
        let a = info.class("A").unwrap();
        assert!(a.output_node);
        assert_eq!(a.outputs, vec!["IMAGE", "COMBO"]);
        assert!(
            matches!(a.input("legacy"), Some(InputSpec::Combo { legacy: true, upload: false, options }) if options.len() == 2)
        );
        assert!(
            matches!(a.input("v3"), Some(InputSpec::Combo { legacy: false, options, .. }) if options == &vec![json!("p"), json!("q")])
        );
        assert!(matches!(
            a.input("img"),
            Some(InputSpec::Combo { upload: true, .. })
        ));
        assert_eq!(
            a.input("n"),
            Some(&InputSpec::Int {
                min: Some(1.0),
                max: Some(4.0)
            })
        );
        assert_eq!(a.input("m").map(InputSpec::link_type), Some("MODEL"));
    }
}
