//! The v0.20.7+ plugin format of goto/optimus (`version: 1`,
//! `plugin_versions`, `default_config` as a map), read as upstream reads it:
//! yaml.v3 `Unmarshal` into its `Spec`, then `Spec.Validate()`.
//!
//! yaml.v3 ignores unknown keys (so they are warnings here), refuses
//! duplicate keys and values of the wrong type (errors), and `Validate`
//! requires `name`, a non-zero `version` and a `plugin_versions.default`
//! with `image`, `tag` and `entrypoint.script`.

use std::collections::{HashMap, HashSet};

use crate::Problem;
use crate::decode::{Decoded, chars, duplicate_key, go_int, go_string};
use crate::model::{
    AssetParser, Entrypoint, Evaluator, NamedValue, Plugin, PluginType, PluginVersion, Spelling,
};
use crate::node::{Key, Node, Pos, Value};

/// Whether the file is in this format: lowercase `version` and
/// `plugin_versions` at the top.
pub(crate) fn is_spec(root: &Node) -> bool {
    let Value::Map(entries) = &root.value else {
        return false;
    };
    let has = |k: &str| entries.iter().any(|(key, _)| key.name == k);
    has("version") && has("plugin_versions")
}

struct Reader<'s> {
    src: &'s str,
    positions: HashMap<String, Pos>,
    problems: crate::error::Findings,
    warnings: crate::error::Findings,
    refused: HashSet<Pos>,
}

impl Reader<'_> {
    fn refuse(&mut self, pos: Pos, message: String) {
        self.refused.insert(pos);
        self.problems.push((pos, message));
    }

    /// The entries of a mapping (null: none), duplicate keys refused as
    /// yaml.v3 does, unknown ones (not in `known`) warned about.
    fn entries<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        known: Option<&[&str]>,
    ) -> Vec<(&'n Key, &'n Node)> {
        let entries: &[(Key, Node)] = match &node.value {
            Value::Map(e) => e,
            Value::Null => &[],
            other => {
                self.refuse(
                    node.pos,
                    format!("{what} must be a mapping, found {}", other.kind()),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<(&Key, &Node)> = Vec::new();
        for (k, v) in entries {
            if let Some((first, _)) = out.iter().find(|(f, _)| f.name == k.name) {
                self.problems.add(duplicate_key(k, first, what));
                continue;
            }
            if let Some(known) = known
                && !known.contains(&k.name.as_str())
            {
                self.warnings.add(
                    Problem::at(
                        k.pos.line,
                        k.pos.col,
                        format!(
                            "unknown key `{}` in {what}, ignored (upstream ignores it too)",
                            k.name
                        ),
                    )
                    .with_len(chars(&k.name))
                    .with_expected(known, &k.name),
                );
                continue;
            }
            out.push((k, v));
        }
        out
    }

    fn string(&mut self, key: &Key, node: &Node) -> String {
        match go_string(self.src, node) {
            Ok(s) => s.unwrap_or_default(),
            Err(kind) => {
                self.refuse(
                    node.pos,
                    format!("`{}` must be a string, found {kind}", key.name),
                );
                String::new()
            }
        }
    }

    fn at(&mut self, path: &str, key: &Key, node: &Node) {
        let pos = if matches!(node.value, Value::Null) {
            key.pos
        } else {
            node.pos
        };
        self.positions.insert(path.to_owned(), pos);
    }
}

const TOP: &[&str] = &[
    "version",
    "name",
    "description",
    "destination_urn_template",
    "asset_parsers",
    "plugin_versions",
    "default_config",
];
const VERSION: &[&str] = &["image", "tag", "entrypoint"];
const ENTRYPOINT: &[&str] = &["shell", "script"];
const EVALUATOR: &[&str] = &["env", "filepath", "selector"];

/// The `plugin_versions` entries as read: key, position, details.
type VersionList = Vec<(String, Pos, Details)>;

/// One `plugin_versions` entry as read.
#[derive(Default)]
struct Details {
    image: String,
    tag: String,
    shell: String,
    script: String,
}

/// Decodes a file in the v0.20.7+ format into the model.
#[allow(clippy::too_many_lines)]
pub(crate) fn decode(src: &str, root: &Node) -> Decoded {
    let mut r = Reader {
        src,
        positions: HashMap::new(),
        problems: crate::error::Findings::default(),
        warnings: crate::error::Findings::default(),
        refused: HashSet::new(),
    };
    r.positions.insert(String::new(), root.pos);
    let mut plugin = Plugin {
        plugin_type: PluginType::Task,
        ..Plugin::default()
    };
    let mut version: i64 = 0;
    let mut version_pos = root.pos;
    let mut versions: Option<(Pos, VersionList)> = None;
    for (key, node) in r.entries(root, "the plugin", Some(TOP)) {
        match key.name.as_str() {
            "version" => {
                version_pos = node.pos;
                match &node.value {
                    Value::Null => {}
                    v => match go_int(v) {
                        Some(Some(n)) => version = n,
                        Some(None) => r.refuse(node.pos, "`version` is out of range".into()),
                        None => r.refuse(
                            node.pos,
                            format!("`version` must be an integer, found {}", v.kind()),
                        ),
                    },
                }
            }
            "name" => {
                r.at("name", key, node);
                plugin.name = r.string(key, node);
            }
            "description" => plugin.description = r.string(key, node),
            "destination_urn_template" => plugin.destination_urn_template = r.string(key, node),
            "asset_parsers" => {
                for (pk, list) in r.entries(node, "`asset_parsers`", None) {
                    let items: &[Node] = match &list.value {
                        Value::Seq(items) => items,
                        Value::Null => &[],
                        other => {
                            r.refuse(
                                list.pos,
                                format!("`{}` must be a list, found {}", pk.name, other.kind()),
                            );
                            continue;
                        }
                    };
                    let mut evaluators = Vec::new();
                    for item in items {
                        let what = format!("an evaluator of `{}`", pk.name);
                        let mut e = Evaluator::default();
                        for (ek, ev) in r.entries(item, &what, Some(EVALUATOR)) {
                            let text = r.string(ek, ev);
                            match ek.name.as_str() {
                                "env" => e.env = text,
                                "filepath" => e.filepath = text,
                                _ => e.selector = text,
                            }
                        }
                        evaluators.push(e);
                    }
                    plugin.asset_parsers.push(AssetParser {
                        parser: pk.name.clone(),
                        evaluators,
                    });
                }
            }
            "plugin_versions" => {
                let mut list = Vec::new();
                for (vk, vn) in r.entries(node, "`plugin_versions`", None) {
                    let what = format!("`plugin_versions.{}`", vk.name);
                    let mut d = Details::default();
                    for (fk, fv) in r.entries(vn, &what, Some(VERSION)) {
                        match fk.name.as_str() {
                            "image" => {
                                if vk.name == "default" {
                                    r.at("image", fk, fv);
                                }
                                d.image = r.string(fk, fv);
                            }
                            "tag" => {
                                if vk.name == "default" {
                                    r.at("pluginversion", fk, fv);
                                }
                                d.tag = r.string(fk, fv);
                            }
                            _ => {
                                if vk.name == "default" {
                                    r.at("entrypoint", fk, fv);
                                }
                                let what = format!("`plugin_versions.{}.entrypoint`", vk.name);
                                for (ek, ev) in r.entries(fv, &what, Some(ENTRYPOINT)) {
                                    if vk.name == "default" && ek.name == "script" {
                                        r.at("entrypoint.script", ek, ev);
                                    }
                                    let text = r.string(ek, ev);
                                    if ek.name == "shell" {
                                        d.shell = text;
                                    } else {
                                        d.script = text;
                                    }
                                }
                            }
                        }
                    }
                    list.push((vk.name.clone(), vk.pos, d));
                }
                versions = Some((node.pos, list));
            }
            _ => {
                // default_config: a map of strings, in file order.
                for (ck, cv) in r.entries(node, "`default_config`", None) {
                    let i = plugin.default_config.len();
                    r.positions
                        .insert(format!("defaultconfig[{i}].name"), ck.pos);
                    let value = r.string(ck, cv);
                    plugin
                        .default_config
                        .push(NamedValue::new(ck.name.clone(), value));
                }
            }
        }
    }
    // Spec.Validate(), all of it rather than the first failure.
    if plugin.name.is_empty()
        && !r
            .refused
            .contains(&r.positions.get("name").copied().unwrap_or(root.pos))
    {
        let pos = r.positions.get("name").copied().unwrap_or(root.pos);
        r.problems.push((pos, "missing `name`".into()));
    }
    if version == 0 && !r.refused.contains(&version_pos) {
        r.problems.push((
            version_pos,
            "missing `version`: the spec format needs a non-zero integer (1)".into(),
        ));
    }
    let (list_pos, list) = versions.unwrap_or((root.pos, Vec::new()));
    let mut default = None;
    for (key, pos, d) in list {
        if key == "default" {
            default = Some((pos, d));
        } else {
            plugin.other_versions.push(PluginVersion {
                key,
                image: d.image,
                tag: d.tag,
                shell: d.shell,
                script: d.script,
            });
        }
    }
    match default {
        None => r.problems.push((
            list_pos,
            "`plugin_versions` needs a `default` entry (with image, tag and entrypoint.script)"
                .into(),
        )),
        Some((pos, d)) => {
            for (what, value, path) in [
                ("image", &d.image, "image"),
                ("tag", &d.tag, "pluginversion"),
                ("entrypoint.script", &d.script, "entrypoint.script"),
            ] {
                let at = r.positions.get(path).copied().unwrap_or(pos);
                if value.is_empty() && !r.refused.contains(&at) {
                    r.problems
                        .push((at, format!("missing `plugin_versions.default.{what}`")));
                }
            }
            plugin.image = if d.tag.is_empty() {
                d.image.clone()
            } else {
                format!("{}:{}", d.image, d.tag)
            };
            plugin.version = d.tag;
            plugin.entrypoint = Some(Entrypoint {
                shell: if d.shell.is_empty() {
                    Entrypoint::DEFAULT_SHELL.to_owned()
                } else {
                    d.shell
                },
                script: d.script,
            });
        }
    }
    r.problems.sort();
    r.warnings.sort();
    Decoded {
        plugin,
        spelling: Spelling::Spec,
        positions: r.positions,
        problems: r.problems,
        warnings: r.warnings,
        refused: r.refused,
        keys: HashMap::new(),
    }
}
