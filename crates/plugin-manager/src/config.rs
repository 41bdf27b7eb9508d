//! The manager's part of the Optimus server config: the `plugins:` section
//! (form 1, providers + plugins) and the `plugin:` section (form 2, a list of
//! go-getter style sources). Every other top-level key is ignored; inside
//! these two sections an unknown key is an error with file, line and column.

use std::path::{Path, PathBuf};

use plugin_repo::{ProviderConfig, ProviderEntry, ProviderSet, Source};
use plugin_spec::Problem;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::{Error, Result};
use crate::extract::Limits;

#[path = "config_place.rs"]
mod place;

/// Name of the lock file written beside the config by `optimus-plugin lock`.
pub const LOCK_FILE_NAME: &str = "optimus-plugins.lock";

#[derive(Deserialize)]
struct TopLevel {
    #[serde(default)]
    plugins: Option<PluginsSection>,
    #[serde(default)]
    plugin: Option<PluginSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginsSection {
    #[serde(default)]
    plugin_dir: Option<Spanned<String>>,
    /// Upstream's newer name for the plugin folder (goto/optimus v0.20.7+).
    #[serde(default)]
    location: Option<Spanned<String>>,
    #[serde(default)]
    providers: Vec<Spanned<ProviderEntry>>,
    #[serde(default)]
    plugins: Vec<Spanned<PluginEntry>>,
    #[serde(default)]
    limits: Option<Limits>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginEntry {
    provider: Spanned<String>,
    path: Spanned<String>,
    #[serde(default)]
    sha256: Option<Spanned<String>>,
    #[serde(default)]
    archive: Option<String>,
    #[serde(default)]
    filename: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginSection {
    #[serde(default)]
    artifacts: Vec<Spanned<String>>,
}

/// Where one artifact comes from, as written in the config.
#[derive(Debug, Clone)]
pub enum ArtifactSource {
    /// Form 1: a named provider and a path under it.
    Provider {
        /// Provider name.
        provider: String,
        /// Path relative to the provider's base.
        path: String,
        /// `archive:` option (`false`, `tar.gz`, `zip`, ...).
        archive: Option<String>,
        /// `filename:` option.
        filename: Option<String>,
    },
    /// Form 2 (or `OPTIMUS_PLUGIN_ARTIFACTS`): a parsed source URL or path.
    Source(Box<Source>),
}

/// One artifact entry of the config.
#[derive(Debug, Clone)]
pub struct ArtifactEntry {
    /// `file:line:col` of the entry (or `OPTIMUS_PLUGIN_ARTIFACTS`), for
    /// messages.
    pub origin: String,
    /// Where it comes from.
    pub source: ArtifactSource,
    /// The sha256 pin written in the config (`sha256:` or
    /// `?checksum=sha256:`), lowercase hex.
    pub sha256: Option<String>,
}

impl ArtifactEntry {
    /// The stable key of this artifact: `provider:path` for form 1, the
    /// source without secrets or options for form 2. Receipts and the lock
    /// file use it.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::{ArtifactSource, ManagerConfig};
    /// let yaml = "plugins:\n  providers:\n    - {type: local, name: dist, path: ./dist}\n  plugins:\n    - {provider: dist, path: bq2bq.tar.gz}\n";
    /// let cfg = ManagerConfig::from_str(yaml, "c.yaml".as_ref()).unwrap();
    /// let entry = &cfg.artifacts[0];
    /// assert_eq!(entry.key(), "dist:bq2bq.tar.gz");
    /// assert!(matches!(&entry.source, ArtifactSource::Provider { provider, .. } if provider == "dist"));
    /// assert!(entry.origin.starts_with("c.yaml:5:"), "{}", entry.origin);
    /// ```
    pub fn key(&self) -> String {
        match &self.source {
            ArtifactSource::Provider { provider, path, .. } => format!("{provider}:{path}"),
            ArtifactSource::Source(s) => s.display_name().to_owned(),
        }
    }
}

/// The manager config: both forms merged, in file order (form 1 plugins,
/// then form 2 artifacts, then extra sources).
///
/// ```
/// use plugin_manager::ManagerConfig;
/// let yaml = "
/// server: {port: 9100}        # not ours: ignored
/// plugins:
///   plugin_dir: /app/plugins
///   providers:
///     - {type: local, name: dist, path: ./dist}
///   plugins:
///     - {provider: dist, path: bq2bq.tar.gz}
/// plugin:
///   artifacts:
///     - ../extra/optimus-plugin-neo.yaml
/// ";
/// let cfg = ManagerConfig::from_str(yaml, "/etc/optimus/optimus.yaml".as_ref()).unwrap();
/// assert_eq!(cfg.artifacts.len(), 2);
/// assert_eq!(cfg.artifacts[0].key(), "dist:bq2bq.tar.gz");
/// assert_eq!(cfg.plugin_dir.as_deref(), Some("/app/plugins".as_ref()));
///
/// let err = ManagerConfig::from_str("plugins:\n  plugin_dri: x\n", "c.yaml".as_ref()).unwrap_err();
/// assert!(err.to_string().starts_with("c.yaml:2:3:"), "{err}");
///
/// // Upstream's newer name for the folder; both names set apart is an error.
/// let cfg = ManagerConfig::from_str("plugins:\n  location: /srv/p\n", "c.yaml".as_ref()).unwrap();
/// assert_eq!(cfg.plugin_dir.as_deref(), Some("/srv/p".as_ref()));
/// let both = "plugins:\n  plugin_dir: /a\n  location: /b\n";
/// let err = ManagerConfig::from_str(both, "c.yaml".as_ref()).unwrap_err().to_string();
/// assert!(err.starts_with("c.yaml:2:15:") && err.contains("(at c.yaml:3:13)"), "{err}");
/// ```
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// The config file (as given).
    pub file: PathBuf,
    /// Its folder: relative local paths resolve against it.
    pub base_dir: PathBuf,
    /// `plugins.plugin_dir` (or upstream's `plugins.location`) when set and
    /// not empty (relative paths are relative to the current directory, as
    /// for the Optimus server).
    pub plugin_dir: Option<PathBuf>,
    /// The form-1 providers.
    pub providers: Vec<ProviderConfig>,
    /// Every artifact.
    pub artifacts: Vec<ArtifactEntry>,
    /// Extraction limits (`plugins.limits`).
    pub limits: Limits,
}

impl ManagerConfig {
    /// Reads and checks the config file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("optimus.yaml");
    /// std::fs::write(&file, "plugin:\n  artifacts:\n    - dist/optimus-plugin-neo.yaml\n").unwrap();
    /// let cfg = plugin_manager::ManagerConfig::load(&file).unwrap();
    /// assert_eq!(cfg.artifacts.len(), 1);
    /// assert!(plugin_manager::ManagerConfig::load(&dir.path().join("missing.yaml")).is_err());
    /// ```
    pub fn load(file: &Path) -> Result<ManagerConfig> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::Config(format!("cannot read config {}: {e}", file.display())))?;
        Self::from_str(&text, file)
    }

    /// Parses config text; `file` is used for messages and to resolve
    /// relative paths.
    ///
    /// ```
    /// let err = plugin_manager::ManagerConfig::from_str("plugins: [", "/etc/optimus.yaml".as_ref()).unwrap_err();
    /// assert!(err.is_config() && err.to_string().contains("/etc/optimus.yaml"), "{err}");
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, file: &Path) -> Result<ManagerConfig> {
        let shown = file.display().to_string();
        let top: TopLevel =
            serde_saphyr::from_str(text).map_err(|e| yaml_problem(&shown, text, &e))?;
        let base_dir = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Absolute, so paths resolved against it stay right whoever joins
        // them again (providers resolve against the config dir too).
        let base_dir = std::path::absolute(&base_dir).unwrap_or(base_dir);
        let mut cfg = ManagerConfig {
            file: file.to_path_buf(),
            base_dir,
            plugin_dir: None,
            providers: Vec::new(),
            artifacts: Vec::new(),
            limits: Limits::default(),
        };
        let fail = |problem: Problem| Error::config_at(&shown, problem);
        // Where each artifact is written, for the "listed twice" check.
        let mut placed: Vec<(String, Problem)> = Vec::new();
        if let Some(section) = top.plugins {
            cfg.plugin_dir = plugin_folder(&shown, section.plugin_dir, section.location)?;
            if let Some(limits) = section.limits {
                cfg.limits = limits;
            }
            let mut providers = Vec::new();
            let mut names: Vec<(String, (u64, u64))> = Vec::new();
            for p in section.providers {
                let at = (p.referenced.line(), p.referenced.column());
                let name = p.value.name().to_owned();
                if let Some((_, first)) = names.iter().find(|(n, _)| *n == name) {
                    let (line, column, len) = entry_span(text, at);
                    return Err(fail(
                        Problem::at(line, column, format!("two providers are named {name:?}"))
                            .with_len(len)
                            .with_help(format!(
                                "provider names must be unique; the first is at {shown}:{}:{}",
                                first.0, first.1
                            )),
                    ));
                }
                names.push((name, at));
                let provider = p
                    .value
                    .check()
                    .map_err(|e| fail(provider_problem(text, at, e)))?;
                providers.push(provider);
            }
            let set = ProviderSet::new(providers.clone())
                .map_err(|e| Error::Config(format!("{shown}: {e}")))?;
            let defined: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
            for entry in section.plugins {
                let origin = at(&shown, &entry);
                let e = entry.value;
                if set.get(&e.provider.value).is_err() {
                    return Err(fail(unknown_provider(&e.provider, &defined)));
                }
                let sha256 = e
                    .sha256
                    .as_ref()
                    .map(|s| {
                        normalize_sha256(&s.value).map_err(|m| {
                            fail(
                                spanned_problem(s, format!("sha256: {m}"))
                                    .with_help("give the 64 hex digits of the artifact's sha256 (`optimus-plugin lock` writes them)".into()),
                            )
                        })
                    })
                    .transpose()?;
                if e.path.value.trim().is_empty() {
                    let (line, column) = (e.path.referenced.line(), e.path.referenced.column());
                    return Err(fail(
                        Problem::at(line, column, "`path` is empty".into())
                            .with_help("give the artifact's path under the provider".into()),
                    ));
                }
                let entry = ArtifactEntry {
                    origin,
                    source: ArtifactSource::Provider {
                        provider: e.provider.value,
                        path: e.path.value.trim_start_matches('/').to_owned(),
                        archive: e.archive,
                        filename: e.filename,
                    },
                    sha256,
                };
                if let Err(err) = crate::resolve::entry_format(&entry.source) {
                    return Err(fail(spanned_problem(&e.path, err.to_string()).with_help(
                        "`archive:` is tar.gz, tgz, tar, zip or false (one file, named by `filename:`); without it the path's extension decides".into(),
                    )));
                }
                listed_once(
                    &shown,
                    &mut placed,
                    &entry,
                    spanned_problem(&e.path, String::new()),
                )?;
                cfg.artifacts.push(entry);
            }
            cfg.providers = providers;
        }
        if let Some(section) = top.plugin {
            for raw in section.artifacts {
                let origin = at(&shown, &raw);
                let entry =
                    source_entry(&raw.value, &cfg.base_dir, origin).map_err(|e| match e {
                        Error::Config(m) => fail(spanned_problem(&raw, strip_origin(&m)).with_help(
                        "a source is an https, http, gs, s3, az or file URL, or a path relative to this file; go-getter options as `?checksum=sha256:<hex>`, `?archive=false`, `?filename=NAME`".into(),
                    )),
                        other => other,
                    })?;
                if let Err(err) = crate::resolve::entry_format(&entry.source) {
                    return Err(fail(spanned_problem(&raw, err.to_string()).with_help(
                        "`?archive=` is tar.gz, tgz, tar, zip or false (one file, named by `?filename=`); without it the path's extension decides".into(),
                    )));
                }
                listed_once(
                    &shown,
                    &mut placed,
                    &entry,
                    spanned_problem(&raw, String::new()),
                )?;
                cfg.artifacts.push(entry);
            }
        }
        cfg.check_duplicates()?;
        Ok(cfg)
    }

    /// Adds sources from outside the file (`OPTIMUS_PLUGIN_ARTIFACTS`, split
    /// on commas by the caller); relative paths resolve against `base_dir`.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::ManagerConfig;
    /// let mut cfg = ManagerConfig::from_str("server: {}\n", "c.yaml".as_ref()).unwrap();
    /// let extra = vec!["./optimus-plugin-neo.yaml".to_owned(), " ".to_owned()];
    /// cfg.add_sources(&extra, "/srv".as_ref(), "OPTIMUS_PLUGIN_ARTIFACTS").unwrap();
    /// assert_eq!(cfg.artifacts.len(), 1);
    /// assert_eq!(cfg.artifacts[0].origin, "OPTIMUS_PLUGIN_ARTIFACTS");
    /// // The same source twice is refused.
    /// assert!(cfg.add_sources(&extra, "/srv".as_ref(), "OPTIMUS_PLUGIN_ARTIFACTS").is_err());
    /// ```
    pub fn add_sources(&mut self, sources: &[String], base_dir: &Path, origin: &str) -> Result<()> {
        for raw in sources.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let entry = source_entry(raw, base_dir, origin.to_owned())?;
            self.artifacts.push(entry);
        }
        self.check_duplicates()
    }

    /// The lock file path beside the config.
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::{ManagerConfig, LOCK_FILE_NAME};
    /// let cfg = ManagerConfig::from_str("server: {}\n", "/etc/optimus/optimus.yaml".as_ref()).unwrap();
    /// assert_eq!(cfg.lock_path(), std::path::Path::new("/etc/optimus").join(LOCK_FILE_NAME));
    /// ```
    pub fn lock_path(&self) -> PathBuf {
        self.base_dir.join(LOCK_FILE_NAME)
    }

    fn check_duplicates(&self) -> Result<()> {
        for (i, a) in self.artifacts.iter().enumerate() {
            let key = a.key();
            if let Some(b) = self.artifacts[..i].iter().find(|b| b.key() == key) {
                return Err(Error::Config(format!(
                    "{}: artifact {key} is listed twice (also at {})",
                    a.origin, b.origin
                )));
            }
        }
        Ok(())
    }
}

fn source_entry(raw: &str, base_dir: &Path, origin: String) -> Result<ArtifactEntry> {
    let source =
        Source::parse(raw, base_dir).map_err(|e| Error::Config(format!("{origin}: {e}")))?;
    let sha256 = match &source.options.checksum {
        Some(plugin_repo::Checksum::Sha256(hex)) => Some(
            normalize_sha256(hex).map_err(|m| Error::Config(format!("{origin}: checksum: {m}")))?,
        ),
        _ => None,
    };
    Ok(ArtifactEntry {
        origin,
        source: ArtifactSource::Source(Box::new(source)),
        sha256,
    })
}

/// The plugin folder from `plugins.plugin_dir` and upstream's
/// `plugins.location` (empty counts as unset); both set and different is
/// an error naming both.
fn plugin_folder(
    file: &str,
    plugin_dir: Option<Spanned<String>>,
    location: Option<Spanned<String>>,
) -> Result<Option<PathBuf>> {
    let set = |v: Option<Spanned<String>>| v.filter(|d| !d.value.trim().is_empty());
    match (set(plugin_dir), set(location)) {
        (Some(a), Some(b)) if a.value != b.value => Err(Error::config_at(
            file,
            spanned_problem(
                &a,
                format!(
                    "plugins.plugin_dir `{}` and plugins.location `{}` (at {}) name different plugin folders",
                    a.value,
                    b.value,
                    at(file, &b),
                ),
            )
            .with_help("set one of them (`location` is upstream's newer name)".into()),
        )),
        (Some(a), _) => Ok(Some(PathBuf::from(a.value))),
        (None, Some(b)) => Ok(Some(PathBuf::from(b.value))),
        (None, None) => Ok(None),
    }
}

/// A problem over the value of `s`, marked over its text.
fn spanned_problem(s: &Spanned<String>, message: String) -> Problem {
    Problem::at(s.referenced.line(), s.referenced.column(), message)
        .with_len(place::chars(&s.value))
}

/// A message of this module without the `file:line:col: ` it starts with.
fn strip_origin(message: &str) -> String {
    message
        .split_once(": ")
        .map_or(message, |(_, rest)| rest)
        .to_owned()
}

/// Line, column and marked length of the list entry whose first key is at
/// `at`: its `-` where the text shows one.
fn entry_span(text: &str, at: (u64, u64)) -> (u64, u64, u64) {
    match place::owner(text, at.0, at.1) {
        Some(o @ place::Owner::Item { .. }) => o.span(),
        _ => (at.0, at.1, 0),
    }
}

/// A refused provider entry as a problem: at the key at fault when its
/// position is known, else at the entry.
fn provider_problem(text: &str, at: (u64, u64), e: plugin_repo::ProviderProblem) -> Problem {
    let mut p = if e.line > 0 {
        let len = text
            .lines()
            .nth(usize::try_from(e.line - 1).unwrap_or(usize::MAX))
            .and_then(|l| {
                let start = usize::try_from(e.column.saturating_sub(1)).ok()?;
                let value = l.get(start..)?;
                let end = value.find(" #").unwrap_or(value.len());
                Some(place::chars(value[..end].trim_end()))
            })
            .unwrap_or(0);
        // The key's own position: the value's line, where the key starts.
        match e.key.and_then(|k| key_column(text, e.line, k)) {
            Some(col) => {
                Problem::at(e.line, col, e.message).with_len(place::chars(e.key.unwrap_or("")))
            }
            None => Problem::at(e.line, e.column, e.message).with_len(len),
        }
    } else {
        let (line, column, len) = entry_span(text, at);
        Problem::at(line, column, e.message).with_len(len)
    };
    if let Some(help) = e.help {
        p = p.with_help(help);
    }
    p
}

/// The 1-based column where `key:` is written on `line`, if it is.
fn key_column(text: &str, line: u64, key: &str) -> Option<u64> {
    let l = text
        .lines()
        .nth(usize::try_from(line.checked_sub(1)?).ok()?)?;
    let needle = format!("{key}:");
    let i = l.find(&needle)?;
    let ok = i == 0 || l[..i].ends_with([' ', '{', ',', '-']);
    ok.then(|| place::chars(&l[..i]) + 1)
}

/// A plugin entry names a provider that is not defined.
fn unknown_provider(provider: &Spanned<String>, defined: &[&str]) -> Problem {
    let name = &provider.value;
    let list = if defined.is_empty() {
        "no provider is defined in `plugins.providers`".to_owned()
    } else {
        format!("defined providers: {}", defined.join(", "))
    };
    let guess = Problem::at(0, 0, String::new())
        .with_expected(defined, name)
        .help;
    let help = match guess {
        Some(g) => format!("{g} ({list})"),
        None => list,
    };
    spanned_problem(provider, format!("provider {name:?} is not defined")).with_help(help)
}

/// Refuses `entry` when an artifact with the same key is already listed.
fn listed_once(
    file: &str,
    placed: &mut Vec<(String, Problem)>,
    entry: &ArtifactEntry,
    here: Problem,
) -> Result<()> {
    let key = entry.key();
    if let Some((_, first)) = placed.iter().find(|(k, _)| *k == key) {
        return Err(Error::config_at(
            file,
            Problem::at(
                here.line,
                here.column,
                format!("artifact {key} is listed twice"),
            )
            .with_len(here.len)
            .with_help(format!(
                "remove one; the first is at {file}:{}:{}",
                first.line, first.column
            )),
        ));
    }
    placed.push((key, here));
    Ok(())
}

fn at<T>(file: &str, s: &Spanned<T>) -> String {
    format!("{file}:{}:{}", s.referenced.line(), s.referenced.column())
}

/// Checks a sha256 pin: 64 hex digits, an optional `sha256:` prefix.
pub(crate) fn normalize_sha256(raw: &str) -> std::result::Result<String, String> {
    let hex = raw.trim();
    let hex = hex
        .strip_prefix("sha256:")
        .unwrap_or(hex)
        .to_ascii_lowercase();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(format!("{raw:?} is not a sha256 digest (64 hex digits)"))
    }
}

/// A YAML or schema error of a config file as a placed problem
/// ([`Error::ConfigAt`]): the message without its position, a missing key
/// moved to the mapping that lacks it, the closest expected key or value as
/// help. `text` is the file's content. The manager config's loader uses it;
/// so can a front end for another config file read with serde-saphyr (the
/// sync client config), to show its mistakes the same way.
///
/// # Examples
///
/// ```
/// let text = "host: [localhost\n";
/// let e = serde_saphyr::from_str::<std::collections::BTreeMap<String, String>>(text).unwrap_err();
/// let err = plugin_manager::config::yaml_problem("client.yaml", text, &e);
/// let plugin_manager::Error::ConfigAt { problem, .. } = &err else { panic!("{err}") };
/// assert_eq!((problem.line, problem.column), (1, 7));
/// assert!(!problem.message.contains("line 1"), "{}", problem.message);
/// ```
pub fn yaml_problem(file: &str, text: &str, e: &serde_saphyr::Error) -> Error {
    use serde_saphyr::Error as E;
    let inner = e.without_snippet();
    let Some(loc) = e.location() else {
        return yaml_error(file, e);
    };
    let (line, column) = (loc.line(), loc.column());
    let problem = match inner {
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            let within = place::owner(text, line, column)
                .map(|o| format!(" in {}", o.describe()))
                .unwrap_or_default();
            Problem::at(line, column, format!("unknown key `{field}`{within}"))
                .with_len(place::chars(field))
                .with_expected(expected, field)
        }
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let of = place::key_before(text, line, column)
                .map(|k| format!(" for `{k}`"))
                .unwrap_or_default();
            let mut p = Problem::at(line, column, format!("unknown value `{variant}`{of}"))
                .with_len(place::chars(variant))
                .with_expected(expected, variant);
            if p.help.is_none() {
                p = p.with_help(format!("one of {}", expected.join(", ")));
            }
            p
        }
        E::SerdeMissingField { field, .. } => match place::owner(text, line, column) {
            Some(owner) => {
                let (l, c, len) = owner.span();
                let what = owner.describe();
                Problem::at(l, c, format!("missing `{field}` in {what}"))
                    .with_len(len)
                    .with_help(format!("`{field}` is required; add `{field}:` to {what}"))
            }
            None => Problem::at(line, column, format!("missing `{field}`"))
                .with_help(format!("`{field}` is required at the top of the section")),
        },
        other => {
            let msg = serde_saphyr::MessageFormatter::format_message(
                &serde_saphyr::DefaultMessageFormatter,
                other,
            );
            let msg = msg.trim().to_owned();
            match msg
                .strip_prefix("expected ")
                .and_then(|m| m.strip_suffix(" start"))
            {
                // `plugins:` given a list, `providers:` given a mapping, ...
                Some(want @ ("mapping" | "sequence")) => {
                    let want = if want == "mapping" {
                        "a mapping"
                    } else {
                        "a list"
                    };
                    let found = place::kind_at(text, line, column);
                    let of = place::owner(text, line, column)
                        .map_or_else(|| "this".to_owned(), |o| o.describe());
                    let help = match (want, of.as_str()) {
                        ("a list", _) => {
                            "write one entry per line, each starting with `- `".to_owned()
                        }
                        (_, "`plugins`") => {
                            "`plugins:` holds plugin_dir, location, providers, plugins and limits"
                                .to_owned()
                        }
                        (_, "`plugin`") => "`plugin:` holds artifacts (a list)".to_owned(),
                        _ => format!("write {of} as `key: value` lines"),
                    };
                    Problem::at(line, column, format!("{of} must be {want}, found {found}"))
                        .with_len(1)
                        .with_help(help)
                }
                _ => Problem::at(line, column, msg),
            }
        }
    };
    let mut problem = problem;
    // Keys and values come from the file: no control character (an ANSI
    // escape in a key) reaches a terminal through the message.
    problem.message = printable(&problem.message);
    problem.help = problem.help.as_deref().map(printable);
    Error::config_at(file, problem)
}

fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `file:line:col: message` for a YAML error.
pub(crate) fn yaml_error(file: &str, e: &serde_saphyr::Error) -> Error {
    let mut options = serde_saphyr::RenderOptions::default();
    options.snippets = serde_saphyr::SnippetMode::Off;
    let msg = e.render_with_options(options);
    match e.location() {
        Some(loc) => Error::Config(format!("{file}:{}:{}: {msg}", loc.line(), loc.column())),
        None => Error::Config(format!("{file}: {msg}")),
    }
}
