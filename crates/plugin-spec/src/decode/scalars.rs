//! Scalars as Go's YAML decoders put them into a struct field: the text of
//! a `string` field (a number or boolean as written), an `int` (a float
//! truncated), YAML 1.1 booleans; and the [`Decoder`] readers that refuse a
//! value of the wrong type at its position.

use super::Decoder;
use crate::node::{Key, Node, Value};

/// The source text of a scalar as written (a quoted one with its quotes).
pub(crate) fn raw_text(src: &str, node: &Node) -> Option<String> {
    let span = node.defined.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    src.get(start..start.checked_add(len)?).map(str::to_owned)
}

/// A scalar as the text a Go `string` field receives (yaml.v2 and yaml.v3
/// alike): the value as written; `None` for null; `Err` for a list or map.
pub(crate) fn go_string(src: &str, node: &Node) -> Result<Option<String>, &'static str> {
    match &node.value {
        Value::Null => Ok(None),
        Value::Str(s) => Ok(Some(s.clone())),
        Value::Bool(b) => Ok(Some(raw_text(src, node).unwrap_or_else(|| b.to_string()))),
        Value::Int(i) => Ok(Some(raw_text(src, node).unwrap_or_else(|| i.to_string()))),
        Value::Float(x) => Ok(Some(raw_text(src, node).unwrap_or_else(|| x.to_string()))),
        other @ (Value::Seq(_) | Value::Map(_)) => Err(other.kind()),
    }
}

/// yaml.v2's YAML 1.1 booleans, read from plain scalars.
pub(crate) fn yaml11_bool(word: &str) -> Option<bool> {
    match word {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

/// How yaml.v2 and yaml.v3 put a number into a Go `int`: an integer as is,
/// a float truncated (`3.0` and `3.7` are 3); `None` when out of range.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::option_option
)]
pub(crate) fn go_int(value: &Value) -> Option<Option<i64>> {
    match value {
        Value::Int(i) => Some(i64::try_from(*i).ok()),
        Value::Float(x) => Some(
            (x.is_finite() && *x < 9.223_372_036_854_775e18 && *x >= -9.223_372_036_854_775e18)
                .then(|| x.trunc() as i64),
        ),
        _ => None,
    }
}

impl Decoder<'_> {
    /// The source text of a plain scalar (so `1.10` stays `1.10`).
    pub(super) fn raw_text(&self, node: &Node) -> Option<String> {
        raw_text(self.src, node)
    }

    pub(super) fn string(&mut self, entry: Option<(&Key, &Node)>) -> Option<String> {
        let (key, node) = entry?;
        match go_string(self.src, node) {
            Ok(text) => text,
            Err(kind) => {
                self.refuse(
                    node.pos,
                    format!("`{}` must be a string, found {kind}", key.name),
                );
                None
            }
        }
    }

    pub(super) fn string_or_empty(&mut self, entry: Option<(&Key, &Node)>) -> String {
        self.string(entry).unwrap_or_default()
    }

    /// A list of items; null is an empty list.
    pub(super) fn list<'n>(&mut self, entry: Option<(&'n Key, &'n Node)>) -> &'n [Node] {
        let Some((key, node)) = entry else {
            return &[];
        };
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            other => {
                self.refuse(
                    node.pos,
                    format!("`{}` must be a list, found {}", key.name, other.kind()),
                );
                &[]
            }
        }
    }

    pub(super) fn string_list(&mut self, entry: Option<(&Key, &Node)>) -> Vec<String> {
        let Some((key, _)) = entry else {
            return Vec::new();
        };
        let items = self.list(entry);
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match &item.value {
                // yaml.v2 reads a null item as an empty string.
                Value::Null => out.push(String::new()),
                Value::Seq(_) | Value::Map(_) => self.refuse(
                    item.pos,
                    format!(
                        "items of `{}` must be strings, found {}",
                        key.name,
                        item.value.kind()
                    ),
                ),
                _ => {
                    let text = self.string(Some((key, item))).unwrap_or_default();
                    out.push(text);
                }
            }
        }
        out
    }

    /// A length limit: a Go `int` (a float is truncated, as yaml.v2 does);
    /// 0 (upstream's "unset") is None.
    pub(super) fn length(&mut self, entry: Option<(&Key, &Node)>) -> Option<i64> {
        let (key, node) = entry?;
        if matches!(node.value, Value::Null) {
            return None;
        }
        match go_int(&node.value) {
            Some(Some(0)) => None,
            Some(Some(n)) => Some(n),
            Some(None) => {
                self.refuse(
                    node.pos,
                    format!("`{}` is out of range for an integer", key.name),
                );
                None
            }
            None => {
                self.refuse(
                    node.pos,
                    format!(
                        "`{}` must be an integer, found {}",
                        key.name,
                        node.value.kind()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, entry: Option<(&Key, &Node)>) -> bool {
        let Some((key, node)) = entry else {
            return false;
        };
        match &node.value {
            Value::Bool(b) => *b,
            Value::Null => false,
            // `yes`, `on`, `Y`, ...: booleans in YAML 1.1, as yaml.v2 reads
            // them, when written plain (quoted, they are strings).
            Value::Str(s)
                if yaml11_bool(s).is_some() && self.raw_text(node).as_deref() == Some(s) =>
            {
                yaml11_bool(s).unwrap_or(false)
            }
            other => {
                let found = match other {
                    Value::Str(s) => format!("`{s}`"),
                    _ => other.kind().to_owned(),
                };
                self.refuse(
                    node.pos,
                    format!("`{}` must be true or false, found {found}", key.name),
                );
                false
            }
        }
    }
}
