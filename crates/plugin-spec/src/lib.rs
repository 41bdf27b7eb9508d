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
//!
//! [`check_path`] checks a file or a folder of plugin files as upstream
//! discovers them ([`files`]) and returns a [`Report`] of every file with
//! its errors and warnings, which `optimus-plugin validate` prints.

mod answers;
mod decode;
mod error;
mod fast;
pub mod files;
mod goregex;
mod keys;
mod model;
mod node;
mod report;
mod specformat;
mod validate;

use std::path::Path;

pub use answers::{AnswerProblem, Answers, AnswersError, JobDefaults};
pub use error::{Problem, Severity, SpecError, Violation};
pub use model::{
    AssetParser, Entrypoint, Evaluator, HookType, NamedValue, Plugin, PluginType, PluginVersion,
    Question, Spelling, SubQuestion,
};
pub use report::{FileReport, Report, check_path, check_paths};
pub use validate::{MAX_NAME_LEN, is_valid_plugin_name};

/// A plugin that loads (upstream's loader for its format takes it), with
/// the warnings found besides.
///
/// ```
/// let src = "name: Neo\nplugintype: task\npluginversion: 1\nimage: neo:1\n\
///            entrypoint:\n  script: run\n";
/// let loaded = plugin_spec::check_str(src, "neo.yaml")?;
/// assert_eq!(loaded.spelling, plugin_spec::Spelling::Upstream);
/// assert!(loaded.render_warnings().starts_with("neo.yaml:1:7: "));
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Loaded {
    /// The plugin.
    pub plugin: Plugin,
    /// The format the file is written in.
    pub spelling: Spelling,
    /// What upstream takes but we point out, in source order.
    pub warnings: Vec<Problem>,
    /// The label messages use (usually the file path).
    pub origin: String,
}

impl Loaded {
    /// The warnings as `origin:line:col: message`, one per line.
    ///
    /// ```
    /// let src = "name: Neo\nplugintype: task\npluginversion: 1\nimage: neo:1\n\
    ///            entrypoint:\n  script: run\n";
    /// let loaded = plugin_spec::check_str(src, "optimus-plugin-neo.yaml")?;
    /// assert!(loaded.render_warnings().starts_with("optimus-plugin-neo.yaml:1:"));
    /// # Ok::<(), plugin_spec::SpecError>(())
    /// ```
    pub fn render_warnings(&self) -> String {
        error::render(&self.origin, &self.warnings)
    }
}

/// Parses and checks a YAML plugin in any of its three formats: the error
/// is returned exactly when upstream's loader for the file's format refuses
/// it; everything else found is a warning of [`Loaded`].
///
/// `origin` names the source in messages (usually the file path). The
/// format is detected from the top-level keys: `version` with
/// `plugin_versions` is the v0.20.7+ spec format, else the spelling most
/// keys belong to (classic lowercase or the design's PascalCase).
///
/// ```
/// let src = "name: Neo\nplugintype: task\npluginversion: 1\nimage: neo:1\n\
///            entrypoint:\n  script: run\n";
/// let loaded = plugin_spec::check_str(src, "optimus-plugin-neo.yaml")?;
/// // Upstream takes a capital in the name; we warn, with the position.
/// assert_eq!(loaded.warnings[0].line, 1);
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
pub fn check_str(src: &str, origin: &str) -> Result<Loaded, SpecError> {
    // A plugin with nothing to say about needs no positions: read it
    // straight into the model. Anything else (or anything unusual) goes
    // through the full loader, which keeps every position for the messages.
    if let Some((plugin, spelling)) = fast::load(src) {
        #[cfg(debug_assertions)]
        match load_positioned(src, origin) {
            Ok(full) => {
                debug_assert_eq!(full.plugin, plugin, "fast and full loaders disagree");
                debug_assert!(full.warnings.is_empty(), "fast path skipped warnings");
            }
            Err(err) => debug_assert!(
                false,
                "fast loader accepted what the full one refuses: {err}"
            ),
        }
        return Ok(Loaded {
            plugin,
            spelling,
            warnings: Vec::new(),
            origin: origin.to_owned(),
        });
    }
    load_positioned(src, origin)
}

/// Parses and checks a YAML plugin ([`check_str`]), dropping the warnings.
///
/// On failure the error lists every error found, YAML syntax first (which
/// stops parsing), else all schema and rule errors, sorted by position; its
/// `Display` prints one `origin:line:col: message` per line.
///
/// ```
/// let err = plugin_spec::load_str("name: x\nname: y\n", "dup.yaml").unwrap_err();
/// let dup = err.problems().iter().find(|p| p.message.contains("duplicate key `name`"));
/// assert_eq!(dup.map(|p| (p.line, p.column)), Some((2, 1)));
/// ```
pub fn load_str(src: &str, origin: &str) -> Result<Plugin, SpecError> {
    check_str(src, origin).map(|l| l.plugin)
}

/// Like [`load_str`], also telling which format the source used.
///
/// ```
/// let src = "Name: neo\nVersion: 1.0.0\nImage: neo:1\nEntrypoint:\n  Script: run\n";
/// let (plugin, spelling) = plugin_spec::load_with_spelling(src, "neo.yaml")?;
/// assert_eq!((plugin.name.as_str(), spelling), ("neo", plugin_spec::Spelling::Design));
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
pub fn load_with_spelling(src: &str, origin: &str) -> Result<(Plugin, Spelling), SpecError> {
    check_str(src, origin).map(|l| (l.plugin, l.spelling))
}

/// The full loader: node tree with positions, schema checks, rules; every
/// finding with its line and column.
fn load_positioned(src: &str, origin: &str) -> Result<Loaded, SpecError> {
    let parsed = node::parse(src).map_err(|(pos, message)| SpecError::Invalid {
        origin: origin.to_owned(),
        problems: vec![Problem::at(pos.line, pos.col, message)],
        warnings: Vec::new(),
    })?;
    let root = &parsed.root;
    let decoded = if specformat::is_spec(root) {
        specformat::decode(src, root)
    } else {
        decode::decode(src, root, decode::detect(root))
    };
    let mut errors = decoded.problems.clone();
    let mut warnings = decoded.warnings.clone();
    if let Some(pos) = parsed.second_document {
        warnings.push((
            pos,
            "a second YAML document starts here; upstream reads only the first, and so do we"
                .to_owned(),
        ));
    }
    // A value the schema already refused (wrong type, unknown word) is not
    // reported again by the rules as missing: one finding per spot.
    for v in validate::violations(&decoded.plugin, decoded.spelling) {
        let pos = decoded.position(&v.path);
        if decoded.refused.contains(&pos) {
            continue;
        }
        // A missing key is shown at the mapping that lacks it (the key
        // owning it, or its list entry's `-`), not at that mapping's first
        // key.
        let found = match decoded.missing_at(&v.path, src) {
            Some((at, len)) => Problem::at(at.line, at.col, v.message).with_len(len),
            None => Problem::at(pos.line, pos.col, v.message),
        };
        match v.severity {
            Severity::Error => errors.add(found),
            Severity::Warning => warnings.add(found),
        }
    }
    errors.help_missing();
    warnings.help_missing();
    if errors.is_empty() {
        return Ok(Loaded {
            plugin: decoded.plugin,
            spelling: decoded.spelling,
            warnings: warnings.sorted(),
            origin: origin.to_owned(),
        });
    }
    Err(SpecError::Invalid {
        origin: origin.to_owned(),
        problems: errors.sorted(),
        warnings: warnings.sorted(),
    })
}

/// Reads and checks a YAML plugin file ([`check_str`]); messages name the
/// path, and a file name other than `optimus-plugin-<name>.yaml` is a
/// warning (at 0:0).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("optimus-plugin-old.yaml");
/// std::fs::write(&path, "name: neo\nplugintype: task\npluginversion: 1\nimage: neo:1\n\
///                        entrypoint:\n  script: run\n")?;
/// let loaded = plugin_spec::check_file(&path)?;
/// assert_eq!((loaded.warnings[0].line, loaded.warnings[0].column), (0, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_file(path: &Path) -> Result<Loaded, SpecError> {
    let bytes = std::fs::read(path).map_err(|source| SpecError::Read {
        path: path.to_owned(),
        source,
    })?;
    let shown = path.display().to_string();
    let src = String::from_utf8(bytes).map_err(|e| SpecError::Invalid {
        origin: shown.clone(),
        problems: vec![Problem::unplaced(format!("not UTF-8 text ({e})"))],
        warnings: Vec::new(),
    })?;
    let mut loaded = check_str(&src, &shown)?;
    if let Some(file) = path.file_name().and_then(|n| n.to_str())
        && let Some(w) = files::file_name_warning(file, &loaded.plugin.name)
    {
        loaded.warnings.insert(0, Problem::unplaced(w));
    }
    Ok(loaded)
}

/// Reads, parses and checks a YAML plugin file; messages name the path.
///
/// ```
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/plugins/optimus-plugin-bq2bq.yaml");
/// let plugin = plugin_spec::load_file(std::path::Path::new(path))?;
/// assert_eq!(plugin.name, "bq2bq");
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
pub fn load_file(path: &Path) -> Result<Plugin, SpecError> {
    check_file(path).map(|l| l.plugin)
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
    ///
    /// ```
    /// let mut plugin = plugin_spec::Plugin::default();
    /// plugin.name = "neo".into();
    /// assert_eq!(plugin.file_name(), "optimus-plugin-neo.yaml");
    /// ```
    pub fn file_name(&self) -> String {
        files::file_name_for(&self.name)
    }
}
