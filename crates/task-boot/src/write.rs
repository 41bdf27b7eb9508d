//! Publishes `JOB_DIR/in` in one step, through [`safe_fs::publish`].
//!
//! Everything is written to a hidden staging folder inside the job dir
//! (`.in.staging-*`) and switched in as `in`. A reader (the executor, a
//! restarted init container) sees no `in` or a complete one. With
//! [`Durability::Sync`] the staging folder is flushed with one `syncfs`
//! before the switch; the default skips it, as `JOB_DIR` is the pod's
//! `emptyDir` and dies with the pod (a node crash takes both). The last
//! file written to the staging folder is the marker [`MARKER_FILE`],
//! holding the request fingerprint, so a restarted init container can tell
//! a finished `in` for the same request.

use std::collections::HashSet;
use std::fs::{self, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use safe_fs::publish::Target;
use secrecy::ExposeSecret;

use crate::{BootError, InputPlan};

/// The folder inside the job dir that holds the inputs.
pub const INPUT_DIR: &str = "in";
/// The env file, relative to [`INPUT_DIR`].
pub const ENV_FILE: &str = ".env";
/// The secret file, relative to [`INPUT_DIR`].
pub const SECRET_FILE: &str = ".secret";
/// The completion marker, relative to [`INPUT_DIR`].
pub const MARKER_FILE: &str = ".optimus-init.json";
/// Mode of `in/` and its sub-folders: owner and group (the pod's fsGroup)
/// may read, nobody else.
pub const DIR_MODE: u32 = 0o750;
/// Mode of the files and `.env`.
pub const FILE_MODE: u32 = 0o640;
/// Mode of `.secret`: group-readable so an executor running as another
/// user in the pod's fsGroup can read it; never world-readable.
pub const SECRET_MODE: u32 = 0o640;

/// The tag of `in/`'s staging folders: `.in.staging-XXXX`.
const STAGING_TAG: &str = "staging";

/// Whether the inputs are flushed to the disk before they are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Atomic rename only: a reader never sees a partial `in`, but a crash
    /// of the machine may lose it (fine for an `emptyDir`, which is gone
    /// then anyway). The default.
    #[default]
    Rename,
    /// One `syncfs` of everything staged (and an `fsync` of each folder),
    /// then the rename: `in` survives a machine crash (for a `JOB_DIR`
    /// that outlives the pod).
    Sync,
}

impl From<Durability> for safe_fs::publish::Durability {
    fn from(d: Durability) -> Self {
        match d {
            Durability::Rename => Self::NoFlush,
            Durability::Sync => Self::SyncFs,
        }
    }
}

/// What a finished `in/` records about itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marker {
    /// Format version.
    pub version: u32,
    /// [`crate::RunRequest::fingerprint`] of the request that produced it.
    pub fingerprint: String,
    /// Number of files written (not counting `.env`, `.secret`, the marker).
    pub files: u64,
    /// Total bytes of those files.
    pub bytes: u64,
    /// Number of env entries.
    pub envs: u64,
    /// Number of secret entries.
    pub secrets: u64,
}

/// What [`write_inputs`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteStats {
    /// The marker written.
    pub marker: Marker,
    /// Whether an older `in/` (another request) was replaced.
    pub replaced: bool,
    /// Time spent writing and publishing.
    pub elapsed: Duration,
}

/// The marker of a complete `JOB_DIR/in` made for `fingerprint`, if there
/// is one. Any other state (no `in`, no marker, another request) is `None`.
pub fn existing_inputs(job_dir: &Path, fingerprint: &str) -> Result<Option<Marker>, BootError> {
    let path = job_dir.join(INPUT_DIR).join(MARKER_FILE);
    let raw = match fs::read(&path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Ok(None),
        Err(e) => return Err(BootError::io("reading", path, e)),
    };
    Ok(serde_json::from_slice::<Marker>(&raw)
        .ok()
        .filter(|m| m.fingerprint == fingerprint))
}

/// Removes staging folders left by an init container that was killed while
/// writing. Returns how many were removed.
///
/// ```
/// let job = tempfile::tempdir().unwrap();
/// std::fs::create_dir(job.path().join(".in.staging-dead")).unwrap();
/// assert_eq!(task_boot::remove_stale_staging(job.path()).unwrap(), 1);
/// ```
pub fn remove_stale_staging(job_dir: &Path) -> Result<usize, BootError> {
    target(job_dir)?
        .remove_leftovers(&[STAGING_TAG])
        .map_err(|e| BootError::io("removing staging folders in", job_dir, e))
}

/// Writes the plan to a staging folder in `job_dir` and publishes it as
/// `job_dir/in` in one step ([`safe_fs::publish`]), replacing an older `in`
/// atomically. On error the staging folder is removed and `in` is
/// untouched.
pub fn write_inputs(
    job_dir: &Path,
    plan: &InputPlan<'_>,
    fingerprint: &str,
    durability: Durability,
) -> Result<WriteStats, BootError> {
    let started = Instant::now();
    let target = target(job_dir)?;
    // Everything to be written is known: fail before writing when it does
    // not fit (3 = the env, secret and marker files).
    let bytes = plan.file_bytes
        + plan.env_text.len() as u64
        + plan.secret_text.expose_secret().len() as u64;
    safe_fs::space::ensure_room(job_dir, bytes, plan.files.len() as u64 + 3)?;
    stage_and_publish(&target, plan, fingerprint, durability, started).map_err(|e| {
        if safe_fs::space::chain_is_no_space(&e) {
            safe_fs::space::NoSpace::ran_out(job_dir).into()
        } else {
            e
        }
    })
}

fn stage_and_publish(
    target: &Target,
    plan: &InputPlan<'_>,
    fingerprint: &str,
    durability: Durability,
    started: Instant,
) -> Result<WriteStats, BootError> {
    let job_dir = target.parent();
    let staging = target
        .stage(STAGING_TAG, durability.into())
        .map_err(|e| BootError::io("creating a staging folder in", job_dir, e))?;
    let root = staging.path();
    set_dir_mode(root)?;

    let mut made_dirs: HashSet<PathBuf> = HashSet::new();
    for file in &plan.files {
        let path = file.path.join_to(root);
        if let Some(parent) = file.path.parent() {
            make_dirs(root, &parent, &mut made_dirs)?;
        }
        write_new(&path, &file.content, FILE_MODE)?;
    }
    write_new(&root.join(ENV_FILE), plan.env_text.as_bytes(), FILE_MODE)?;
    write_new(
        &root.join(SECRET_FILE),
        plan.secret_text.expose_secret().as_bytes(),
        SECRET_MODE,
    )?;
    let marker = Marker {
        version: 1,
        fingerprint: fingerprint.to_owned(),
        files: plan.files.len() as u64,
        bytes: plan.file_bytes,
        envs: plan.env_count as u64,
        secrets: plan.secret_count as u64,
    };
    let marker_path = root.join(MARKER_FILE);
    let marker_json = serde_json::to_vec_pretty(&marker)
        .map_err(|e| BootError::io("serialising", &marker_path, e.into()))?;
    write_new(&marker_path, &marker_json, FILE_MODE)?;

    let published = staging
        .publish()
        .map_err(|source| BootError::Publish { source })?;
    Ok(WriteStats {
        marker,
        replaced: published.replaced,
        elapsed: started.elapsed(),
    })
}

/// `JOB_DIR/in` as a folder published under [`safe_fs::publish`]. No lock
/// is taken: one init container writes one job dir, and a lock file would
/// be a stray entry in the shared volume.
fn target(job_dir: &Path) -> Result<Target, BootError> {
    let path = job_dir.join(INPUT_DIR);
    Target::new(&path).map_err(|e| BootError::io("naming", path, e))
}

fn make_dirs(
    root: &Path,
    rel: &safe_fs::SafeRelPath,
    made: &mut HashSet<PathBuf>,
) -> Result<(), BootError> {
    let mut path = root.to_path_buf();
    for part in rel.components() {
        path.push(part);
        if made.contains(&path) {
            continue;
        }
        fs::DirBuilder::new()
            .mode(DIR_MODE)
            .create(&path)
            .map_err(|e| BootError::io("creating", &path, e))?;
        set_dir_mode(&path)?;
        made.insert(path.clone());
    }
    Ok(())
}

/// Sets [`DIR_MODE`] whatever the umask, keeping a set-group-id bit
/// inherited from a parent (Kubernetes sets it on fsGroup volumes, so files
/// keep the fsGroup group).
fn set_dir_mode(path: &Path) -> Result<(), BootError> {
    let meta = fs::metadata(path).map_err(|e| BootError::io("reading", path, e))?;
    let mode = DIR_MODE | (meta.permissions().mode() & 0o2000);
    fs::set_permissions(path, Permissions::from_mode(mode))
        .map_err(|e| BootError::io("setting the mode of", path, e))
}

fn write_new(path: &Path, content: &[u8], mode: u32) -> Result<(), BootError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| BootError::io("creating", path, e))?;
    // The umask may have taken bits away; set the exact mode.
    f.set_permissions(Permissions::from_mode(mode))
        .map_err(|e| BootError::io("setting the mode of", path, e))?;
    f.write_all(content)
        .map_err(|e| BootError::io("writing", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, RunInput, SecretMap, plan_inputs};

    fn sample() -> RunInput {
        let mut i = RunInput::default();
        i.envs.insert("A".into(), "1".into());
        i.files.insert("query.sql".into(), "select 1".into());
        i.files.insert("sub/dir/x.json".into(), "{}".into());
        i.secrets = SecretMap::from_plain([("S".into(), "pw".into())]);
        i
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn writes_files_with_modes_and_marker() {
        let job = tempfile::tempdir().unwrap();
        let input = sample();
        let plan = plan_inputs(&input, Vec::new(), &Limits::default(), false).unwrap();
        let stats = write_inputs(job.path(), &plan, "fp1", Durability::Sync).unwrap();
        assert!(!stats.replaced);
        let inp = job.path().join("in");
        assert_eq!(
            fs::read_to_string(inp.join("query.sql")).unwrap(),
            "select 1"
        );
        assert_eq!(fs::read_to_string(inp.join(".env")).unwrap(), "A='1'\n");
        assert_eq!(fs::read_to_string(inp.join(".secret")).unwrap(), "S='pw'\n");
        assert_eq!(mode(&inp), DIR_MODE);
        assert_eq!(mode(&inp.join("sub/dir")), DIR_MODE);
        assert_eq!(mode(&inp.join("sub/dir/x.json")), FILE_MODE);
        assert_eq!(mode(&inp.join(".secret")), SECRET_MODE);
        assert_eq!(
            existing_inputs(job.path(), "fp1").unwrap().unwrap().files,
            2
        );
        assert!(existing_inputs(job.path(), "other").unwrap().is_none());
        // Only `in` is left in the job dir.
        let names: Vec<_> = fs::read_dir(job.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["in"]);
    }

    #[test]
    fn replaces_older_inputs_and_removes_stale_staging() {
        let job = tempfile::tempdir().unwrap();
        fs::create_dir(job.path().join(".in.staging-dead")).unwrap();
        fs::write(job.path().join(".in.staging-dead/half"), "x").unwrap();
        assert_eq!(remove_stale_staging(job.path()).unwrap(), 1);
        let input = sample();
        let plan = plan_inputs(&input, Vec::new(), &Limits::default(), false).unwrap();
        write_inputs(job.path(), &plan, "fp1", Durability::Sync).unwrap();
        let empty = RunInput::default();
        let plan = plan_inputs(&empty, Vec::new(), &Limits::default(), false).unwrap();
        let stats = write_inputs(job.path(), &plan, "fp2", Durability::Rename).unwrap();
        assert!(stats.replaced);
        assert!(!job.path().join("in/query.sql").exists());
        let names: Vec<_> = fs::read_dir(job.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["in"]);
    }
}
