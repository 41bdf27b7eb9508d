//! First pass: YAML text to a tree of nodes that remember where they came from.
//!
//! serde-saphyr does the YAML (syntax, anchors with alias limits, strict
//! booleans); the schema is checked by `decode` on this tree so that every
//! problem can be reported at once, each with its own position.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Location, NonFiniteFloatPolicy, Spanned};

/// A 1-based line and column (0:0 when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Pos {
    pub line: u64,
    pub col: u64,
}

impl Pos {
    pub(crate) fn of(loc: &Location) -> Pos {
        Pos {
            line: loc.line(),
            col: loc.column(),
        }
    }
}

/// A YAML value with its position.
#[derive(Debug)]
pub(crate) struct Node {
    pub pos: Pos,
    /// Where the value is written (the anchor for an alias), for raw text.
    pub defined: Location,
    pub value: Value,
}

#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its position.
#[derive(Debug)]
pub(crate) struct Key {
    pub pos: Pos,
    pub name: String,
}

impl Value {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            pos: Pos::of(&spanned.referenced),
            defined: spanned.defined,
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(v)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i128::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        String::from_utf8(v.to_vec())
            .map(Value::Str)
            .map_err(|_| E::custom("binary value is not UTF-8 text"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Node>()?;
            entries.push((
                Key {
                    pos: Pos::of(&key.referenced),
                    name: key.value,
                },
                value,
            ));
        }
        Ok(Value::Map(entries))
    }
}

/// The parser options: YAML 1.2 booleans only (`decode` reads yaml.v2's
/// YAML 1.1 words itself, from plain scalars), duplicate keys handed to
/// `decode` (which reports all of them), `.inf`/`.nan` kept as text, `010`
/// read as octal as yaml.v2 does.
pub(crate) fn options() -> serde_saphyr::Options {
    let mut opts = serde_saphyr::Options::default();
    opts.strict_booleans = true;
    opts.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    opts.non_finite_float_policy = NonFiniteFloatPolicy::AsString;
    opts.legacy_octal_numbers = true;
    opts.with_snippet = false;
    opts
}

/// A parsed file: its first YAML document, and where a second one starts
/// (upstream reads only the first).
pub(crate) struct Parsed {
    pub root: Node,
    pub second_document: Option<Pos>,
}

/// Parses the first YAML document into a node tree, or returns the YAML
/// error's position and message.
pub(crate) fn parse(src: &str) -> Result<Parsed, (Pos, String)> {
    let err = match serde_saphyr::from_str_with_options::<Node>(src, options()) {
        Ok(root) => {
            return Ok(Parsed {
                root,
                second_document: None,
            });
        }
        Err(err) => err,
    };
    // More than one document: upstream's loaders read the first and never
    // look at the rest, so neither do we (beyond a warning).
    if let Some(start) = second_document_start(src) {
        let first = &src[..start.0];
        if let Ok(root) = serde_saphyr::from_str_with_options::<Node>(first, options()) {
            return Ok(Parsed {
                root,
                second_document: Some(start.1),
            });
        }
    }
    let pos = err.location().map(|l| Pos::of(&l)).unwrap_or_default();
    Err((pos, yaml_message(&err.to_string(), pos)))
}

/// Where the second document starts: the byte offset and position of the
/// first `---` or `...` line after some content.
fn second_document_start(src: &str) -> Option<(usize, Pos)> {
    let mut offset = 0;
    let mut content = false;
    for (i, line) in src.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\r', '\n']);
        let marker = |m: &str| {
            bare.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        };
        if marker("...") {
            if content {
                return Some((
                    offset,
                    Pos {
                        line: i as u64 + 1,
                        col: 1,
                    },
                ));
            }
        } else if marker("---") {
            if content {
                return Some((
                    offset,
                    Pos {
                        line: i as u64 + 1,
                        col: 1,
                    },
                ));
            }
            content = true;
        } else {
            let text = bare.trim_start_matches('\u{feff}').trim();
            if !text.is_empty() && !text.starts_with('#') && !text.starts_with('%') {
                content = true;
            }
        }
        offset += line.len();
    }
    None
}

/// serde-saphyr appends " at line L, column C" to its messages; the position
/// is printed in front by us, so drop the suffix. Hints about the parser's
/// own API are not for our readers either.
fn yaml_message(rendered: &str, pos: Pos) -> String {
    let first = rendered.lines().next().unwrap_or(rendered);
    let suffix = format!(" at line {}, column {}", pos.line, pos.col);
    let msg = first.strip_suffix(suffix.as_str()).unwrap_or(first);
    let msg = match msg.find("; use ").or_else(|| msg.find(" (use ")) {
        Some(i) => &msg[..i],
        None => msg,
    };
    format!("invalid YAML: {msg}")
}
