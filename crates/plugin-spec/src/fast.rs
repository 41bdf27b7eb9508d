//! The fast path: YAML straight into [`Plugin`], no positions kept.
//!
//! Most plugins that are loaded are valid, and a valid plugin never needs a
//! line or column. So [`crate::load_with_spelling`] first reads the source in
//! one serde-saphyr pass straight into the model (no node tree, no `Spanned`
//! values, no position map) and runs the validation rules on it. At the first
//! thing this pass is not sure about it gives up, and the full loader (`node`
//! -> `decode` -> `validate`) reads the source again and reports every problem
//! with its position. Giving up happens on:
//!
//! - any YAML error, an empty file, a root that is not a mapping;
//! - an unknown key, a key of the other spelling, a duplicate key;
//! - a value of the wrong type, and also a number or boolean in a string
//!   field (`pluginversion: 1.10`): the full loader keeps that value's source
//!   text, which only its spans give;
//! - a null list item, a `plugintype`/`hooktype` word that is not allowed, a
//!   missing upstream `plugintype`;
//! - any broken validation rule.
//!
//! Every value this pass accepts is read through the same serde-saphyr calls
//! (`deserialize_any`, `deserialize_string` for keys) as the full loader's
//! node tree, and turned into the model the way `decode` turns that node into
//! it, so a plugin returned here is the plugin the full loader returns. Debug
//! builds (tests, the fuzz target) check that on every load.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::keys::{self, Field};
use crate::model::{
    Entrypoint, HookType, NamedValue, Plugin, PluginType, Question, Spelling, SubQuestion,
};

/// Reads `src` into the model if it is a valid plugin with nothing unusual
/// in it; `None` means "use the full loader".
pub(crate) fn load(src: &str) -> Option<(Plugin, Spelling)> {
    let Root(plugin, spelling) =
        serde_saphyr::from_str_with_options::<Root>(src, crate::node::options()).ok()?;
    crate::validate::violations(&plugin, spelling)
        .is_empty()
        .then_some((plugin, spelling))
}

/// The error that makes the caller fall back to the full loader; its text is
/// never shown.
fn give_up<E: de::Error>() -> E {
    E::custom("not on the fast path")
}

/// A mapping key, found in `table`: its index and the spelling it belongs to.
/// With `spelling` unknown (the first top-level key) both spellings are tried.
struct KeySeed {
    table: &'static [Field],
    spelling: Option<Spelling>,
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = (usize, Spelling);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // `deserialize_string`, as the full loader's `Spanned<String>` keys.
        d.deserialize_string(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = (usize, Spelling);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a known key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let spellings: &[Spelling] = match &self.spelling {
            Some(sp) => std::slice::from_ref(sp),
            None => &[Spelling::Upstream, Spelling::Design],
        };
        for &sp in spellings {
            if let Some(i) = self.table.iter().position(|f| f.accepts(sp, key)) {
                return Ok((i, sp));
            }
        }
        Err(give_up())
    }
}

/// Reads the entries of a mapping (null: no entries), calling `field` with
/// each known key's canonical name; gives up on unknown and duplicate keys.
fn entries<'de, A: MapAccess<'de>>(
    mut map: A,
    table: &'static [Field],
    spelling: Spelling,
    mut field: impl FnMut(&'static str, &mut A) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut seen = 0u32; // every table has fewer than 32 fields
    while let Some((i, _)) = map.next_key_seed(KeySeed {
        table,
        spelling: Some(spelling),
    })? {
        let bit = 1u32 << i;
        if seen & bit != 0 {
            return Err(give_up());
        }
        seen |= bit;
        field(table[i].upstream, &mut map)?;
    }
    Ok(())
}

/// A string field: a YAML string, or null (`None`).
#[derive(Clone, Copy)]
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// An item of a list of strings: a YAML string (null is refused by `decode`).
#[derive(Clone, Copy)]
struct Item;

impl<'de> DeserializeSeed<'de> for Item {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        Text.deserialize(d)?.ok_or_else(give_up)
    }
}

/// A list (null: empty) whose items are read with `seed`.
struct List<S>(S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for List<S> {
    type Value = Vec<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for List<S> {
    type Value = Vec<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self.0)? {
            out.push(item);
        }
        Ok(out)
    }
}

/// `minlength` / `maxlength`: a positive integer; 0 and null are "no
/// limit". Anything else (negative, a float) is left to the full loader.
struct Length;

impl<'de> DeserializeSeed<'de> for Length {
    type Value = Option<i64>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Length {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer of 0 or more")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v).map_or_else(|_| Err(give_up()), |v| Ok((v != 0).then_some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        if v < 0 {
            Err(give_up())
        } else {
            Ok((v != 0).then_some(v))
        }
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        i64::try_from(v).map_or_else(|_| Err(give_up()), |v| self.visit_i64(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        i64::try_from(v).map_or_else(|_| Err(give_up()), |v| self.visit_i64(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// `required`: true or false; null is false.
struct Flag;

impl<'de> DeserializeSeed<'de> for Flag {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Flag {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true or false")
    }
    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A mapping read into `T` with the tables of one spelling. (A null where a
/// mapping belongs gives up: rare, and left to the full loader.)
trait Mapping: Sized {
    const TABLE: &'static [Field];
    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error>;
}

/// Seed for a [`Mapping`].
struct Map<T>(Spelling, std::marker::PhantomData<T>);

impl<T> Clone for Map<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Map<T> {}

fn mapping<T>(spelling: Spelling) -> Map<T> {
    Map(spelling, std::marker::PhantomData)
}

impl<'de, T: Mapping> DeserializeSeed<'de> for Map<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Mapping> Visitor<'de> for Map<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::read(map, self.0)
    }
}

/// `Some(text)` unless empty, as `decode::string_or_empty`.
fn or_empty(text: Option<String>) -> String {
    text.unwrap_or_default()
}

impl Mapping for Entrypoint {
    const TABLE: &'static [Field] = keys::ENTRYPOINT;

    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error> {
        let (mut shell, mut script) = (None, None);
        entries(map, Self::TABLE, spelling, |key, map| {
            match key {
                "shell" => shell = map.next_value_seed(Text)?,
                "script" => script = map.next_value_seed(Text)?,
                _ => return Err(give_up()),
            }
            Ok(())
        })?;
        Ok(Entrypoint {
            shell: shell
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| Entrypoint::DEFAULT_SHELL.to_owned()),
            script: or_empty(script),
        })
    }
}

impl Mapping for Question {
    const TABLE: &'static [Field] = keys::QUESTION;

    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error> {
        let mut q = Question::default();
        entries(map, Self::TABLE, spelling, |key, map| {
            match key {
                "name" => q.name = or_empty(map.next_value_seed(Text)?),
                "prompt" => q.prompt = or_empty(map.next_value_seed(Text)?),
                "help" => q.help = or_empty(map.next_value_seed(Text)?),
                "default" => q.default = map.next_value_seed(Text)?,
                "multiselect" => q.options = map.next_value_seed(List(Item))?,
                "subquestions" => {
                    q.sub_questions =
                        map.next_value_seed(List(mapping::<SubQuestion>(spelling)))?;
                }
                "regexp" => q.regexp = map.next_value_seed(Text)?,
                "validationerror" => q.validation_error = or_empty(map.next_value_seed(Text)?),
                "minlength" => q.min_length = map.next_value_seed(Length)?,
                "maxlength" => q.max_length = map.next_value_seed(Length)?,
                "required" => q.required = map.next_value_seed(Flag)?,
                _ => return Err(give_up()),
            }
            Ok(())
        })?;
        Ok(q)
    }
}

impl Mapping for SubQuestion {
    const TABLE: &'static [Field] = keys::SUB_QUESTION;

    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error> {
        let mut sub = SubQuestion::default();
        entries(map, Self::TABLE, spelling, |key, map| {
            match key {
                "ifvalue" => sub.if_value = or_empty(map.next_value_seed(Text)?),
                "questions" => {
                    sub.questions = map.next_value_seed(List(mapping::<Question>(spelling)))?;
                }
                _ => return Err(give_up()),
            }
            Ok(())
        })?;
        Ok(sub)
    }
}

impl Mapping for NamedValue {
    const TABLE: &'static [Field] = keys::NAMED_VALUE;

    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error> {
        let mut nv = NamedValue::default();
        entries(map, Self::TABLE, spelling, |key, map| {
            match key {
                "name" => nv.name = or_empty(map.next_value_seed(Text)?),
                "value" => nv.value = or_empty(map.next_value_seed(Text)?),
                _ => return Err(give_up()),
            }
            Ok(())
        })?;
        Ok(nv)
    }
}

/// The whole file: a mapping whose first key decides the spelling.
struct Root(Plugin, Spelling);

impl<'de> Deserialize<'de> for Root {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Root, D::Error> {
        d.deserialize_any(RootVisitor)
    }
}

struct RootVisitor;

impl<'de> Visitor<'de> for RootVisitor {
    type Value = Root;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a plugin mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Root, A::Error> {
        let mut p = Plugin::default();
        let mut plugin_type = None;
        let mut hook_type = None;
        // The first key decides the spelling; keys of the other one are then
        // refused, so all keys are of one spelling, which is also the one the
        // full loader's majority count picks.
        let mut spelling = None;
        let mut seen = 0u32;
        while let Some((i, sp)) = map.next_key_seed(KeySeed {
            table: keys::PLUGIN,
            spelling,
        })? {
            spelling = Some(sp);
            let bit = 1u32 << i;
            if seen & bit != 0 {
                return Err(give_up());
            }
            seen |= bit;
            match keys::PLUGIN[i].upstream {
                "name" => p.name = or_empty(map.next_value_seed(Text)?),
                "description" => p.description = or_empty(map.next_value_seed(Text)?),
                "plugintype" => plugin_type = map.next_value_seed(Text)?,
                "pluginmods" => p.plugin_mods = map.next_value_seed(List(Item))?,
                "pluginversion" => p.version = or_empty(map.next_value_seed(Text)?),
                "apiversion" => p.api_version = map.next_value_seed(List(Item))?,
                "image" => p.image = or_empty(map.next_value_seed(Text)?),
                "entrypoint" => p.entrypoint = Some(map.next_value_seed(mapping(sp))?),
                "dependson" => p.depends_on = map.next_value_seed(List(Item))?,
                "hooktype" => hook_type = map.next_value_seed(Text)?,
                "questions" => p.questions = map.next_value_seed(List(mapping(sp)))?,
                "defaultconfig" => p.default_config = map.next_value_seed(List(mapping(sp)))?,
                "defaultassets" => p.default_assets = map.next_value_seed(List(mapping(sp)))?,
                _ => return Err(give_up()),
            }
        }
        let Some(spelling) = spelling else {
            return Err(give_up());
        };
        p.plugin_type = match plugin_type.as_deref() {
            Some("task") => PluginType::Task,
            Some("hook") => PluginType::Hook,
            // The design document has no plugin type: its plugins are tasks.
            None if spelling == Spelling::Design => PluginType::Task,
            _ => return Err(give_up()),
        };
        p.hook_type = match hook_type.as_deref() {
            None => None,
            Some("pre") => Some(HookType::Pre),
            Some("post") => Some(HookType::Post),
            Some("fail") => Some(HookType::Fail),
            Some(_) => return Err(give_up()),
        };
        Ok(Root(p, spelling))
    }
}

#[cfg(test)]
mod tests {
    use super::load;
    use crate::load_positioned;

    fn examples() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/plugins");
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .expect("examples/plugins")
            .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
            .collect();
        out.sort();
        out
    }

    /// The fast path's one promise: what it returns, the full loader returns.
    fn agrees(src: &str) -> bool {
        let Some(fast) = load(src) else {
            return false;
        };
        match load_positioned(src, "t.yaml") {
            Ok(full) => {
                assert_eq!(
                    (full.plugin, full.spelling),
                    fast,
                    "loaders disagree on:\n{src}"
                );
                assert!(
                    full.warnings.is_empty(),
                    "fast path skipped warnings:\n{src}"
                );
            }
            Err(e) => panic!("fast path accepted what the full loader refuses ({e}):\n{src}"),
        }
        true
    }

    #[test]
    fn bundled_examples_take_the_fast_path() {
        let all = examples();
        assert_eq!(all.len(), 4);
        for src in &all {
            assert!(agrees(src), "example left the fast path:\n{src}");
        }
    }

    #[test]
    fn unusual_input_leaves_the_fast_path() {
        let base = "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: x\nentrypoint:\n  script: run\n";
        assert!(agrees(base));
        for (from, to) in [
            ("0.1.0", "1.10"),                                 // a number in a string field
            ("image: x", "image: true"),                       // a boolean in a string field
            ("image: x", "imagee: x"),                         // unknown key
            ("image: x", "image: x\nimage: y"),                // duplicate key
            ("image: x", "Image: x"),                          // key of the other spelling
            ("plugintype: task\n", ""),                        // missing upstream plugintype
            ("task", "job"),                                   // bad word
            ("entrypoint:\n  script: run\n", "entrypoint:\n"), // null mapping
            ("name: neo", "name: [neo]"),                      // wrong type
            ("name: neo", "name: Neo"),                        // broken rule
            ("image: x", "image: x\n---\nname: y"),            // two documents
        ] {
            let src = base.replacen(from, to, 1);
            assert_ne!(src, base, "{from} not in the base");
            assert!(!agrees(&src), "took the fast path:\n{src}");
        }
        assert!(!agrees(""));
        assert!(!agrees("- a\n"));
    }

    /// Every example with each line replaced by, or followed by, awkward YAML:
    /// whatever the fast path accepts, the full loader reads the same.
    #[test]
    fn fast_path_agrees_with_the_full_loader_on_variants() {
        const VALUES: &[&str] = &[
            "~",
            "null",
            "''",
            "\"\"",
            "'x'",
            "\"a\\tb\"",
            "1.10",
            "0",
            "-1",
            "3",
            "007",
            "0x1F",
            "1e3",
            ".inf",
            "-.INF",
            ".nan",
            "true",
            "True",
            "yes",
            "no",
            "on",
            "[]",
            "{}",
            "[a, b]",
            "[a, ~]",
            "{a: b}",
            "!!str 5",
            "!!int 5",
            "!!binary aGk=",
            "&anc v",
            "*anc",
            "|\n  text\n",
            ">-\n  folded\n  text\n",
            "\"quoted\nnext\"",
            "2001-12-14",
            "a: b",
            "- x",
            "[",
            "'",
            "{{ .DSTART }}",
        ];
        let mut taken = 0;
        let mut tried = 0;
        for src in examples() {
            let lines: Vec<&str> = src.lines().collect();
            for i in 0..lines.len() {
                let line = lines[i];
                let Some(colon) = line
                    .find(": ")
                    .or_else(|| line.strip_suffix(':').map(str::len))
                else {
                    continue;
                };
                let head = &line[..colon];
                for value in VALUES {
                    let mut replaced = lines.clone();
                    let new_line = format!("{head}: {value}");
                    replaced[i] = &new_line;
                    let variant = replaced.join("\n");
                    tried += 1;
                    taken += usize::from(agrees(&variant));
                    // The same key again, and an anchor/merge next to it.
                    let mut doubled = lines.clone();
                    doubled.insert(i + 1, &new_line);
                    tried += 1;
                    taken += usize::from(agrees(&doubled.join("\n")));
                }
                let mut dropped = lines.clone();
                dropped.remove(i);
                tried += 1;
                taken += usize::from(agrees(&dropped.join("\n")));
            }
        }
        // Some variants stay valid (a string for a string, a null optional),
        // so the comparison above really ran on accepted input.
        assert!(
            taken > 100,
            "only {taken} of {tried} variants took the fast path"
        );
    }

    #[test]
    fn anchors_and_merge_keys_agree() {
        let src = "\
name: neo
plugintype: task
pluginversion: &v 0.1.0
image: *v
entrypoint: &ep
  script: run
questions:
  - &q
    name: A
    prompt: a
  - <<: *q
    name: B
defaultconfig:
  - {name: X, value: *v}
";
        assert!(agrees(src));
    }
}
