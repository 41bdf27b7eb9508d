//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong reading the config, planning, fetching,
/// extracting or publishing. Messages name the file, artifact or entry at
/// fault and never contain a secret.
///
/// # Examples
///
/// ```
/// use plugin_manager::{Error, LockFile};
/// let err = LockFile::from_str("version: 3\n", "x.lock").unwrap_err();
/// assert!(matches!(err, Error::Config(_)));
/// assert_eq!(err.to_string(), "x.lock: lock file version 3 is not supported (expected 1)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config (or lock file) is malformed or inconsistent. The message
    /// starts with `file:line:col:` where a position is known.
    #[error("{0}")]
    Config(String),
    /// A mistake in the config at a known place, as data: the file, and the
    /// problem (line, column, marked length, a message without the
    /// position, the expected keys, a hint), so a front end can show the
    /// line with a marker under it. The text is `file:line:col: message`
    /// and the hint.
    ///
    /// ```
    /// use plugin_manager::{Error, ManagerConfig};
    /// let yaml = "plugins:\n  providers:\n    - {type: locl, name: a, path: x}\n";
    /// let err = ManagerConfig::from_str(yaml, "c.yaml".as_ref()).unwrap_err();
    /// let Error::ConfigAt { file, problem } = &err else { panic!("{err}") };
    /// assert_eq!((file.as_str(), problem.line, problem.column, problem.len), ("c.yaml", 3, 14, 4));
    /// assert_eq!(problem.message, "unknown value `locl` for `type`");
    /// assert_eq!(problem.help.as_deref(), Some("did you mean \"local\"?"));
    /// assert!(err.is_config());
    /// ```
    #[error("{file}:{problem}")]
    ConfigAt {
        /// The config file as given.
        file: String,
        /// What is wrong and where.
        problem: Box<plugin_spec::Problem>,
    },
    /// Reading or writing a local file failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done (`"reading"`, `"creating folder"`, ...).
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A provider failed (not found, denied, network after retries).
    #[error(transparent)]
    Fetch(#[from] plugin_repo::RepoError),
    /// The artifact's bytes do not match its pin.
    #[error(
        "checksum mismatch for {artifact}: expected sha256 {expected}, got {actual}{pin_origin}"
    )]
    Checksum {
        /// The artifact (source key).
        artifact: String,
        /// The pinned digest (hex).
        expected: String,
        /// The digest of what was downloaded (hex).
        actual: String,
        /// `" (pin from ...)"`: where the expected value came from.
        pin_origin: String,
    },
    /// An archive entry was refused (unsafe path, link, device, limit, ...).
    #[error("unsafe archive {artifact}: entry {entry:?}: {reason}")]
    UnsafeArchive {
        /// The artifact (source key).
        artifact: String,
        /// The entry name as found in the archive (escaped in the message).
        entry: String,
        /// Why it was refused.
        reason: String,
    },
    /// The archive could not be read (corrupt, truncated, wrong format).
    #[error("cannot read archive {artifact}: {detail}")]
    BadArchive {
        /// The artifact (source key).
        artifact: String,
        /// What the decoder said.
        detail: String,
    },
    /// Two artifacts give the same file or the same plugin name.
    #[error("{what} {name:?} comes from both {first} and {second}")]
    Conflict {
        /// `"file"` or `"plugin"`.
        what: &'static str,
        /// The file path or plugin name.
        name: String,
        /// The first source.
        first: String,
        /// The second source.
        second: String,
    },
    /// A YAML plugin in the new set is invalid.
    #[error("invalid YAML plugin {file} from {artifact}: {source}")]
    InvalidPlugin {
        /// The file in the plugin set.
        file: String,
        /// The artifact it came from.
        artifact: String,
        /// Why: reading the file failed, or plugin-spec refused it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `--locked` was asked for and some artifacts have no sha256 pin.
    #[error("--locked: no sha256 pin for {}; run `optimus-plugin lock -c CONFIG` or add `sha256:`", .0.join(", "))]
    Unpinned(Vec<String>),
    /// Another install or sync holds the lock on this plugin folder.
    #[error("another install or sync is running on {} (lock file {}); gave up after {waited_secs} s", plugin_dir.display(), lock.display())]
    Locked {
        /// The plugin folder.
        plugin_dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// How long we waited.
        waited_secs: u64,
    },
    /// The plugin folder is managed by `optimus-plugin sync` (its sync
    /// state lists YAML plugins), so install refuses it (exit code 2).
    #[error(
        "{} is managed by `optimus-plugin sync` (state file {}, synced from {url}); install refuses to replace it. Point plugin_dir (or --plugin-dir) at another folder, or delete {} to hand the folder over to install",
        plugin_dir.display(), state.display(), state.display()
    )]
    ManagedBySync {
        /// The plugin folder.
        plugin_dir: PathBuf,
        /// Its sync state file.
        state: PathBuf,
        /// The server URL recorded in that state (without credentials).
        url: String,
    },
    /// The plugin folder or its state is not in a shape this tool manages.
    #[error("{0}")]
    State(String),
    /// The volume holding the plugin folder has no room for the new set
    /// (checked before writing, or a write failed with `ENOSPC`). The
    /// staging folder was removed and the old set is untouched.
    #[error("{source}; the plugin set was left as it was")]
    NoSpace {
        /// The folder, what was needed and what is free.
        #[from]
        source: safe_fs::space::NoSpace,
    },
    /// The install was cancelled (SIGTERM or SIGINT in the CLI): downloads
    /// stopped, the staging folder removed, the old set untouched.
    #[error("install into {} cancelled; the plugin set was left as it was", plugin_dir.display())]
    Cancelled {
        /// The plugin folder.
        plugin_dir: PathBuf,
    },
}

impl Error {
    /// True when the error is the user's config (exit code 2 in the CLI),
    /// false when the work itself failed (exit code 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use plugin_manager::ManagerConfig;
    /// let err = ManagerConfig::from_str("plugins:\n  nope: 1\n", "c.yaml".as_ref()).unwrap_err();
    /// assert!(err.is_config());
    /// let dir = tempfile::tempdir().unwrap();
    /// let err = plugin_manager::verify(dir.path()).unwrap_err();
    /// assert!(!err.is_config(), "{err}");
    /// ```
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            Error::Config(_)
                | Error::ConfigAt { .. }
                | Error::Unpinned(_)
                | Error::ManagedBySync { .. }
        ) || matches!(self, Error::Fetch(plugin_repo::RepoError::Config(_)))
    }

    pub(crate) fn config_at(file: &str, problem: plugin_spec::Problem) -> Error {
        Error::ConfigAt {
            file: file.to_owned(),
            problem: Box::new(problem),
        }
    }

    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { what, path, source }
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
