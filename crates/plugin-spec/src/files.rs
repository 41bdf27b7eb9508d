//! What a YAML plugin file is, for every command: the one definition.
//!
//! Upstream Optimus discovers YAML plugins in a folder by file name alone:
//! a regular file (or a link to one) whose name starts with
//! `optimus-plugin-` and ends with `.yaml` (case-sensitive; `.yml` is not a
//! plugin). The plugin's name comes from the file's `name:`; the `<name>`
//! part of the file name is only a convention, so a difference is a warning.
//! Two files naming the same plugin make upstream's server refuse to start,
//! so that is an error of the folder.
//!
//! ```
//! use plugin_spec::files;
//! assert_eq!(files::plugin_file_stem("optimus-plugin-bq2bq.yaml"), Some("bq2bq"));
//! assert!(files::plugin_file_stem("optimus-plugin-bq2bq.yml").is_none());
//! assert!(files::plugin_file_stem("sub/optimus-plugin-bq2bq.yaml").is_none());
//! assert_eq!(files::file_name_for("bq2bq"), "optimus-plugin-bq2bq.yaml");
//! ```

use std::path::{Path, PathBuf};

/// File names of YAML plugins start with this.
pub const FILE_PREFIX: &str = "optimus-plugin-";
/// File names of YAML plugins end with this.
pub const FILE_SUFFIX: &str = ".yaml";
/// The plugin folder when neither a flag nor a config names one: `.plugins`,
/// relative to the current directory. Every command (install, list, verify,
/// validate, sync, serve) falls back to it.
pub const DEFAULT_DIR: &str = ".plugins";

/// The `<name>` of `optimus-plugin-<name>.yaml`, when `file_name` is a YAML
/// plugin file name: flat (no `/` or `\`), no control characters, the
/// prefix and the suffix.
///
/// ```
/// use plugin_spec::files::plugin_file_stem;
/// assert_eq!(plugin_file_stem("optimus-plugin-bq2bq.yaml"), Some("bq2bq"));
/// assert_eq!(plugin_file_stem("sub/optimus-plugin-bq2bq.yaml"), None);
/// assert_eq!(plugin_file_stem("bq2bq.yaml"), None);
/// ```
pub fn plugin_file_stem(file_name: &str) -> Option<&str> {
    if file_name.contains(['/', '\\']) || file_name.chars().any(char::is_control) {
        return None;
    }
    file_name
        .strip_prefix(FILE_PREFIX)?
        .strip_suffix(FILE_SUFFIX)
}

/// Whether `file_name` is a YAML plugin file name (see [`plugin_file_stem`]).
///
/// ```
/// assert!(plugin_spec::files::is_plugin_file_name("optimus-plugin-neo.yaml"));
/// assert!(!plugin_spec::files::is_plugin_file_name("optimus-plugin-neo.yml"));
/// ```
pub fn is_plugin_file_name(file_name: &str) -> bool {
    plugin_file_stem(file_name).is_some()
}

/// The conventional file name of plugin `name`: `optimus-plugin-<name>.yaml`.
///
/// ```
/// assert_eq!(plugin_spec::files::file_name_for("neo"), "optimus-plugin-neo.yaml");
/// ```
pub fn file_name_for(name: &str) -> String {
    format!("{FILE_PREFIX}{name}{FILE_SUFFIX}")
}

/// A warning when a plugin named `name` is in a file of another name, else
/// `None`.
///
/// ```
/// use plugin_spec::files::file_name_warning;
/// assert!(file_name_warning("optimus-plugin-neo.yaml", "neo").is_none());
/// let w = file_name_warning("optimus-plugin-old.yaml", "neo").unwrap();
/// assert!(w.contains("optimus-plugin-neo.yaml is the name every tool expects"));
/// ```
pub fn file_name_warning(file_name: &str, name: &str) -> Option<String> {
    let expected = file_name_for(name);
    (file_name != expected).then(|| {
        format!(
            "the file is named {file_name} but holds plugin `{name}`; upstream loads it, but {expected} is the name every tool expects"
        )
    })
}

/// The YAML plugin files of one folder, as upstream discovers them.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"), "name: neo\n")?;
/// std::fs::write(dir.path().join("notes.txt"), "not a plugin")?;
/// let found = plugin_spec::files::discover(dir.path())?;
/// assert_eq!(found.files.len(), 1);
/// assert_eq!(found.files[0].0, "optimus-plugin-neo.yaml");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// (file name, path) of each file upstream reads, sorted by file name.
    pub files: Vec<(String, PathBuf)>,
    /// Files with a plugin file name that upstream passes over, and why.
    pub skipped: Vec<(String, String)>,
}

/// Lists the YAML plugin files at the top of `dir` the way upstream does:
/// sorted by name, folders left out, links followed. Upstream also skips a
/// file when the part of its name before the first `_` occurs in the path
/// of a file found before it (its check for two versions of one binary);
/// such files are in [`Discovery::skipped`].
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"), "name: neo\n")?;
/// std::fs::write(dir.path().join("optimus-plugin-neo.yml"), "name: neo\n")?;
/// let found = plugin_spec::files::discover(dir.path())?;
/// assert_eq!(found.files.len(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn discover(dir: &Path) -> std::io::Result<Discovery> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !is_plugin_file_name(&name) {
            continue;
        }
        let path = entry.path();
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            names.push((name, path));
        }
    }
    names.sort();
    let mut out = Discovery::default();
    let mut seen: Vec<String> = Vec::new();
    for (name, path) in names {
        let key = name.split('_').next().unwrap_or(&name);
        let shown = std::path::absolute(&path)
            .unwrap_or_else(|_| path.clone())
            .display()
            .to_string();
        if let Some(first) = seen.iter().find(|p| p.contains(key)) {
            out.skipped.push((
                name.clone(),
                format!(
                    "upstream skips it: `{key}` (its name up to the first `_`) is part of {first}, found before"
                ),
            ));
            continue;
        }
        seen.push(shown);
        out.files.push((name, path));
    }
    Ok(out)
}

/// Pairs of files that name the same plugin (upstream refuses the folder):
/// `(file, earlier file, plugin name)` for each later one. `plugins` holds
/// (file name, plugin name) in discovery order.
///
/// ```
/// let pairs = [("a.yaml", "neo"), ("b.yaml", "lake"), ("c.yaml", "neo")];
/// assert_eq!(plugin_spec::files::duplicate_names(&pairs), [("c.yaml", "a.yaml", "neo")]);
/// ```
pub fn duplicate_names<'a>(plugins: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str, &'a str)> {
    let mut out = Vec::new();
    for (i, (file, name)) in plugins.iter().enumerate() {
        if let Some((first, _)) = plugins[..i].iter().find(|(_, n)| n == name) {
            out.push((*file, *first, *name));
        }
    }
    out
}

/// The other YAML files at the top of `dir`: regular files (or links to
/// one) named `*.yaml` or `*.yml` (any case) that are not plugin files and
/// not hidden. Upstream ignores them, which their author may not expect.
/// Sorted by path.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("optimus-plugin-neo.yaml"), "name: neo\n")?;
/// std::fs::write(dir.path().join("optimus-plugin-neo.yml"), "name: neo\n")?;
/// std::fs::write(dir.path().join(".state.yaml"), "hidden: true\n")?;
/// let other = plugin_spec::files::other_yaml_files(dir.path())?;
/// assert_eq!(other, [dir.path().join("optimus-plugin-neo.yml")]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn other_yaml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let ext = Path::new(&name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let yamlish = matches!(ext.as_deref(), Some("yaml" | "yml"));
        if name.starts_with('.') || !yamlish || is_plugin_file_name(&name) {
            continue;
        }
        let path = entry.path();
        if path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
