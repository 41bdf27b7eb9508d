//! Second pass: node tree to [`Plugin`], checking the schema strictly.
//!
//! Unknown keys, duplicate keys and wrong types are collected, not returned at
//! the first one, and the position of every field is remembered so that the
//! validation rules (third pass) can point at the offending key.

use std::collections::HashMap;

use crate::Problem;
use crate::keys::{self, Field};
use crate::model::{
    Entrypoint, HookType, NamedValue, Plugin, PluginType, Question, Spelling, SubQuestion,
};
use crate::node::{Key, Node, Pos, Value};

mod scalars;

pub(crate) use scalars::{go_int, go_string};

/// The result of decoding: the model (as far as it could be read), which
/// spelling the file uses, where each field is and what was wrong.
pub(crate) struct Decoded {
    pub plugin: Plugin,
    pub spelling: Spelling,
    /// Canonical field path (`questions[0].regexp`) to the value's position.
    pub positions: HashMap<String, Pos>,
    /// What makes upstream's loader refuse the file.
    pub problems: crate::error::Findings,
    /// What upstream's loader takes but we point out.
    pub warnings: crate::error::Findings,
    /// Positions of values refused by the schema.
    pub refused: std::collections::HashSet<Pos>,
    /// Canonical field path to its key as written (position and name), for
    /// pointing at the mapping a key is missing from.
    pub keys: HashMap<String, (Pos, String)>,
}

impl Decoded {
    /// Where to report that `path` is missing, when it is (not recorded):
    /// the key owning the mapping that lacks it, or the `-` of the list
    /// entry, with how many characters to mark; `None` when the path was
    /// read or its mapping is the file's top level.
    pub(crate) fn missing_at(&self, path: &str, src: &str) -> Option<(Pos, u64)> {
        if self.positions.contains_key(path) {
            return None;
        }
        let mut p = path;
        loop {
            let i = p.rfind(['.', '['])?;
            p = &p[..i];
            if let Some((pos, name)) = self.keys.get(p) {
                return Some((*pos, chars(name)));
            }
            if let Some(pos) = self.positions.get(p) {
                if !p.ends_with(']') {
                    return None;
                }
                // A list entry: its `-`, two columns left of its first key.
                let line = src
                    .lines()
                    .nth(usize::try_from(pos.line.checked_sub(1)?).ok()?)?;
                let col = usize::try_from(pos.col.checked_sub(3)?).ok()?;
                return line.get(col..col + 2).filter(|d| *d == "- ").map(|_| {
                    (
                        Pos {
                            line: pos.line,
                            col: pos.col - 2,
                        },
                        1,
                    )
                });
            }
        }
    }

    /// Position of a canonical path, or of its closest recorded ancestor.
    pub(crate) fn position(&self, path: &str) -> Pos {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.positions.get("").copied().unwrap_or_default(),
            }
        }
    }
}

struct Decoder<'s> {
    src: &'s str,
    spelling: Spelling,
    positions: HashMap<String, Pos>,
    keys: HashMap<String, (Pos, String)>,
    problems: crate::error::Findings,
    warnings: crate::error::Findings,
    refused: std::collections::HashSet<Pos>,
}

/// The entries of one mapping, matched to the fields of its table.
struct Fields<'n> {
    table: &'static [Field],
    path: String,
    pos: Pos,
    found: Vec<Option<(&'n Key, &'n Node)>>,
}

impl<'n> Fields<'n> {
    fn get(&self, canonical: &str) -> Option<(&'n Key, &'n Node)> {
        let i = self.table.iter().position(|f| f.upstream == canonical)?;
        self.found[i]
    }

    fn child(&self, canonical: &str) -> String {
        if self.path.is_empty() {
            canonical.to_owned()
        } else {
            format!("{}.{canonical}", self.path)
        }
    }
}

/// Which spelling the top-level keys use: the one more of them belong to.
pub(crate) fn detect(root: &Node) -> Spelling {
    let Value::Map(entries) = &root.value else {
        return Spelling::Upstream;
    };
    let count = |sp: Spelling| {
        entries
            .iter()
            .filter(|(k, _)| keys::PLUGIN.iter().any(|f| f.accepts(sp, &k.name)))
            .count()
    };
    if count(Spelling::Design) > count(Spelling::Upstream) {
        Spelling::Design
    } else {
        Spelling::Upstream
    }
}

/// Decodes a classic or design-spelling file.
pub(crate) fn decode(src: &str, root: &Node, spelling: Spelling) -> Decoded {
    let mut d = Decoder {
        src,
        spelling,
        positions: HashMap::new(),
        keys: HashMap::new(),
        problems: crate::error::Findings::default(),
        warnings: crate::error::Findings::default(),
        refused: std::collections::HashSet::new(),
    };
    d.positions.insert(String::new(), root.pos);
    let plugin = d.plugin(root);
    d.problems.sort();
    d.warnings.sort();
    Decoded {
        plugin,
        spelling,
        positions: d.positions,
        problems: d.problems,
        warnings: d.warnings,
        refused: d.refused,
        keys: d.keys,
    }
}

/// The length of `text` in characters, as a finding's `len`.
pub(crate) fn chars(text: &str) -> u64 {
    u64::try_from(text.chars().count()).unwrap_or(u64::MAX)
}

/// `key` repeats `first` in a mapping (both formats refuse it).
pub(crate) fn duplicate_key(key: &Key, first: &Key, what: &str) -> Problem {
    Problem::at(
        key.pos.line,
        key.pos.col,
        format!(
            "duplicate key `{}` in {what} (first at line {}, column {})",
            key.name, first.pos.line, first.pos.col
        ),
    )
    .with_len(chars(&key.name))
}

impl Decoder<'_> {
    fn problem(&mut self, pos: Pos, message: String) {
        self.problems.push((pos, message));
    }

    fn warn(&mut self, pos: Pos, message: String) {
        self.warnings.push((pos, message));
    }

    /// A value of the wrong type or an unknown word: also remembered so the
    /// rules do not report the same spot again (as "missing", say).
    fn refuse(&mut self, pos: Pos, message: String) {
        self.refused.insert(pos);
        self.problems.push((pos, message));
    }

    fn other(&self) -> Spelling {
        match self.spelling {
            Spelling::Upstream | Spelling::Spec => Spelling::Design,
            Spelling::Design => Spelling::Upstream,
        }
    }

    fn spelling_name(spelling: Spelling) -> &'static str {
        match spelling {
            Spelling::Upstream => "classic (lowercase)",
            Spelling::Design => "design (PascalCase)",
            Spelling::Spec => "spec (v0.20.7+)",
        }
    }

    /// Matches the entries of a mapping to `table`, reporting unknown and
    /// duplicate keys. A null value counts as an empty mapping.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        table: &'static [Field],
        path: String,
        what: &str,
    ) -> Option<Fields<'n>> {
        let entries: &[(Key, Node)] = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            other => {
                self.refuse(
                    node.pos,
                    format!("{what} must be a mapping, found {}", other.kind()),
                );
                return None;
            }
        };
        self.positions.insert(path.clone(), node.pos);
        let mut fields = Fields {
            table,
            path,
            pos: node.pos,
            found: vec![None; table.len()],
        };
        for (key, value) in entries {
            let Some(i) = table
                .iter()
                .position(|f| f.accepts(self.spelling, &key.name))
            else {
                let mut found = Problem::at(
                    key.pos.line,
                    key.pos.col,
                    format!("unknown key `{}` in {what}", key.name),
                )
                .with_len(chars(&key.name));
                if table.iter().any(|f| f.accepts(self.other(), &key.name)) {
                    found = found.with_help(format!(
                        "`{}` is the {} spelling; this file uses the {} spelling",
                        key.name,
                        Self::spelling_name(self.other()),
                        Self::spelling_name(self.spelling)
                    ));
                }
                let expected = keys::expected(table, self.spelling);
                self.problems.add(found.with_expected(&expected, &key.name));
                continue;
            };
            if let Some((first, _)) = fields.found[i] {
                self.problems.add(duplicate_key(key, first, what));
                continue;
            }
            fields.found[i] = Some((key, value));
            let child = fields.child(table[i].upstream);
            let pos = if matches!(value.value, Value::Null) {
                key.pos
            } else {
                value.pos
            };
            self.keys.insert(child.clone(), (key.pos, key.name.clone()));
            self.positions.insert(child, pos);
        }
        Some(fields)
    }

    fn plugin(&mut self, root: &Node) -> Plugin {
        let mut plugin = Plugin::default();
        if matches!(root.value, Value::Null) {
            self.problem(
                root.pos,
                "the file is empty; a plugin is a mapping with at least name, version and image"
                    .to_owned(),
            );
            return plugin;
        }
        let Some(f) = self.fields(root, keys::PLUGIN, String::new(), "the plugin") else {
            return plugin;
        };
        plugin.name = self.string_or_empty(f.get("name"));
        plugin.description = self.string_or_empty(f.get("description"));
        plugin.plugin_type = self.plugin_type(&f);
        plugin.plugin_mods = self.string_list(f.get("pluginmods"));
        plugin.version = self.string_or_empty(f.get("pluginversion"));
        plugin.api_version = self.string_list(f.get("apiversion"));
        plugin.image = self.string_or_empty(f.get("image"));
        plugin.entrypoint = f
            .get("entrypoint")
            .and_then(|(_, node)| self.entrypoint(node, f.child("entrypoint")));
        plugin.asset_parsers =
            self.asset_parsers(f.get("asset_parsers"), &f.child("asset_parsers"));
        plugin.destination_urn_template = self.string_or_empty(f.get("destination_urn_template"));
        plugin.depends_on = self.string_list(f.get("dependson"));
        plugin.hook_type = self.hook_type(f.get("hooktype"));
        plugin.questions = self.questions(f.get("questions"), &f.child("questions"));
        plugin.default_config =
            self.named_values(f.get("defaultconfig"), &f.child("defaultconfig"));
        plugin.default_assets =
            self.named_values(f.get("defaultassets"), &f.child("defaultassets"));
        plugin
    }

    fn plugin_type(&mut self, f: &Fields<'_>) -> PluginType {
        let entry = f.get("plugintype");
        let key = keys::spelled(keys::PLUGIN, "plugintype", self.spelling);
        match self.string(entry).as_deref() {
            Some("task") => PluginType::Task,
            Some("hook") => PluginType::Hook,
            Some(other) => {
                let pos = entry.map_or(f.pos, |(_, n)| n.pos);
                self.refuse(
                    pos,
                    format!("`{key}` must be task or hook, found `{other}`"),
                );
                PluginType::Task
            }
            // The design document has no plugin type: its plugins are tasks.
            None if self.spelling == Spelling::Design => PluginType::Task,
            None => {
                let pos = entry.map_or(f.pos, |(k, _)| k.pos);
                self.problem(pos, format!("missing `{key}` (task or hook)"));
                PluginType::Task
            }
        }
    }

    fn hook_type(&mut self, entry: Option<(&Key, &Node)>) -> Option<HookType> {
        let value = self.string(entry)?;
        match value.as_str() {
            "pre" => Some(HookType::Pre),
            "post" => Some(HookType::Post),
            "fail" => Some(HookType::Fail),
            // Upstream keeps any text; only these three mean something.
            other => {
                if let Some((key, node)) = entry {
                    self.refused.insert(node.pos);
                    self.warn(
                        node.pos,
                        format!(
                            "`{}` should be pre, post or fail, found `{other}`",
                            key.name
                        ),
                    );
                }
                None
            }
        }
    }

    fn entrypoint(&mut self, node: &Node, path: String) -> Option<Entrypoint> {
        let what = format!(
            "`{}`",
            keys::spelled(keys::PLUGIN, "entrypoint", self.spelling)
        );
        let f = self.fields(node, keys::ENTRYPOINT, path, &what)?;
        let shell = self
            .string(f.get("shell"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| Entrypoint::DEFAULT_SHELL.to_owned());
        let script = self.string_or_empty(f.get("script"));
        Some(Entrypoint { shell, script })
    }

    fn questions(&mut self, entry: Option<(&Key, &Node)>, path: &str) -> Vec<Question> {
        let items = self.list(entry);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            if let Some(q) = self.question(item, item_path) {
                self.renumber(path, i, out.len());
                out.push(q);
            }
        }
        out
    }

    /// A list item that is not a mapping is left out of the model, so the
    /// items after it move up; move their recorded positions with them so
    /// that validation problems still point at the right place.
    fn renumber(&mut self, list_path: &str, from: usize, to: usize) {
        if from == to {
            return;
        }
        let old = format!("{list_path}[{from}]");
        let new = format!("{list_path}[{to}]");
        let moved: Vec<(String, Pos)> = self
            .positions
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(old.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            })
            .map(|(k, v)| (format!("{new}{}", &k[old.len()..]), *v))
            .collect();
        self.positions.extend(moved);
        let moved: Vec<(String, (Pos, String))> = self
            .keys
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(old.as_str())
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
            .map(|(k, v)| (format!("{new}{}", &k[old.len()..]), v.clone()))
            .collect();
        self.keys.extend(moved);
    }

    fn question(&mut self, node: &Node, path: String) -> Option<Question> {
        let f = self.fields(node, keys::QUESTION, path, "a question")?;
        let mut q = Question::new(self.string_or_empty(f.get("name")));
        q.prompt = self.string_or_empty(f.get("prompt"));
        q.help = self.string_or_empty(f.get("help"));
        q.default = self.string(f.get("default"));
        q.options = self.string_list(f.get("multiselect"));
        let subs = self.list(f.get("subquestions"));
        for (i, sub) in subs.iter().enumerate() {
            let sub_path = format!("{}[{i}]", f.child("subquestions"));
            if let Some(s) = self.sub_question(sub, sub_path) {
                self.renumber(&f.child("subquestions"), i, q.sub_questions.len());
                q.sub_questions.push(s);
            }
        }
        q.regexp = self.string(f.get("regexp"));
        q.validation_error = self.string_or_empty(f.get("validationerror"));
        q.min_length = self.length(f.get("minlength"));
        q.max_length = self.length(f.get("maxlength"));
        q.required = self.boolean(f.get("required"));
        Some(q)
    }

    fn sub_question(&mut self, node: &Node, path: String) -> Option<SubQuestion> {
        let f = self.fields(node, keys::SUB_QUESTION, path, "a sub-question")?;
        let if_value = self.string_or_empty(f.get("ifvalue"));
        let questions = self.questions(f.get("questions"), &f.child("questions"));
        Some(SubQuestion {
            if_value,
            questions,
        })
    }

    /// `asset_parsers`: a mapping of parser name to a list of evaluators.
    fn asset_parsers(
        &mut self,
        entry: Option<(&Key, &Node)>,
        path: &str,
    ) -> Vec<crate::model::AssetParser> {
        let Some((key, node)) = entry else {
            return Vec::new();
        };
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Vec::new(),
            other => {
                self.refuse(
                    node.pos,
                    format!("`{}` must be a mapping, found {}", key.name, other.kind()),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<crate::model::AssetParser> = Vec::new();
        for (pk, list) in entries {
            if let Some(first) = out.iter().position(|p| p.parser == pk.name) {
                self.problem(
                    pk.pos,
                    format!(
                        "duplicate parser `{}` in `{}` (also entry {})",
                        pk.name,
                        key.name,
                        first + 1
                    ),
                );
                continue;
            }
            let items = self.list(Some((pk, list)));
            let mut evaluators = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let what = format!("an evaluator of `{}`", pk.name);
                let p = format!("{path}.{}[{i}]", pk.name);
                let Some(f) = self.fields(item, keys::EVALUATOR, p, &what) else {
                    continue;
                };
                evaluators.push(crate::model::Evaluator {
                    env: self.string_or_empty(f.get("env")),
                    filepath: self.string_or_empty(f.get("filepath")),
                    selector: self.string_or_empty(f.get("selector")),
                });
            }
            out.push(crate::model::AssetParser {
                parser: pk.name.clone(),
                evaluators,
            });
        }
        out
    }

    fn named_values(&mut self, entry: Option<(&Key, &Node)>, path: &str) -> Vec<NamedValue> {
        let Some((key, _)) = entry else {
            return Vec::new();
        };
        let what = format!("an entry of `{}`", key.name);
        let items = self.list(entry);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Some(f) = self.fields(item, keys::NAMED_VALUE, format!("{path}[{i}]"), &what)
            else {
                continue;
            };
            let name = self.string_or_empty(f.get("name"));
            let value = self.string_or_empty(f.get("value"));
            self.renumber(path, i, out.len());
            out.push(NamedValue { name, value });
        }
        out
    }
}
