//! Third pass: the rules a well-formed plugin must follow.
//!
//! Rules work on the model, so they also check plugins built in code
//! ([`Plugin::validate`]); `load_str` maps each violation's path back to a
//! line and column.

use std::collections::HashMap;

use crate::error::{Severity, Violation};
use crate::keys::{self, Field};
use crate::model::{NamedValue, Plugin, PluginType, Question, Spelling};

/// Longest accepted plugin name.
pub const MAX_NAME_LEN: usize = 64;

/// Whether `name` is a valid plugin name: 1 to 64 characters from `a-z`,
/// `0-9`, `-` and `_`, starting with a letter or digit. The name becomes part
/// of file names (`optimus-plugin-<name>.yaml`), so nothing else is allowed.
///
/// ```
/// assert!(plugin_spec::is_valid_plugin_name("bq2bq"));
/// assert!(!plugin_spec::is_valid_plugin_name("../etc"));
/// assert!(!plugin_spec::is_valid_plugin_name("BQ2BQ"));
/// ```
pub fn is_valid_plugin_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    name.len() <= MAX_NAME_LEN
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

struct Rules<'p> {
    spelling: Spelling,
    out: Vec<Violation>,
    /// Regexps of this plugin already found to be valid (questions often
    /// share one), so each is checked once.
    compiled: Vec<&'p str>,
}

impl Rules<'_> {
    /// A finding upstream refuses the file for.
    fn error(&mut self, path: String, message: String) {
        self.out.push(Violation {
            path,
            message,
            severity: Severity::Error,
        });
    }

    /// A finding upstream loads the file despite.
    fn push(&mut self, path: String, message: String) {
        self.out.push(Violation {
            path,
            message,
            severity: Severity::Warning,
        });
    }

    fn key(&self, table: &[Field], canonical: &str) -> &'static str {
        keys::spelled(table, canonical, self.spelling)
    }
}

fn join(parent: &str, canonical: &str) -> String {
    if parent.is_empty() {
        canonical.to_owned()
    } else {
        format!("{parent}.{canonical}")
    }
}

/// Every rule broken by `plugin`, as read in `spelling`: errors where
/// upstream's loader refuses (an empty `name`, `pluginversion`, `image` or
/// entrypoint `script` in the classic format), warnings for the rest. The
/// spec format's required fields are checked by its decoder, on the file.
pub(crate) fn violations(plugin: &Plugin, spelling: Spelling) -> Vec<Violation> {
    let mut r = Rules {
        spelling,
        out: Vec::new(),
        compiled: Vec::new(),
    };
    let classic = spelling != Spelling::Spec;
    let name_key = r.key(keys::PLUGIN, "name");
    if plugin.name.is_empty() {
        if classic {
            r.error("name".into(), format!("missing `{name_key}`"));
        }
    } else if !is_valid_plugin_name(&plugin.name) {
        r.push(
            "name".into(),
            format!(
                "`{name_key}` `{}` is not a portable plugin name (1 to {MAX_NAME_LEN} of a-z, 0-9, - and _, starting with a letter or digit); upstream takes it, but it becomes part of file names",
                plugin.name
            ),
        );
    }
    for (canonical, value) in [("pluginversion", &plugin.version), ("image", &plugin.image)] {
        let key = r.key(keys::PLUGIN, canonical);
        if value.is_empty() {
            if classic {
                r.error(canonical.into(), format!("missing `{key}`"));
            }
        } else if value.trim().is_empty() {
            r.push(canonical.into(), format!("`{key}` is blank"));
        }
    }
    let entry_key = r.key(keys::PLUGIN, "entrypoint");
    match &plugin.entrypoint {
        None if spelling == Spelling::Upstream => {
            r.error(
                "entrypoint".into(),
                "missing `entrypoint` (with `script`; `shell` defaults to /bin/sh)".into(),
            );
        }
        Some(ep) if ep.script.is_empty() && classic => {
            let key = r.key(keys::ENTRYPOINT, "script");
            r.error(
                "entrypoint.script".into(),
                format!("missing `{key}` in `{entry_key}`"),
            );
        }
        Some(ep) if !ep.script.is_empty() && ep.script.trim().is_empty() => {
            let key = r.key(keys::ENTRYPOINT, "script");
            r.push(
                "entrypoint.script".into(),
                format!("`{key}` in `{entry_key}` is blank"),
            );
        }
        _ => {}
    }
    let hook_key = r.key(keys::PLUGIN, "hooktype");
    match (plugin.plugin_type, plugin.hook_type) {
        (PluginType::Hook, None) => r.push(
            "hooktype".into(),
            format!("a hook should say when it runs: `{hook_key}` pre, post or fail"),
        ),
        (PluginType::Task, Some(_)) => r.push(
            "hooktype".into(),
            format!("`{hook_key}` is only for hooks; this plugin is a task"),
        ),
        _ => {}
    }
    questions(&mut r, &plugin.questions, "questions");
    for canonical in ["defaultconfig", "defaultassets"] {
        let list = if canonical == "defaultconfig" {
            &plugin.default_config
        } else {
            &plugin.default_assets
        };
        named_values(&mut r, list, canonical);
    }
    r.out
}

fn questions<'p>(r: &mut Rules<'p>, list: &'p [Question], path: &str) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let name_key = r.key(keys::QUESTION, "name");
    for (i, q) in list.iter().enumerate() {
        let qp = format!("{path}[{i}]");
        if q.name.trim().is_empty() {
            r.push(
                join(&qp, "name"),
                format!("a question needs a `{name_key}`"),
            );
        } else if let Some(first) = seen.insert(q.name.as_str(), i) {
            seen.insert(q.name.as_str(), first);
            r.push(
                join(&qp, "name"),
                format!(
                    "duplicate question name `{}` (also question {} of this level); upstream asks both and keeps the last answer",
                    q.name,
                    first + 1
                ),
            );
        }
        question(r, q, &qp);
    }
}

fn question<'p>(r: &mut Rules<'p>, q: &'p Question, qp: &str) {
    if let Some(re) = q.regexp.as_deref()
        && !r.compiled.contains(&re)
    {
        match crate::goregex::translate(re) {
            Ok(_) => r.compiled.push(re),
            Err(why) => {
                let key = r.key(keys::QUESTION, "regexp");
                r.push(
                    join(qp, "regexp"),
                    format!(
                        "`{key}` of question `{}` is not a valid Go regexp ({why}); upstream's CLI fails when it asks this question",
                        q.name
                    ),
                );
            }
        }
    }
    for (canonical, value) in [("minlength", q.min_length), ("maxlength", q.max_length)] {
        if let Some(n) = value
            && n < 0
        {
            let key = r.key(keys::QUESTION, canonical);
            r.push(
                join(qp, canonical),
                format!("`{key}` {n} of question `{}` is negative", q.name),
            );
        }
    }
    if let (Some(min), Some(max)) = (q.min_length, q.max_length)
        && min > max
        && max > 0
    {
        let min_key = r.key(keys::QUESTION, "minlength");
        let max_key = r.key(keys::QUESTION, "maxlength");
        r.push(
            join(qp, "minlength"),
            format!(
                "`{min_key}` {min} is greater than `{max_key}` {max} in question `{}`",
                q.name
            ),
        );
    }
    if !q.options.is_empty()
        && let Some(default) = &q.default
        && !q.options.contains(default)
    {
        let key = r.key(keys::QUESTION, "default");
        r.push(
            join(qp, "default"),
            format!(
                "`{key}` `{default}` of question `{}` is not one of its options: {}",
                q.name,
                q.options.join(", ")
            ),
        );
    }
    let mut seen_options: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (i, option) in q.options.iter().enumerate() {
        if !seen_options.insert(option.as_str()) {
            let key = r.key(keys::QUESTION, "multiselect");
            r.push(
                format!("{}[{i}]", join(qp, "multiselect")),
                format!(
                    "duplicate option `{option}` in `{key}` of question `{}`",
                    q.name
                ),
            );
        }
    }
    for (i, sub) in q.sub_questions.iter().enumerate() {
        let sp = format!("{}[{i}]", join(qp, "subquestions"));
        if !q.options.is_empty() && !q.options.contains(&sub.if_value) {
            let key = r.key(keys::SUB_QUESTION, "ifvalue");
            r.push(
                join(&sp, "ifvalue"),
                format!(
                    "`{key}` `{}` is not one of the options of question `{}`: {}",
                    sub.if_value,
                    q.name,
                    q.options.join(", ")
                ),
            );
        }
        questions(r, &sub.questions, &join(&sp, "questions"));
    }
}

fn named_values(r: &mut Rules<'_>, list: &[NamedValue], path: &str) {
    let list_key = r.key(keys::PLUGIN, path);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, nv) in list.iter().enumerate() {
        let np = format!("{path}[{i}]");
        if nv.name.trim().is_empty() {
            r.push(
                join(&np, "name"),
                format!("an entry of `{list_key}` needs a `name`"),
            );
        } else if let Some(first) = seen.insert(nv.name.as_str(), i) {
            seen.insert(nv.name.as_str(), first);
            r.push(
                join(&np, "name"),
                format!(
                    "duplicate name `{}` in `{list_key}` (also entry {})",
                    nv.name,
                    first + 1
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::violations;
    use crate::model::{Entrypoint, Plugin, Question, Spelling};

    /// A regexp shared by several questions is checked once when it is
    /// valid, and reported at every question when it is not.
    #[test]
    fn shared_regexps_checked_once_reported_everywhere() {
        let mut plugin = Plugin {
            name: "p".into(),
            version: "1".into(),
            image: "i".into(),
            entrypoint: Some(Entrypoint {
                shell: Entrypoint::DEFAULT_SHELL.into(),
                script: "run".into(),
            }),
            ..Plugin::default()
        };
        for (name, re) in [("A", "^[a-z]+$"), ("B", "^[a-z]+$"), ("C", "("), ("D", "(")] {
            let mut q = Question::new(name);
            q.regexp = Some(re.into());
            plugin.questions.push(q);
        }
        let paths: Vec<String> = violations(&plugin, Spelling::Upstream)
            .into_iter()
            .map(|v| v.path)
            .collect();
        assert_eq!(paths, ["questions[2].regexp", "questions[3].regexp"]);
    }
}
