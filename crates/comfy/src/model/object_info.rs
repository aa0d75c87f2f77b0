//! GET /object_info node schemas (PROTOCOL §1 "object_info schema shapes"), with both combo
//! encodings: legacy `[[options…], {cfg}]` and schema-v3 `["COMBO", {options: […], …}]`.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// class_type → schema. `/object_info/{class}` for an unknown class returns `{}`.
pub type ObjectInfo = BTreeMap<String, NodeSchema>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSchema {
    pub input: NodeInputs,
    #[serde(default)]
    pub input_order: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub output: Vec<OutputType>,
    #[serde(default)]
    pub output_is_list: Vec<bool>,
    #[serde(default)]
    pub output_name: Vec<String>,
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub python_module: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub output_node: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tooltips: Option<Vec<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experimental: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_node: Option<bool>,
}

impl NodeSchema {
    /// Look an input up in required, then optional, then hidden.
    pub fn input(&self, name: &str) -> Option<&InputSpec> {
        [
            &self.input.required,
            &self.input.optional,
            &self.input.hidden,
        ]
        .into_iter()
        .flatten()
        .find_map(|m| m.get(name))
    }

    pub fn is_required(&self, name: &str) -> bool {
        self.input
            .required
            .as_ref()
            .is_some_and(|m| m.contains_key(name))
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NodeInputs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<BTreeMap<String, InputSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<BTreeMap<String, InputSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<BTreeMap<String, InputSpec>>,
}

/// An output slot type: a type name, or for combo outputs the option list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OutputType {
    Named(String),
    Combo(Vec<Value>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComboEncoding {
    /// `[["a", "b"], {…}]`
    Legacy,
    /// `["COMBO", {"options": ["a", "b"], …}]`
    V3,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    /// A choice list. `options` is `None` for v3 combos filled remotely by the front-end.
    Combo {
        options: Option<Vec<Value>>,
        encoding: ComboEncoding,
    },
    /// `INT`, `FLOAT`, `STRING`, `BOOLEAN`, `IMAGE`, `PROMPT`, …
    Type(String),
}

/// One input declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    pub kind: InputKind,
    /// `{default, min, max, step, tooltip, …}`; for v3 combos without `options`.
    pub config: Option<Map<String, Value>>,
    /// Elements after the config (one node appends a doc string).
    pub extra: Vec<Value>,
    /// Hidden inputs of v1 nodes are a bare string (`"prompt": "PROMPT"`).
    pub bare: bool,
}

impl InputSpec {
    pub fn type_name(&self) -> &str {
        match &self.kind {
            InputKind::Combo { .. } => "COMBO",
            InputKind::Type(t) => t,
        }
    }

    pub fn options(&self) -> Option<&[Value]> {
        match &self.kind {
            InputKind::Combo { options, .. } => options.as_deref(),
            InputKind::Type(_) => None,
        }
    }

    pub fn config_value(&self, key: &str) -> Option<&Value> {
        self.config.as_ref()?.get(key)
    }

    pub fn default_value(&self) -> Option<&Value> {
        self.config_value("default")
    }

    pub fn min(&self) -> Option<f64> {
        self.config_value("min")?.as_f64()
    }

    pub fn max(&self) -> Option<f64> {
        self.config_value("max")?.as_f64()
    }
}

impl<'de> Deserialize<'de> for InputSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let items = match value {
            Value::String(t) => {
                return Ok(InputSpec {
                    kind: InputKind::Type(t),
                    config: None,
                    extra: Vec::new(),
                    bare: true,
                });
            }
            Value::Array(items) => items,
            other => return Err(D::Error::custom(format!("unexpected input spec {other}"))),
        };
        let mut items = items.into_iter();
        let head = items
            .next()
            .ok_or_else(|| D::Error::custom("empty input spec"))?;
        let mut config = match items.next() {
            None => None,
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "input config must be an object, got {other}"
                )));
            }
        };
        let extra: Vec<Value> = items.collect();
        let kind = match head {
            Value::Array(options) => InputKind::Combo {
                options: Some(options),
                encoding: ComboEncoding::Legacy,
            },
            Value::String(t) if t == "COMBO" => {
                let options = match config.as_mut().and_then(|c| c.remove("options")) {
                    Some(Value::Array(o)) => Some(o),
                    Some(other) => {
                        return Err(D::Error::custom(format!(
                            "combo options must be a list, got {other}"
                        )));
                    }
                    None => None,
                };
                InputKind::Combo {
                    options,
                    encoding: ComboEncoding::V3,
                }
            }
            Value::String(t) => InputKind::Type(t),
            other => return Err(D::Error::custom(format!("unexpected input type {other}"))),
        };
        Ok(InputSpec {
            kind,
            config,
            extra,
            bare: false,
        })
    }
}

impl Serialize for InputSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.bare && self.config.is_none() && self.extra.is_empty() {
            return self.type_name().serialize(s);
        }
        let mut items = Vec::with_capacity(2 + self.extra.len());
        let mut config = self.config.clone();
        match &self.kind {
            InputKind::Combo {
                options,
                encoding: ComboEncoding::Legacy,
            } => items.push(Value::Array(options.clone().unwrap_or_default())),
            InputKind::Combo {
                options,
                encoding: ComboEncoding::V3,
            } => {
                items.push(Value::String("COMBO".into()));
                if let Some(options) = options {
                    config
                        .get_or_insert_with(Map::new)
                        .insert("options".into(), Value::Array(options.clone()));
                }
            }
            InputKind::Type(t) => items.push(Value::String(t.clone())),
        }
        if let Some(c) = config {
            items.push(Value::Object(c));
        }
        items.extend(self.extra.iter().cloned());
        items.serialize(s)
    }
}
