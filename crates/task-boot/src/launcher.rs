//! Support for `optimus-init exec` (load `.env` and `.secret` for a command)
//! and `--install-launcher` (copy the binary into the shared volume).

use std::fs::{self, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use secrecy::SecretString;

use crate::BootError;
use crate::envfile::parse_env_file;
use crate::write::{ENV_FILE, SECRET_FILE};

/// Reads `in_dir/.env` then `in_dir/.secret` (a key in both takes the
/// secret's value, as sourcing them in that order does). Values are wrapped
/// so that a `Debug` print cannot show them.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join(".env"), "A='1'\n").unwrap();
/// std::fs::write(dir.path().join(".secret"), "A='2'\nB='x'\n").unwrap();
/// let vars = task_boot::load_env_files(dir.path()).unwrap();
/// let keys: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
/// assert_eq!(keys, ["A", "B"]);
/// ```
pub fn load_env_files(in_dir: &Path) -> Result<Vec<(String, SecretString)>, BootError> {
    let mut merged = std::collections::BTreeMap::new();
    for name in [ENV_FILE, SECRET_FILE] {
        let path = in_dir.join(name);
        let text = fs::read_to_string(&path).map_err(|e| {
            let action = if e.kind() == io::ErrorKind::NotFound {
                "reading (has optimus-init run in the init container?)"
            } else {
                "reading"
            };
            BootError::io(action, &path, e)
        })?;
        for (k, v) in parse_env_file(&text, &path)? {
            merged.insert(k, SecretString::from(v));
        }
    }
    Ok(merged.into_iter().collect())
}

/// Copies the executable `exe` to `dest` (mode 0755) through a temporary
/// file and a rename, creating `dest`'s folder (mode 0755) if needed. An
/// existing launcher is replaced atomically.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let exe = dir.path().join("tool");
/// std::fs::write(&exe, b"#!/bin/sh\n").unwrap();
/// let dest = dir.path().join("data/bin/optimus-init");
/// task_boot::install_launcher(&exe, &dest).unwrap();
/// assert_eq!(std::fs::read(&dest).unwrap(), b"#!/bin/sh\n");
/// ```
pub fn install_launcher(exe: &Path, dest: &Path) -> Result<(), BootError> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        fs::create_dir_all(dir).map_err(|e| BootError::io("creating", dir, e))?;
        fs::set_permissions(dir, Permissions::from_mode(0o755))
            .map_err(|e| BootError::io("setting the mode of", dir, e))?;
    }
    let mut src = fs::File::open(exe).map_err(|e| BootError::io("opening", exe, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".optimus-init.tmp-")
        .tempfile_in(dir)
        .map_err(|e| BootError::io("creating a temporary file in", dir, e))?;
    io::copy(&mut src, tmp.as_file_mut()).map_err(|e| BootError::io("copying to", dest, e))?;
    tmp.as_file()
        .set_permissions(Permissions::from_mode(0o755))
        .map_err(|e| BootError::io("setting the mode of", dest, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| BootError::io("flushing", dest, e))?;
    tmp.persist(dest)
        .map_err(|e| BootError::io("installing", dest, e.error))?;
    Ok(())
}
