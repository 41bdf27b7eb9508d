//! The Optimus YAML plugin model: strict parsing of both spellings,
//! validation that reports every problem with its line and column, questions
//! and answers, and writing back in upstream spelling.
//!
//! A YAML plugin (`optimus-plugin-<name>.yaml`) describes a task or hook: its
//! name, version, image, entrypoint, the questions asked when a job is
//! created, and the default config and assets of a new job. Two spellings
//! exist: upstream Optimus's lowercase keys (`plugintype`, `pluginversion`,
//! ...) and the "Simplify Plugins" design's PascalCase keys (`Name`,
//! `Version`, ...). Both are read into the one [`Plugin`] model.
//!
//! ```
//! let src = "\
//! name: bq2bq
//! plugintype: task
//! pluginversion: 0.3.2
//! image: docker.io/example/bq2bq:0.3.2
//! entrypoint:
//!   script: python3 /opt/bq2bq/main.py
//! questions:
//!   - name: PROJECT
//!     prompt: Project ID
//!     regexp: ^[a-z][a-z0-9-]{4,28}[a-z0-9]$
//!     required: true
//! ";
//! let plugin = plugin_spec::load_str(src, "optimus-plugin-bq2bq.yaml")?;
//! assert_eq!(plugin.version, "0.3.2");
//!
//! // A broken file: every problem, each with file:line:col.
//! let err = plugin_spec::load_str("name: Bad Name\nimagee: x\n", "p.yaml").unwrap_err();
//! assert!(err.to_string().contains("p.yaml:2:1: unknown key `imagee`"));
//! # Ok::<(), plugin_spec::SpecError>(())
//! ```

mod answers;
mod decode;
mod error;
mod fast;
mod keys;
mod model;
mod node;
mod validate;

use std::path::Path;

pub use answers::{AnswerProblem, Answers, AnswersError, JobDefaults};
pub use error::{Problem, SpecError, Violation};
pub use model::{
    Entrypoint, HookType, NamedValue, Plugin, PluginType, Question, Spelling, SubQuestion,
};
pub use validate::{MAX_NAME_LEN, is_valid_plugin_name};

/// Parses and validates a YAML plugin.
///
/// `origin` names the source in messages (usually the file path). Either
/// spelling is accepted; the spelling is detected from the top-level keys.
/// On failure the error lists every problem found, YAML syntax first (which
/// stops parsing), else all schema and validation problems, sorted by
/// position; its `Display` prints one `origin:line:col: message` per line.
///
/// ```
/// let err = plugin_spec::load_str("name: x\nname: y\n", "dup.yaml").unwrap_err();
/// let dup = err.problems().iter().find(|p| p.message.contains("duplicate key `name`"));
/// assert_eq!(dup.map(|p| (p.line, p.column)), Some((2, 1)));
/// ```
pub fn load_str(src: &str, origin: &str) -> Result<Plugin, SpecError> {
    load_with_spelling(src, origin).map(|(plugin, _)| plugin)
}

/// Like [`load_str`], also telling which spelling the source used.
pub fn load_with_spelling(src: &str, origin: &str) -> Result<(Plugin, Spelling), SpecError> {
    // A valid plugin needs no positions: read it straight into the model.
    // Anything else (or anything unusual) goes through the full loader,
    // which keeps every position for the messages.
    if let Some(found) = fast::load(src) {
        #[cfg(debug_assertions)]
        match load_positioned(src, origin) {
            Ok(full) => debug_assert_eq!(full, found, "fast and full loaders disagree"),
            Err(err) => debug_assert!(
                false,
                "fast loader accepted what the full one refuses: {err}"
            ),
        }
        return Ok(found);
    }
    load_positioned(src, origin)
}

/// The full loader: node tree with positions, schema checks, rules; every
/// problem with its line and column.
fn load_positioned(src: &str, origin: &str) -> Result<(Plugin, Spelling), SpecError> {
    let invalid = |problems: Vec<Problem>| SpecError::Invalid {
        origin: origin.to_owned(),
        problems,
    };
    let root = node::parse(src).map_err(|(pos, message)| {
        invalid(vec![Problem {
            line: pos.line,
            column: pos.col,
            message,
        }])
    })?;
    let decoded = decode::decode(src, &root);
    let mut problems: Vec<(node::Pos, String)> = decoded.problems.clone();
    // A value the schema already refused (wrong type, unknown word) is not
    // reported again by the rules as missing: one problem per spot.
    for v in validate::violations(&decoded.plugin, decoded.spelling) {
        let pos = decoded.position(&v.path);
        if !decoded.refused.contains(&pos) {
            problems.push((pos, v.message));
        }
    }
    if problems.is_empty() {
        return Ok((decoded.plugin, decoded.spelling));
    }
    problems.sort_by_key(|(pos, _)| *pos);
    Err(invalid(
        problems
            .into_iter()
            .map(|(pos, message)| Problem {
                line: pos.line,
                column: pos.col,
                message,
            })
            .collect(),
    ))
}

/// Reads, parses and validates a YAML plugin file; messages name the path.
pub fn load_file(path: &Path) -> Result<Plugin, SpecError> {
    let src = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_owned(),
        source,
    })?;
    load_str(&src, &path.display().to_string())
}

impl Plugin {
    /// Checks the validation rules on a plugin (for example one built in
    /// code), returning every violation. The rules are those of the upstream
    /// spelling, which [`Plugin::to_yaml`] writes.
    ///
    /// ```
    /// let mut plugin = plugin_spec::Plugin::default();
    /// plugin.name = "neo".into();
    /// let problems = plugin.validate().unwrap_err();
    /// assert!(problems.iter().any(|v| v.path == "image"));
    /// ```
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let violations = validate::violations(self, Spelling::Upstream);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }

    /// Writes the plugin as YAML in upstream spelling (lowercase keys, empty
    /// optional fields left out). For a plugin that is valid in upstream
    /// spelling, [`load_str`] reads the output back to an equal model. (A
    /// design-spelling plugin without an entrypoint is written without one,
    /// which upstream spelling requires.)
    ///
    /// ```
    /// let src = "Name: neo\nVersion: 1.0.0\nImage: example/neo:1\n\
    ///            Entrypoint:\n  Script: neo run\n";
    /// let plugin = plugin_spec::load_str(src, "neo.yaml")?;
    /// let yaml = plugin.to_yaml();
    /// assert!(yaml.contains("pluginversion:"));
    /// assert_eq!(plugin_spec::load_str(&yaml, "written.yaml")?, plugin);
    /// # Ok::<(), plugin_spec::SpecError>(())
    /// ```
    pub fn to_yaml(&self) -> String {
        // Serialising plain strings, lists and maps cannot fail; fall back to
        // an empty document rather than panic if the serializer ever does.
        serde_saphyr::to_string(self).unwrap_or_default()
    }

    /// The file name the plugin is installed under: `optimus-plugin-<name>.yaml`.
    pub fn file_name(&self) -> String {
        format!("optimus-plugin-{}.yaml", self.name)
    }
}
